"""Share links: a learner picks credentials (and employment entries) from their record and
hands out a link to them.

**Owner side** (every function takes the signed-in learner's :class:`User`; a share of
another learner is :class:`ShareNotFound`, exactly like an unknown one):
:func:`create_share`, :func:`list_shares`, :func:`get_share`, :func:`update_share`
(title, note, expiry), :func:`revoke_share`, :func:`share_access_log`,
:func:`preview_share` (the landing page as the recipient will see it, not counted as a
view). Creating, changing and revoking are audited (``share.create``, ``share.update``,
``share.revoke``; actor: the learner).

**Recipient side** (by the public share id in the link, ``<base_url>/s/<token>``):
:func:`view_share` for the landing page and :func:`share_presentation` for a verifiable
presentation. Both refuse a share past its expiry (:class:`ShareExpired`) or revoked
(:class:`ShareRevoked`), and record the access: a row in the share's access log, the
``share.view`` / ``share.present`` audit event (system actor; the token is never logged),
and for a view, the view count.

- **The link**: ``secrets.token_urlsafe(32)``, 256 bits (at least 128 required). It is
  stored in clear so the owner can see the link and its QR code again
  (:func:`share_url`, :func:`share_qr_svg`); see :mod:`openler.store.models.sharing`.
- **Expiry** is required: the default is ``OPENLER_SHARE_DEFAULT_DAYS`` (30) days, the
  longest ``OPENLER_SHARE_MAX_DAYS`` (365).
- **What is shared**: each credential's exact bytes as stored in the record when it was
  shared; each employment entry as it is now (the learner's own words, marked
  self-asserted). Removing a credential from the record does not change a share: revoke
  the share.
- **Live verification**: every view verifies every shared credential again with the
  verifier passed in (the application's :class:`~openler.core.Verifier`, which resolves
  DIDs and fetches status lists), so a credential revoked by its issuer shows as revoked
  on the next view. The landing page's skills summary is built from the shared
  credentials that verify on that view only, never from the rest of the record.
- **Presentations**: :func:`share_presentation` returns a VC 2.0 VerifiablePresentation
  of the shared credentials (as stored; VC-JWTs enveloped), ``holder`` the learner's
  ``did:key``, signed with the learner's holder key (``eddsa-rdfc-2022``, proof purpose
  ``authentication``) over the verifier's ``challenge`` (required) and ``domain``. It
  shows that the holder key's owner consented to this share being presented; it is made
  by the platform on their behalf, so it does not show that the learner is present.
  Self-asserted employment entries are not credentials and are not in it.
- **Access log privacy**: only coarse client information is kept:
  :func:`coarse_network` (an IPv4 address truncated to its /24, an IPv6 one to its /48;
  never the full address, and no hash of it, which could be reversed by trying every
  address) and :func:`browser_family` ("Firefox on Linux"; never the raw User-Agent).

Errors::

    OpenlerError
    ├── ShareNotFound        not_found       unknown share, or another learner's
    ├── ShareUnavailable     share_unavailable
    │   ├── ShareExpired     share_expired   past its expiry (HTTP 410 suggested)
    │   └── ShareRevoked     share_revoked   revoked by its owner (HTTP 410 suggested)
    └── InvalidInput         invalid_input   no items, too many, bad expiry, missing challenge
"""

from __future__ import annotations

import io
import ipaddress
import json
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import segno
import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from openler.config import Settings
from openler.core import Verifier, create_presentation, sign_presentation
from openler.core.errors import InvalidInput, OpenlerError
from openler.core.results import VerificationResult
from openler.core.skills import HeldCredential, SkillsProfile, build_skills_profile
from openler.services.audit import SYSTEM, Actor, record
from openler.services.employment import (
    EmploymentClaim,
    EmploymentItem,
    credential_item,
    employment_from_credential,
    entry_item,
    get_entry,
)
from openler.services.keystore import KeyStore
from openler.services.learners import holder_did, holder_signer
from openler.services.record import (
    CredentialSummary,
    VerificationState,
    record_items,
    state_from_report,
    summarize,
)
from openler.store.models import ActorType, AuditAction, User
from openler.store.models.enums import ShareAccessKind, ShareItemKind
from openler.store.models.sharing import Share, ShareAccess, ShareItem

