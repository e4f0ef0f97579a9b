"""Delivery of issued credentials to external wallets (issue 4).

An issuer (or the learner, from a claim page) creates an :class:`Offer` for one issued
credential with :func:`create_offer`; a wallet picks it up, once, by either protocol:

- :mod:`~openler.services.delivery.exchange`: a VC-API exchange with DIDAuthentication
  (the Learner Credential Wallet);
- :mod:`~openler.services.delivery.oid4vci`: OpenID4VCI, pre-authorized code flow.

Either way the wallet proves control of a did:key (or did:jwk) and receives the credential
bound to that DID: re-issued with ``credentialSubject.id`` = the DID
(:func:`~openler.services.delivery.binding.reissue_to_holder`), linked to the original,
whose status changes it follows. Offers live in
:mod:`openler.store.models.exchanges`; see docs/wallet-delivery.md.

Errors (each an :class:`~openler.core.errors.OpenlerError` with a stable code)::

    OfferNotFound (not_found, 404)
    OfferUnavailable (conflict, 409)
      OfferExpired (offer_expired), OfferUsed (offer_used), OfferCancelled
      (offer_cancelled), OfferLocked (offer_locked), CredentialNotActive
      (credential_not_active)
    ExchangeRefused (unauthorized, 401)
      DidAuthFailed (did_auth_failed)
    HolderMismatch (holder_mismatch, 403)
    Oid4vciError (answered as OAuth 2.0 JSON: error, error_description)
"""

from openler.services.delivery.binding import copies_of, propagate_status, reissue_to_holder
from openler.services.delivery.exchange import DidAuthFailed, ExchangeRefused, HolderMismatch
from openler.services.delivery.offers import (
    DEFAULT_OFFER_TTL,
    CredentialNotActive,
    Offer,
    OfferCancelled,
    OfferExpired,
    OfferLinks,
    OfferLocked,
    OfferNotFound,
    OfferUnavailable,
    OfferUsed,
    cancel_offer,
    create_offer,
    list_offers,
    offer_state,
)
from openler.services.delivery.oid4vci import Oid4vciError

__all__ = [
    "DEFAULT_OFFER_TTL",
    "CredentialNotActive",
    "DidAuthFailed",
    "ExchangeRefused",
    "HolderMismatch",
    "Offer",
    "OfferCancelled",
    "OfferExpired",
    "OfferLinks",
    "OfferLocked",
    "OfferNotFound",
    "OfferUnavailable",
    "OfferUsed",
    "Oid4vciError",
    "cancel_offer",
    "copies_of",
    "create_offer",
    "list_offers",
    "offer_state",
    "propagate_status",
    "reissue_to_holder",
]
