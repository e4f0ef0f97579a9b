"""Learner accounts: sign-up, sign-in (password or magic link) and the holder key.

A learner is a :class:`~openler.store.models.User` (e-mail address, optional scrypt
password; see :mod:`openler.services.users`) with a :class:`Learner` row holding:

- **a holder key**: an Ed25519 key whose DID is ``did:key:z6Mk…``
  (:func:`holder_did`). Its private key is stored only as a keystore envelope (AES-256-GCM,
  :mod:`openler.services.keystore`) bound to ``learner:<user id>``, the DID and the
  algorithm, so an envelope copied to another learner's row does not open.
  :func:`holder_signer` decrypts it into a :class:`~openler.core.keys.keypair.LocalSigner`
  naming ``did:key:z…#z…``, for :func:`openler.core.sign_presentation`.
- **e-mail verification**: ``email_verified_at`` is set when the learner used a link sent
  to the account's address (a sign-in link, or a claim link whose recipient is that
  address). Credentials issued to an address count as the learner's only once it is
  verified.

Magic links: :func:`request_sign_in_link` stores the SHA-256 of a 256-bit random token
and writes the e-mail to the outbox (``sign-in:<link id>``; delivered after commit);
:func:`redeem_sign_in_link` uses it once, before it expires, creating the account on
first use. Unknown addresses get a link too, so the answer never tells whether an account
exists. At most :data:`MAX_SIGN_IN_LINKS_PER_WINDOW` links per address per
:data:`SIGN_IN_LINK_WINDOW`.

Errors::

    OpenlerError
    ├── LearnerNotFound        not_found             no learner account for this user
    ├── SignInLinkInvalid      sign_in_link_invalid  unknown token (401, as invalid_token)
    │   ├── SignInLinkExpired  sign_in_link_expired
    │   └── SignInLinkUsed     sign_in_link_used
    ├── TooManySignInLinks     rate_limited          too many links asked for one address
    └── InvalidInput / UserExists (from openler.services.users)
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.core.errors import OpenlerError
from openler.core.keys.did_key import did_key_from_public_key, did_key_vm_id
from openler.core.keys.keypair import KeyPair, LocalSigner
from openler.services.keystore import KeyStore
from openler.services.outbox import enqueue_email
from openler.services.users import create_user, find_user, normalize_email, verify_password
from openler.store.models.learner import Learner, SignInLink
from openler.store.models.organizations import User

__all__ = [
    "DEFAULT_SIGN_IN_TTL",
    "HOLDER_KEY_SCHEME",
    "MAX_SIGN_IN_LINKS_PER_WINDOW",
    "SIGN_IN_LINK_WINDOW",
    "SIGN_IN_PATH",
    "LearnerNotFound",
    "SignInLinkExpired",
    "SignInLinkInvalid",
    "SignInLinkOffer",
    "SignInLinkUsed",
    "TooManySignInLinks",
    "ensure_learner",
    "get_learner",
    "holder_did",
    "holder_key_pair",
    "holder_signer",
    "is_email_verified",
    "mark_email_verified",
    "redeem_sign_in_link",
    "request_sign_in_link",
    "sign_in_with_password",
    "sign_up",
    "token_hash",
]

HOLDER_KEY_SCHEME: Final = "openler-keystore-v1"
#: Where a sign-in link points: ``<base_url>/wallet/sign-in/<token>``.
SIGN_IN_PATH: Final = "/wallet/sign-in/"
DEFAULT_SIGN_IN_TTL: Final = timedelta(minutes=15)
SIGN_IN_LINK_WINDOW: Final = timedelta(minutes=15)
MAX_SIGN_IN_LINKS_PER_WINDOW: Final = 5
#: 32 random bytes (256 bits), base64url: 43 characters.
_TOKEN_BYTES: Final = 32
_MAX_TOKEN_CHARS: Final = 200


class LearnerNotFound(OpenlerError):
    code = "not_found"


class _InvalidToken(OpenlerError):
    code = "invalid_token"  # HTTP 401 (openler.api.problems)


class SignInLinkInvalid(_InvalidToken):
    code = "sign_in_link_invalid"


class SignInLinkExpired(SignInLinkInvalid):
    code = "sign_in_link_expired"


class SignInLinkUsed(SignInLinkInvalid):
    code = "sign_in_link_used"


class TooManySignInLinks(OpenlerError):
    code = "rate_limited"


def token_hash(token: str) -> str:
    """How one-time tokens (sign-in and claim links) are stored: SHA-256, hex. A 256-bit
    random token needs no salt or slow hash: it cannot be guessed from its digest."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh 256-bit URL-safe token."""
    return secrets.token_urlsafe(_TOKEN_BYTES)