__all__ = [
    "MAX_SHARE_ITEMS",
    "SHARE_PATH",
    "ClientInfo",
    "ShareExpired",
    "ShareNotFound",
    "ShareRequest",
    "ShareRevoked",
    "ShareState",
    "ShareUnavailable",
    "SharedCredential",
    "SharedView",
    "browser_family",
    "coarse_network",
    "create_share",
    "get_share",
    "list_shares",
    "open_share",
    "preview_share",
    "revoke_share",
    "share_access_log",
    "share_presentation",
    "share_qr_svg",
    "share_state",
    "share_url",
    "update_share",
    "view_share",
]

#: Where a share's landing page is: ``<base_url>/s/<token>``.
SHARE_PATH: Final = "/s/"
MAX_SHARE_ITEMS: Final = 50
#: 32 random bytes: 256 bits, 43 URL-safe characters.
_TOKEN_BYTES: Final = 32
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
_MAX_TITLE_CHARS: Final = 200
_MAX_NOTE_CHARS: Final = 2000
_MAX_CHALLENGE_CHARS: Final = 500

ShareState = Literal["active", "expired", "revoked"]


class ShareNotFound(OpenlerError):
    code = "not_found"


class ShareUnavailable(OpenlerError):
    code = "share_unavailable"


class ShareExpired(ShareUnavailable):
    code = "share_expired"


class ShareRevoked(ShareUnavailable):
    code = "share_revoked"


# -- client information ----------------------------------------------------------------------


def coarse_network(address: str | None) -> str | None:
    """The network a client address belongs to, coarse enough not to name one machine:
    IPv4 /24 (``203.0.113.0/24``), IPv6 /48 (an IPv4-mapped IPv6 address as IPv4).
    None for a missing or unreadable address."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


_BROWSERS: Final = (
    ("bot", re.compile(r"bot|crawl|spider|slurp|preview", re.I)),
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/|\bOpera\b")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|CriOS|Chromium)/")),
    ("Safari", re.compile(r"\bVersion/[\d.]+.*Safari/")),
    ("curl", re.compile(r"^curl/")),
    ("script", re.compile(r"python|httpx|requests|okhttp|Go-http-client|Java/|wget", re.I)),
)
_PLATFORMS: Final = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("Linux", re.compile(r"Linux|X11")),
)


def browser_family(user_agent: str | None) -> str | None:
    """A User-Agent reduced to its browser family and platform (``Chrome on Android``,
    ``Firefox on Linux``, ``bot``, ``script``, ``other``); None when absent."""
    if not user_agent or not user_agent.strip():
        return None
    agent = user_agent[:1000]
    browser = next((name for name, pattern in _BROWSERS if pattern.search(agent)), "other")
    if browser in ("bot", "curl", "script"):
        return browser
    platform = next((name for name, pattern in _PLATFORMS if pattern.search(agent)), None)
    return f"{browser} on {platform}" if platform else browser


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Coarse information about whoever opened a share (see :func:`coarse_network`)."""

    network: str | None = None
    agent: str | None = None

    @classmethod
    def from_request(cls, address: str | None, user_agent: str | None) -> ClientInfo:
        """From the client address and ``User-Agent`` header; nothing more precise is
        kept."""
        return cls(coarse_network(address), browser_family(user_agent))


# -- the owner's side ------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareRequest:
    """What to share: ``credentials`` are record keys (``issued:<uuid>``, …; see
    :mod:`openler.services.record`), ``employment`` ids of self-asserted entries. At
    least one item, at most :data:`MAX_SHARE_ITEMS`. ``expires_at`` None: the default
    expiry."""

    credentials: Sequence[str] = ()
    employment: Sequence[uuid.UUID | str] = ()
    expires_at: datetime | None = None
    title: str | None = None
    recipient_note: str | None = None


