"""Claim links: a credential issued to an e-mail address, claimed into a learner's record.

1. :func:`offer_claim` (in the issuer's transaction, no commit) stores a claim row holding
   the SHA-256 of a 256-bit random token, and (``send_email``) writes the claim e-mail to
   the outbox under the key ``claim:<credential id>``, so a credential's claim mail goes
   out once however often it is offered (a re-run bulk job, say). Use ``email_key`` to
   send a new link on purpose. The link is ``<base_url>/wallet/claim/<token>``.
2. :func:`find_claim` says what a token is good for, or why not (stable codes below).
3. :func:`redeem_claim` binds the credential to a learner, once:

   - the organization re-issues on claim (``Organization.reissue_on_claim``): a copy with
     ``credentialSubject.id`` = the learner's DID (same achievement, results, evidence,
     dates and IdentityObject), signed now by
     :func:`openler.services.delivery.binding.reissue_to_holder` and linked to the
     original (``CredentialClaim.reissued_credential_id``, and the delivery module's
     ``BoundCredential``, which keeps the copy's status in step with the original's). The
     original leaves the learner's record. Holding the link is the proof: it was sent to
     the recipient.
   - otherwise the credential is kept as issued, and the learner's e-mail address must
     match its IdentityObject (salted hash compare, :func:`~openler.core.model.identity.
     identity_matches`) and be verified. A link that was e-mailed to that address verifies
     it (whoever uses it reads mail there).

   Either way the credential lands in the learner's record (:mod:`openler.services.record`).
   Redemption is atomic: a conditional UPDATE uses the link once, and a unique column lets
   one credential be claimed once whatever the number of links offered for it.

Errors::

    OpenlerError
    ├── ClaimNotFound          claim_not_found          unknown token (404)
    ├── ClaimExpired           claim_expired            past its expiry (409)
    ├── ClaimUsed              claim_used               used already, or the credential was
    │                                                   claimed through another link (409)
    ├── ClaimRecipientMismatch claim_recipient_mismatch the learner's address is not the
    │                                                   credential's recipient (403)
    ├── ClaimEmailUnverified   claim_email_unverified   the address matches but is not
    │                                                   verified yet (403)
    └── InvalidInput           invalid_input            e.g. offering a DID-bound credential
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import InvalidInput, OpenlerError
from openler.core.model.identity import identity_matches
from openler.services.audit import Actor, record
from openler.services.delivery.binding import reissue_to_holder
from openler.services.issuing import recipient_address, recipient_lookup
from openler.services.keystore import KeyStore
from openler.services.learners import (
    ensure_learner,
    mark_email_verified,
    new_token,
    token_hash,
)
from openler.services.outbox import QueuedEmail, enqueue_email, enqueue_emails
from openler.store.models._base import new_id
from openler.store.models.credentials import IssuedCredential
from openler.store.models.enums import ActorType, AuditAction, ClaimMode, RecipientKind
from openler.store.models.learner import CredentialClaim
from openler.store.models.organizations import User

__all__ = [
    "CLAIM_PATH",
    "DEFAULT_CLAIM_TTL",
    "ClaimEmailUnverified",
    "ClaimExpired",
    "ClaimItem",
    "ClaimNotFound",
    "ClaimOffer",
    "ClaimRecipientMismatch",
    "ClaimResult",
    "ClaimUsed",
    "claim_url",
    "find_claim",
    "offer_claim",
    "offer_claims",
    "recipient_matches",
    "redeem_claim",
]

#: Where a claim link points: ``<base_url>/wallet/claim/<token>``.
CLAIM_PATH: Final = "/wallet/claim/"
DEFAULT_CLAIM_TTL: Final = timedelta(days=30)
_MAX_TOKEN_CHARS: Final = 200


class _NotFound(OpenlerError):
    code = "not_found"


class _Conflict(OpenlerError):
    code = "conflict"


class _Forbidden(OpenlerError):
    code = "forbidden"


class ClaimNotFound(_NotFound):
    code = "claim_not_found"


class ClaimExpired(_Conflict):
    code = "claim_expired"


class ClaimUsed(_Conflict):
    """``redeemed_by_user_id`` (an attribute, never in the message or details) lets a page
    tell the learner who claimed it already that it is in their record."""

    code = "claim_used"

    def __init__(self, message: str, *, redeemed_by_user_id: uuid.UUID | None = None) -> None:
        super().__init__(message)
        self.redeemed_by_user_id = redeemed_by_user_id


class ClaimRecipientMismatch(_Forbidden):
    code = "claim_recipient_mismatch"


class ClaimEmailUnverified(_Forbidden):
    code = "claim_email_unverified"


@dataclass(frozen=True, slots=True)
class ClaimOffer:
    """A claim link just made. ``token`` is stored nowhere (only its hash)."""

    url: str
    token: str
    expires_at: datetime
    claim_id: uuid.UUID | None = None
    #: Whether the outbox took a new e-mail for it (False: none asked, or one was queued
    #: under the same key before).
    email_queued: bool = False


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """What a redemption did: ``credential`` is the one now in the learner's record (the
    re-issued one, or the original)."""

    claim: CredentialClaim
    mode: ClaimMode
    credential: IssuedCredential
    original: IssuedCredential


def claim_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + CLAIM_PATH + quote(token, safe="")


# -- offering -------------------------------------------------------------------------------


def _display(credential: IssuedCredential) -> tuple[str, str]:
    """(credential name, issuer name) for the e-mail."""
    document = credential.document
    name = document.get("name") if isinstance(document, dict) else None
    issuer = document.get("issuer") if isinstance(document, dict) else None
    issuer_name = issuer.get("name") if isinstance(issuer, dict) else None
    return (
        name if isinstance(name, str) else "a credential",
        issuer_name if isinstance(issuer_name, str) else "An issuer",
    )


def offer_claim(
    session: Session,
    credential: IssuedCredential,
    *,
    now: datetime,
    base_url: str,
    ttl: timedelta = DEFAULT_CLAIM_TTL,
    send_email: bool = True,
    email: str | None = None,
    email_key: str | None = None,
) -> ClaimOffer:
    """A one-time claim link for ``credential``, expiring after ``ttl``, and (with
    ``send_email``) its e-mail in the outbox. Runs in the caller's transaction; no commit.

    The address: ``email`` if given (it must be the credential's recipient), else the one
    :func:`~openler.services.issuing.issue_credential` remembered on the object when it
    issued it in this session (the credential itself keeps only a salted hash)."""
    if ttl <= timedelta(0):
        raise InvalidInput("A claim link needs a positive lifetime.")
    address: str | None = None
    if send_email:
        if credential.recipient_kind is not RecipientKind.EMAIL:
            raise InvalidInput(
                "Only a credential issued to an e-mail address can be claimed by e-mail."
            )
        address = (email or recipient_address(credential) or "").strip().lower()
        if not address:
            raise InvalidInput(
                "Pass the recipient's address (email=...): the credential stores only a "
                "salted hash of it."
            )
        if recipient_lookup(address) != credential.recipient_lookup:
            raise InvalidInput("This address is not the credential's recipient.")
    token = new_token()
    claim = CredentialClaim(
        credential_id=credential.id,
        token_hash=token_hash(token),
        expires_at=now + ttl,
        emailed=address is not None,
        created_at=now,
    )
    session.add(claim)
    url = claim_url(base_url, token)
    queued = False
    if address is not None:
        email_row = _claim_email(credential, address, url, claim.expires_at, email_key)
        queued = enqueue_email(
            session,
            key=email_row.key,
            to=email_row.to,
            subject=email_row.subject,
            text=email_row.text,
            now=now,
        )
    return ClaimOffer(
        url=url, token=token, expires_at=claim.expires_at, claim_id=claim.id, email_queued=queued
    )


def _claim_email(
    credential: IssuedCredential, address: str, url: str, expires_at: datetime, key: str | None
) -> QueuedEmail:
    name, issuer = _display(credential)
    until = expires_at.strftime("%Y-%m-%d")
    return QueuedEmail(
        key=key or f"claim:{credential.credential_id}",
        to=address,
        subject=f"{issuer} issued you {name}",
        text=(
            f"{issuer} issued you a credential: {name}.\n\n"
            "Claim it into your learner record (you can create one on the way):\n\n"
            f"{url}\n\n"
            f"The link works once, until {until}. Keep it to yourself: whoever uses it "
            "receives the credential.\n"
        ),
    )


@dataclass(frozen=True, slots=True)
class ClaimItem:
    """One credential to offer in :func:`offer_claims`: ``email`` is the address to mail
    the link to (it must be the credential's recipient); ``None`` makes a link only (for
    the issuer to hand out)."""

    credential: IssuedCredential
    email: str | None = None


def offer_claims(
    session: Session,
    items: Sequence[ClaimItem],
    *,
    now: datetime,
    base_url: str,
    ttl: timedelta = DEFAULT_CLAIM_TTL,
) -> list[ClaimOffer | OpenlerError]:
    """:func:`offer_claim` for many credentials at once (bulk issuance): one multi-row
    INSERT of claim links and one of e-mails, in the caller's transaction. The credentials
    must be in the database already (a claim names its credential). Answers in ``items``'
    order: the offer, or the error that item met (nothing was written for that one)."""
    if ttl <= timedelta(0):
        raise InvalidInput("A claim link needs a positive lifetime.")
    expires_at = now + ttl
    rows: list[dict[str, Any]] = []
    emails: list[QueuedEmail] = []
    answers: list[ClaimOffer | OpenlerError] = []
    for item in items:
        credential = item.credential
        address = None
        if item.email is not None:
            address = item.email.strip().lower()
            if credential.recipient_kind is not RecipientKind.EMAIL:
                answers.append(
                    InvalidInput("Only a credential issued to an e-mail address is mailed.")
                )
                continue
            if recipient_lookup(address) != credential.recipient_lookup:
                answers.append(InvalidInput("This address is not the credential's recipient."))
                continue
        token = new_token()
        claim_id = new_id()
        url = claim_url(base_url, token)
        rows.append(
            {
                "id": claim_id,
                "credential_id": credential.id,
                "token_hash": token_hash(token),
                "expires_at": expires_at,
                "emailed": address is not None,
                "created_at": now,
            }
        )
        if address is not None:
            emails.append(_claim_email(credential, address, url, expires_at, None))
        answers.append(
            ClaimOffer(
                url=url,
                token=token,
                expires_at=expires_at,
                claim_id=claim_id,
                email_queued=address is not None,
            )
        )
    if rows:
        session.execute(sa.insert(CredentialClaim), rows)
    if emails:
        enqueue_emails(session, emails, now=now)
    return answers


# -- finding --------------------------------------------------------------------------------


def find_claim(session: Session, token: str, *, now: datetime) -> CredentialClaim:
    """The claim a token belongs to, if it can still be redeemed; otherwise
    :class:`ClaimNotFound`, :class:`ClaimUsed` (used, or its credential claimed through
    another link) or :class:`ClaimExpired`."""
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_CHARS:
        raise ClaimNotFound("This claim link is not valid.")
    claim = session.scalar(
        sa.select(CredentialClaim).where(CredentialClaim.token_hash == token_hash(token))
    )
    if claim is None:
        raise ClaimNotFound("This claim link is not valid.")
    if claim.redeemed_at is not None:
        raise ClaimUsed(
            "This claim link was used already.", redeemed_by_user_id=claim.redeemed_by_user_id
        )
    other = session.scalar(
        sa.select(CredentialClaim).where(
            CredentialClaim.claimed_credential_id == claim.credential_id
        )
    )
    if other is not None:
        raise ClaimUsed(
            "This credential was claimed already.", redeemed_by_user_id=other.redeemed_by_user_id
        )
    if claim.expires_at <= now:
        raise ClaimExpired("This claim link has expired; ask the issuer for a new one.")
    return claim


# -- redeeming ------------------------------------------------------------------------------


def _identities(document: Any) -> list[dict[str, Any]]:
    subject = document.get("credentialSubject") if isinstance(document, dict) else None
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    found = subject.get("identifier") if isinstance(subject, dict) else None
    items = found if isinstance(found, list) else [found]
    return [i for i in items if isinstance(i, dict) and i.get("identityType") == "emailAddress"]


def recipient_matches(credential: IssuedCredential, email: str) -> bool:
    """Whether ``email`` is the e-mail recipient the credential names (its IdentityObject,
    salted hash compared)."""
    if credential.recipient_kind is not RecipientKind.EMAIL:
        return False
    address = email.strip().lower()
    return any(identity_matches(i, address) for i in _identities(credential.document))


def redeem_claim(
    session: Session,
    token: str,
    learner: User,
    *,
    now: datetime,
    keystore: KeyStore,
    settings: Settings,
) -> ClaimResult:
    """Bind the credential of ``token`` to ``learner`` (see the module docstring), in the
    caller's transaction. The learner gets a holder key first if they have none."""
    claim = find_claim(session, token, now=now)
    original = claim.credential
    org = original.organization
    account = ensure_learner(session, keystore, learner)
    matches = recipient_matches(original, learner.email)
    if org.reissue_on_claim:
        mode = ClaimMode.REISSUED
    elif not matches:
        raise ClaimRecipientMismatch(
            f"This credential was issued to another e-mail address than {learner.email}; "
            "sign in with the address the claim link was sent to."
        )
    elif account.email_verified_at is None and not claim.emailed:
        raise ClaimEmailUnverified(
            f"Verify {learner.email} first (ask for a sign-in link), then claim again."
        )
    else:
        mode = ClaimMode.MATCHED
    _use(session, claim, learner, mode, now)
    if matches and claim.emailed:
        mark_email_verified(account, now=now)
    actor = Actor(ActorType.USER, f"user:{learner.id}")
    credential = original
    if mode is ClaimMode.REISSUED:
        # The wallet-delivery re-issue: same achievement, results, evidence and dates,
        # credentialSubject.id = the DID, its own status entry kept in step with the
        # original's (revoking the original revokes the copy).
        credential = reissue_to_holder(
            session, settings, keystore, original, account.did, now=now, via="claim", actor=actor
        )
        claim.reissued_credential_id = credential.id
    session.flush()
    details: dict[str, Any] = {"mode": mode.value, "learner": account.did}
    if mode is ClaimMode.REISSUED:
        details["reissuedAs"] = credential.credential_id
    record(session, org, actor, AuditAction.CREDENTIAL_CLAIM, original.credential_id, details)
    session.refresh(claim)
    return ClaimResult(claim=claim, mode=mode, credential=credential, original=original)


def _use(
    session: Session, claim: CredentialClaim, learner: User, mode: ClaimMode, now: datetime
) -> None:
    """Mark the link used, once: a conditional UPDATE (a second request matches no row)
    in a savepoint (the unique ``claimed_credential_id`` refuses a second link for the same
    credential without spoiling the caller's transaction)."""
    try:
        with session.begin_nested():
            result = session.execute(
                sa.update(CredentialClaim)
                .where(CredentialClaim.id == claim.id, CredentialClaim.redeemed_at.is_(None))
                .values(
                    redeemed_at=now,
                    redeemed_by_user_id=learner.id,
                    claimed_credential_id=claim.credential_id,
                    mode=mode,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                raise ClaimUsed("This claim link was used already.")
    except IntegrityError:
        raise ClaimUsed("This credential was claimed already.") from None
    session.expire(claim)