# -- the learner row and the holder key -------------------------------------------------


def _key_context(user: User, did: str) -> tuple[str, str]:
    """(org_id, key_id) the keystore binds a holder key's envelope to."""
    return f"learner:{user.id}", did


def get_learner(session: Session, user: User) -> Learner | None:
    """The learner account of ``user``, or None if the user never became a learner."""
    return session.scalar(sa.select(Learner).where(Learner.user_id == user.id))


def _require(session: Session, user: User) -> Learner:
    learner = get_learner(session, user)
    if learner is None:
        raise LearnerNotFound(f"{user.email} has no learner record.")
    return learner


def ensure_learner(session: Session, keystore: KeyStore, user: User) -> Learner:
    """The learner account of ``user``, made (with a new holder key) when missing."""
    existing = get_learner(session, user)
    if existing is not None:
        return existing
    pair = KeyPair.generate("Ed25519")
    did = did_key_from_public_key(pair.public_key)
    org_id, key_id = _key_context(user, did)
    learner = Learner(
        user_id=user.id,
        did=did,
        key_algorithm=pair.algorithm,
        public_key_multibase=pair.public_key.to_multibase(),
        private_key_ciphertext=keystore.encrypt_private_key(pair, org_id=org_id, key_id=key_id),
        encryption_scheme=HOLDER_KEY_SCHEME,
        encryption_key_version=keystore.current_version,
        email_verified_at=None,
    )
    session.add(learner)
    session.flush()
    return learner


def holder_did(session: Session, user: User) -> str:
    """The learner's DID (``did:key:z6Mk…``); :class:`LearnerNotFound` if not a learner."""
    return _require(session, user).did


def holder_key_pair(session: Session, keystore: KeyStore, user: User) -> KeyPair:
    """The learner's holder key, decrypted (keep it in memory only)."""
    learner = _require(session, user)
    org_id, key_id = _key_context(user, learner.did)
    pair = keystore.decrypt_private_key(
        learner.private_key_ciphertext,
        org_id=org_id,
        key_id=key_id,
        algorithm=learner.key_algorithm,
    )
    return pair.with_identity(controller=learner.did, key_id=did_key_vm_id(learner.did))


def holder_signer(session: Session, keystore: KeyStore, user: User) -> LocalSigner:
    """A signer for the learner's presentations, naming ``did:key:z…#z…`` (pass it to
    :func:`openler.core.sign_presentation` with ``holder=holder_did(...)``)."""
    pair = holder_key_pair(session, keystore, user)
    return pair.signer(pair.key_id)


def is_email_verified(session: Session, user: User) -> bool:
    learner = get_learner(session, user)
    return learner is not None and learner.email_verified_at is not None


def mark_email_verified(learner: Learner, *, now: datetime) -> None:
    """Record that the learner receives mail at the account's address (kept if set)."""
    if learner.email_verified_at is None:
        learner.email_verified_at = now


# -- accounts ---------------------------------------------------------------------------


def sign_up(
    session: Session,
    keystore: KeyStore,
    *,
    email: str,
    password: str,
    display_name: str | None = None,
) -> Learner:
    """A new learner with a password (scrypt, as :func:`openler.services.users.create_user`)
    and a holder key. The address is not verified yet. :class:`UserExists` when taken."""
    user = create_user(session, email=email, display_name=display_name, password=password)
    return ensure_learner(session, keystore, user)