def _user_actor(user: User) -> Actor:
    return Actor(ActorType.USER, str(user.id))


def _expiry(settings: Settings, requested: datetime | None, now: datetime) -> datetime:
    longest = now + timedelta(days=settings.share_max_days)
    if requested is None:
        return min(now + timedelta(days=settings.share_default_days), longest)
    if requested.tzinfo is None or requested.utcoffset() is None:
        raise InvalidInput("The expiry needs a time zone.", details={"field": "expires_at"})
    if requested <= now:
        raise InvalidInput("The expiry is in the past.", details={"field": "expires_at"})
    if requested > longest:
        raise InvalidInput(
            f"A share lasts at most {settings.share_max_days} days.",
            details={"field": "expires_at", "maxDays": settings.share_max_days},
        )
    return requested


def _optional_text(value: str | None, limit: int, what: str) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidInput(f"The {what} is at most {limit} characters.", details={"field": what})
    return text or None


def create_share(
    session: Session, settings: Settings, user: User, request: ShareRequest, *, now: datetime
) -> Share:
    """A new share of the learner's chosen credentials and employment entries, in the
    order given (credentials first). Raises :class:`InvalidInput` for no items, too many,
    a repeated item or a bad expiry, and ``not_found`` for an item that is not the
    learner's."""
    if isinstance(request.credentials, str) or isinstance(request.employment, str):
        raise InvalidInput("Name the items to share as lists.")
    count = len(request.credentials) + len(request.employment)
    if count == 0:
        raise InvalidInput("Choose at least one credential or employment entry to share.")
    if count > MAX_SHARE_ITEMS:
        raise InvalidInput(f"A share holds at most {MAX_SHARE_ITEMS} items.")
    if len(set(request.credentials)) != len(request.credentials) or len(
        {str(e) for e in request.employment}
    ) != len(request.employment):
        raise InvalidInput("An item is chosen more than once.")
    expires_at = _expiry(settings, request.expires_at, now)
    held = record_items(session, user, list(request.credentials), now=now)
    entries = [get_entry(session, user, entry_id) for entry_id in request.employment]
    share = Share(
        user_id=user.id,
        token=secrets.token_urlsafe(_TOKEN_BYTES),
        title=_optional_text(request.title, _MAX_TITLE_CHARS, "title"),
        recipient_note=_optional_text(request.recipient_note, _MAX_NOTE_CHARS, "recipient_note"),
        expires_at=expires_at,
        view_count=0,
        created_at=now,
    )
    position = 0
    for item in held:
        share.items.append(
            ShareItem(
                position=position,
                kind=ShareItemKind.CREDENTIAL,
                credential_ref=item.key,
                credential_bytes=item.credential_bytes,
            )
        )
        position += 1
    for entry in entries:
        share.items.append(
            ShareItem(
                position=position, kind=ShareItemKind.EMPLOYMENT, employment_entry_id=entry.id
            )
        )
        position += 1
    session.add(share)
    session.flush()
    record(
        session,
        None,
        _user_actor(user),
        AuditAction.SHARE_CREATE,
        str(share.id),
        {
            "credentials": [item.key for item in held],
            "employmentEntries": [str(entry.id) for entry in entries],
            "expiresAt": expires_at.isoformat(),
        },
    )
    return share


def list_shares(session: Session, user: User) -> list[Share]:
    """The learner's shares, newest first (active, expired and revoked alike; see
    :func:`share_state`)."""
    return list(
        session.scalars(
            sa.select(Share)
            .where(Share.user_id == user.id)
            .order_by(Share.created_at.desc(), Share.id.desc())
            .options(selectinload(Share.items))
        )
    )


