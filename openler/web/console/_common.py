"""What the console's pages share: the role dependencies, the audit actor of the
signed-in user, savepoints for form submissions, flash messages and paging."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Final

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from openler.api.deps import get_keystore
from openler.config import Settings
from openler.services.audit import Actor
from openler.services.keystore import KeyStore
from openler.store import paging
from openler.store.models.enums import ActorType, Role
from openler.store.paging import Cursor
from openler.web.auth import OrgAccess, require_role
from openler.web.templating import render

__all__ = [
    "PAGE_SIZE",
    "Admin",
    "Issuer",
    "KeyStoreDep",
    "Viewer",
    "actor_of",
    "clock",
    "console_page",
    "decode_cursor",
    "parse_date",
    "redirect",
    "savepoint",
    "settings_of",
]

#: Anyone of the organization (viewer and up) / issuers and admins / admins only.
Viewer = Annotated[OrgAccess, Depends(require_role(Role.VIEWER))]
Issuer = Annotated[OrgAccess, Depends(require_role(Role.ISSUER))]
Admin = Annotated[OrgAccess, Depends(require_role(Role.ADMIN))]
KeyStoreDep = Annotated[KeyStore, Depends(get_keystore)]

PAGE_SIZE: Final = 25

#: What a page says after a successful change (``?done=<key>``: never echoes input).
FLASH: Final[Mapping[str, str]] = {
    "created": "The draft was saved.",
    "saved": "The draft was saved.",
    "new-version": "A new draft version was started; the published version is unchanged.",
    "published": "The achievement is published: it can be issued now and will not change.",
    "issued": "The credential was issued and signed.",
    "revoked": "The credential was revoked. Verifiers see it on their next status check.",
    "suspended": "The credential was suspended. Verifiers see it on their next status check.",
    "unsuspended": "The suspension was lifted.",
    "rotated": "A new signing key is active. The old one stays in the DID document.",
    "endorsed": "The endorsement was issued and signed.",
    "trust-added": "The issuer was added to the trust registry.",
    "trust-removed": "The issuer is no longer trusted (the entry is kept for the record).",
    "member-added": "The member was added.",
    "member-changed": "The role was changed.",
    "member-removed": "The member was removed from the organization.",
}


def actor_of(access: OrgAccess) -> Actor:
    """The audit log's actor for what the signed-in user does."""
    return Actor(ActorType.USER, str(access.user.id))


def clock(request: Request) -> datetime:
    now: Callable[[], datetime] = request.app.state.clock
    return now()


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """Run a change in a SAVEPOINT: when it raises, everything it did is undone, and the
    page can answer with the form again (the request's transaction still commits)."""
    with session.begin_nested():
        yield


def console_page(
    request: Request,
    access: OrgAccess,
    template: str,
    section: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """A console page: the organization, the user's role and the section for the sub-nav."""
    done = request.query_params.get("done")
    return render(
        request,
        template,
        {
            "access": access,
            "org": access.org,
            "role": access.role.value,
            "may_issue": access.may(Role.ISSUER),
            "is_admin": access.may(Role.ADMIN),
            "may_curate": access.may(Role.ADMIN)
            and settings_of(request).may_curate_trust(access.org.slug),
            "section": section,
            "flash": FLASH.get(done or ""),
            **(context or {}),
        },
        status_code=status_code,
    )


def redirect(url: str) -> RedirectResponse:
    """After a successful POST: see the result with a GET (303)."""
    return RedirectResponse(url, status_code=303)


def decode_cursor(cursor: str | None) -> Cursor | None:
    """A cursor handed out by :func:`~openler.store.paging.encode_cursor`; in a page's
    query string anything else counts as none (the first page)."""
    try:
        return paging.decode_cursor(cursor)
    except paging.InvalidCursor:
        return None


def parse_date(value: str | None, *, end_of_day: bool = False) -> datetime | None:
    """``YYYY-MM-DD`` (a date input) as a UTC datetime; ``None`` for empty or malformed."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
    return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