def sign_in_with_password(
    session: Session, keystore: KeyStore, email: str, password: str, *, now: datetime
) -> Learner | None:
    """The learner with this address and password (made a learner on first sign-in if the
    user was only staff), or None — the same work for every kind of failure."""
    user = verify_password(session, email, password)
    if user is None:
        return None
    user.last_login_at = now
    return ensure_learner(session, keystore, user)


# -- magic links ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignInLinkOffer:
    """A sign-in link just made: ``token`` is shown nowhere but in ``url`` (and the mail)."""

    url: str
    token: str
    expires_at: datetime


def sign_in_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + SIGN_IN_PATH + quote(token, safe="")


def request_sign_in_link(
    session: Session,
    email: str,
    *,
    now: datetime,
    base_url: str,
    ttl: timedelta = DEFAULT_SIGN_IN_TTL,
    send_email: bool = True,
) -> SignInLinkOffer:
    """Make a one-time sign-in link for ``email`` and (``send_email``) write its e-mail
    to the outbox, in the caller's transaction. The same answer whether an account
    exists or not. :class:`TooManySignInLinks` after too many requests for one address."""
    address = normalize_email(email)
    recent = session.scalar(
        sa.select(sa.func.count())
        .select_from(SignInLink)
        .where(SignInLink.email == address, SignInLink.created_at > now - SIGN_IN_LINK_WINDOW)
    )
    if (recent or 0) >= MAX_SIGN_IN_LINKS_PER_WINDOW:
        raise TooManySignInLinks(
            "Too many sign-in links were asked for this address; wait a few minutes."
        )
    token = new_token()
    link = SignInLink(
        token_hash=token_hash(token), email=address, expires_at=now + ttl, created_at=now
    )
    session.add(link)
    session.flush()
    url = sign_in_url(base_url, token)
    if send_email:
        minutes = max(1, int(ttl.total_seconds() // 60))
        enqueue_email(
            session,
            key=f"sign-in:{link.id}",
            to=address,
            subject="Your sign-in link",
            text=(
                "Use this link to sign in to your learner record:\n\n"
                f"{url}\n\n"
                f"It works once, within {minutes} minutes. If you did not ask for it, "
                "ignore this message.\n"
            ),
            now=now,
        )
    return SignInLinkOffer(url=url, token=token, expires_at=link.expires_at)


def redeem_sign_in_link(
    session: Session, keystore: KeyStore, token: str, *, now: datetime
) -> Learner:
    """Use a sign-in link: the learner it signs in (their account and holder key made on
    first use, without a password), with the address marked verified. Raises
    :class:`SignInLinkInvalid`, :class:`SignInLinkExpired` or :class:`SignInLinkUsed`."""
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_CHARS:
        raise SignInLinkInvalid("This sign-in link is not valid.")
    link = session.scalar(sa.select(SignInLink).where(SignInLink.token_hash == token_hash(token)))
    if link is None:
        raise SignInLinkInvalid("This sign-in link is not valid.")
    if link.used_at is not None:
        raise SignInLinkUsed("This sign-in link was used already; ask for a new one.")
    if link.expires_at <= now:
        raise SignInLinkExpired("This sign-in link has expired; ask for a new one.")
    # Use it exactly once, even when two requests race: only one UPDATE matches.
    used = session.execute(
        sa.update(SignInLink)
        .where(SignInLink.id == link.id, SignInLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(used, "rowcount", 0) != 1:
        raise SignInLinkUsed("This sign-in link was used already; ask for a new one.")
    session.expire(link)
    user = find_user(session, link.email)
    if user is None:
        user = create_user(session, email=link.email)
    if not user.is_active:
        raise SignInLinkInvalid("This account is disabled.")
    user.last_login_at = now
    learner = ensure_learner(session, keystore, user)
    mark_email_verified(learner, now=now)
    session.flush()
    return learner