def get_share(session: Session, user: User, share_id: uuid.UUID | str) -> Share:
    """One of the learner's shares by its (internal) id; :class:`ShareNotFound` for an
    unknown id or another learner's share (not told apart)."""
    try:
        wanted = share_id if isinstance(share_id, uuid.UUID) else uuid.UUID(str(share_id))
    except ValueError:
        raise ShareNotFound("No such share.") from None
    share = session.get(Share, wanted)
    if share is None or share.user_id != user.id:
        raise ShareNotFound("No such share.")
    return share


def share_state(share: Share, now: datetime) -> ShareState:
    if share.revoked_at is not None:
        return "revoked"
    if share.expires_at <= now:
        return "expired"
    return "active"


def revoke_share(
    session: Session, user: User, share_id: uuid.UUID | str, *, now: datetime
) -> Share:
    """End a share now. Revoking a revoked share changes nothing."""
    share = get_share(session, user, share_id)
    if share.revoked_at is None:
        share.revoked_at = now
        session.flush()
        record(
            session,
            None,
            _user_actor(user),
            AuditAction.SHARE_REVOKE,
            str(share.id),
            {"viewCount": share.view_count},
        )
    return share


def update_share(
    session: Session,
    settings: Settings,
    user: User,
    share_id: uuid.UUID | str,
    *,
    now: datetime,
    title: str | None = None,
    recipient_note: str | None = None,
    expires_at: datetime | None = None,
) -> Share:
    """Change a share's title, recipient note (``""`` clears either) or expiry (within
    the longest expiry counted from ``now``; a revoked share cannot be given a new one).
    ``None`` leaves a field as it is. Audited as ``share.update``."""
    share = get_share(session, user, share_id)
    changed: dict[str, Any] = {}
    if title is not None:
        share.title = _optional_text(title, _MAX_TITLE_CHARS, "title")
        changed["title"] = True
    if recipient_note is not None:
        share.recipient_note = _optional_text(recipient_note, _MAX_NOTE_CHARS, "recipient_note")
        changed["recipientNote"] = True
    if expires_at is not None:
        if share.revoked_at is not None:
            raise InvalidInput("A revoked share cannot be extended; create a new one.")
        share.expires_at = _expiry(settings, expires_at, now)
        changed["expiresAt"] = share.expires_at.isoformat()
    if changed:
        session.flush()
        record(session, None, _user_actor(user), AuditAction.SHARE_UPDATE, str(share.id), changed)
    return share


def share_access_log(
    session: Session, user: User, share_id: uuid.UUID | str, *, limit: int = 200
) -> list[ShareAccess]:
    """The latest accesses to one of the learner's shares, newest first."""
    share = get_share(session, user, share_id)
    return list(
        session.scalars(
            sa.select(ShareAccess)
            .where(ShareAccess.share_id == share.id)
            .order_by(ShareAccess.at.desc(), ShareAccess.id.desc())
            .limit(max(1, min(limit, 1000)))
        )
    )


def share_url(settings: Settings, share: Share | str) -> str:
    """The share's public link."""
    token = share if isinstance(share, str) else share.token
    return settings.base_url + SHARE_PATH + token


def share_qr_svg(settings: Settings, share: Share, *, scale: int = 4) -> str:
    """An SVG QR code (error correction M) of the share's link, with a ``<title>`` for
    screen readers; no XML declaration, ready to inline in a page."""
    code = segno.make(share_url(settings, share), error="m", micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        scale=scale,
        border=4,
        xmldecl=False,
        title="QR code of the share link",
        svgclass="share-qr",
    )
    return out.getvalue().decode("utf-8")


# -- the recipient's side ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SharedCredential:
    """A shared credential as verified on this view."""

    position: int
    record_key: str
    #: The credential exactly as shared (JSON text or a compact JWS).
    credential_bytes: bytes
    summary: CredentialSummary
    verification: VerificationResult
    state: VerificationState
    #: The credential as JSON (for a VC-JWT, as decoded by the verifier), to render it.
    document: Mapping[str, Any] | None = None
    #: What the credential states about a job, for ``ext:Employment`` credentials.
    employment: EmploymentClaim | None = None

    @property
    def verified(self) -> bool:
        return self.state == "verified"

    @property
    def format(self) -> Literal["json", "jwt"]:
        return _format(self.credential_bytes)


@dataclass(frozen=True, slots=True)
class SharedView:
    """What a share's landing page shows.

    ``items`` in the learner's order (credentials, then self-asserted employment
    entries); ``employment`` the jobs among them: employment credentials (with their
    state on this view) and entries (``self_asserted``); ``skills`` the skills of the
    shared credentials that verified on this view."""

    share_id: uuid.UUID
    title: str | None
    recipient_note: str | None
    holder_name: str
    holder_did: str | None
    created_at: datetime
    expires_at: datetime
    view_count: int
    credentials: tuple[SharedCredential, ...]
    employment: tuple[EmploymentItem, ...]
    skills: SkillsProfile
    items: tuple[SharedCredential | EmploymentItem, ...] = field(default=())


def _valid_token(token: str) -> bool:
    return isinstance(token, str) and _TOKEN.match(token) is not None


def open_share(session: Session, token: str, *, now: datetime) -> Share:
    """The share behind a public link, if it can be shown now: :class:`ShareNotFound`,
    :class:`ShareExpired` or :class:`ShareRevoked` otherwise. Records nothing."""
    if not _valid_token(token):
        raise ShareNotFound("This share link does not exist.")
    share = session.scalar(
        sa.select(Share).where(Share.token == token).options(selectinload(Share.items))
    )
    if share is None or not share.user.is_active:
        raise ShareNotFound("This share link does not exist.")
    state = share_state(share, now)
    if state == "revoked":
        raise ShareRevoked("This share link was withdrawn by the learner.")
    if state == "expired":
        raise ShareExpired("This share link has expired; ask the learner for a new one.")
    return share


def _format(data: bytes) -> Literal["json", "jwt"]:
    return "json" if data.lstrip()[:1] == b"{" else "jwt"


def _shared_credential(
    item: ShareItem, verifier: Verifier, now: datetime
) -> tuple[SharedCredential, Mapping[str, Any] | None]:
    data = item.credential_bytes or b""
    result = verifier.verify(data, now=now)
    document: Mapping[str, Any] | None = None
    if _format(data) == "json":
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        document = parsed if isinstance(parsed, Mapping) else None
    elif isinstance(result.document, Mapping):
        document = result.document
    employment = employment_from_credential(document) if document is not None else None
    shared = SharedCredential(
        position=item.position,
        record_key=item.credential_ref or "",
        credential_bytes=data,
        summary=summarize(document),
        verification=result,
        state=state_from_report(result.to_dict()),
        document=document,
        employment=employment,
    )
    return shared, document


def _build_view(session: Session, share: Share, verifier: Verifier, now: datetime) -> SharedView:
    credentials: list[SharedCredential] = []
    held: list[HeldCredential] = []
    employment: list[EmploymentItem] = []
    items: list[SharedCredential | EmploymentItem] = []
    for item in share.items:
        if item.kind is ShareItemKind.CREDENTIAL:
            shared, document = _shared_credential(item, verifier, now)
            credentials.append(shared)
            items.append(shared)
            if document is not None:
                held.append(HeldCredential(shared.record_key, document, shared.verified))
            if shared.employment is not None:
                employment.append(
                    credential_item(shared.employment, state=shared.state, key=shared.record_key)
                )
        elif item.employment_entry is not None:
            entry = entry_item(item.employment_entry)
            employment.append(entry)
            items.append(entry)
    user = share.user
    try:
        did: str | None = holder_did(session, user)
    except OpenlerError:
        did = None
    return SharedView(
        share_id=share.id,
        title=share.title,
        recipient_note=share.recipient_note,
        holder_name=user.display_name or user.email,
        holder_did=did,
        created_at=share.created_at,
        expires_at=share.expires_at,
        view_count=share.view_count,
        credentials=tuple(credentials),
        employment=tuple(employment),
        skills=build_skills_profile(held),
        items=tuple(items),
    )


def _log_access(
    session: Session,
    share: Share,
    kind: ShareAccessKind,
    client: ClientInfo | None,
    now: datetime,
) -> None:
    client = client or ClientInfo()
    session.add(
        ShareAccess(
            share_id=share.id,
            at=now,
            kind=kind,
            client_network=client.network,
            client_agent=client.agent[:100] if client.agent else None,
        )
    )


def view_share(
    session: Session,
    verifier: Verifier,
    token: str,
    *,
    now: datetime,
    client: ClientInfo | None = None,
) -> SharedView:
    """The landing page of a share link: every shared credential verified now, the
    employment entries, the skills summary. Counts the view, logs the access and audits
    it (in the caller's transaction: commit it). Raises :class:`ShareNotFound`,
    :class:`ShareExpired` or :class:`ShareRevoked`."""
    share = open_share(session, token, now=now)
    # One statement, so concurrent views are all counted.
    session.execute(
        sa.update(Share)
        .where(Share.id == share.id)
        .values(view_count=Share.view_count + 1, last_viewed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire(share, ["view_count", "last_viewed_at"])
    _log_access(session, share, ShareAccessKind.VIEW, client, now)
    record(session, None, SYSTEM, AuditAction.SHARE_VIEW, str(share.id), {"via": "link"})
    session.flush()
    return _build_view(session, share, verifier, now)


def preview_share(
    session: Session, verifier: Verifier, user: User, share_id: uuid.UUID | str, *, now: datetime
) -> SharedView:
    """The landing page of one of the learner's own shares, whatever its state, as the
    recipient would see it; not counted, logged or audited."""
    return _build_view(session, get_share(session, user, share_id), verifier, now)


def _presented(item: ShareItem) -> dict[str, Any] | str:
    data = item.credential_bytes or b""
    if _format(data) == "json":
        value = json.loads(data)
        if isinstance(value, dict):
            return value
        raise InvalidInput("A shared credential is not a JSON object.")
    return data.decode("ascii").strip()


def share_presentation(
    session: Session,
    keystore: KeyStore,
    token: str,
    *,
    challenge: str,
    domain: str | None = None,
    now: datetime,
    client: ClientInfo | None = None,
) -> dict[str, Any]:
    """A VerifiablePresentation of the share's credentials, signed by the learner's
    holder key over the verifier's ``challenge`` and ``domain`` (see the module
    docstring). Logs and audits the request. Raises :class:`ShareNotFound`,
    :class:`ShareExpired`, :class:`ShareRevoked`, or :class:`InvalidInput` for a missing
    or oversized challenge or domain, or a share without credentials."""
    if not isinstance(challenge, str) or not challenge.strip():
        raise InvalidInput(
            "A presentation is made for a verifier's challenge: give one.",
            details={"field": "challenge"},
        )
    if len(challenge) > _MAX_CHALLENGE_CHARS or (
        domain is not None and len(domain) > _MAX_CHALLENGE_CHARS
    ):
        raise InvalidInput(
            f"The challenge and domain are at most {_MAX_CHALLENGE_CHARS} characters."
        )
    if domain is not None and not domain.strip():
        domain = None
    share = open_share(session, token, now=now)
    credentials = [
        _presented(item) for item in share.items if item.kind is ShareItemKind.CREDENTIAL
    ]
    if not credentials:
        raise InvalidInput("This share holds no credentials to present.")
    user = share.user
    unsigned = create_presentation(
        credentials, holder=holder_did(session, user), presentation_id=f"urn:uuid:{uuid.uuid4()}"
    )
    signed = sign_presentation(
        unsigned,
        holder_signer(session, keystore, user),
        challenge=challenge,
        domain=domain,
        created=now,
    )
    _log_access(session, share, ShareAccessKind.PRESENTATION, client, now)
    record(
        session,
        None,
        SYSTEM,
        AuditAction.SHARE_PRESENT,
        str(share.id),
        {"domain": domain[:200] if domain else None},
    )
    session.flush()
    return signed
