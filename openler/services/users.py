"""People and their roles per organization: users, memberships (admin, issuer, viewer),
password checks and the scopes each role grants.

- **Users** have a unique e-mail address (stored lower-cased), a display name and,
  optionally, a password (at least :data:`MIN_PASSWORD_LENGTH` characters) stored as the
  same salted scrypt hash as API client secrets (:func:`openler.services.auth.
  hash_client_secret`). A user made without a password has none (an empty hash that no
  password matches) until one is set; signing in comes with the web console.
- **Memberships** give a user one :class:`~openler.store.models.Role` in one
  organization. Every change is audited as ``membership.change`` with the old and new
  role (``null`` for none). An organization's last admin can be neither demoted nor
  removed (:class:`LastAdmin`, 409), so an organization that has admins keeps one.
- :func:`scopes_for_role` maps a role to the API scopes a signed-in member acts with.

Errors::

    OpenlerError
    ├── MemberNotFound   not_found  no such user, or not a member of the organization
    ├── UserExists       conflict   the e-mail address is taken
    ├── MemberExists     conflict   the user already belongs to the organization
    ├── LastAdmin        conflict   the change would leave the organization without an admin
    └── InvalidInput     invalid_input  a bad e-mail address, password, name or role
"""

from __future__ import annotations

import functools
import re
import secrets
import uuid
from collections.abc import Mapping
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.core.errors import InvalidInput, OpenlerError
from openler.services.audit import Actor, record
from openler.services.auth import SCOPES, check_client_secret, hash_client_secret
from openler.store.models import AuditAction, Membership, Organization, Role, User

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "LastAdmin",
    "MemberExists",
    "MemberNotFound",
    "UserExists",
    "add_member",
    "change_role",
    "create_user",
    "find_user",
    "get_member",
    "members",
    "parse_role",
    "remove_member",
    "scopes_for_role",
    "verify_password",
]

MIN_PASSWORD_LENGTH: Final = 12
_MAX_PASSWORD_LENGTH: Final = 1024
_MAX_EMAIL_LENGTH: Final = 320
_MAX_NAME_LENGTH: Final = 200
#: A pragmatic shape check (one ``@``, a dot in the domain, no spaces); delivery is the
#: real test of an address.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Stored for a user without a password: not a valid hash, so no password matches it.
_NO_PASSWORD: Final = ""


class MemberNotFound(OpenlerError):
    code = "not_found"


class UserExists(OpenlerError):
    code = "conflict"


class MemberExists(OpenlerError):
    code = "conflict"


class LastAdmin(OpenlerError):
    code = "conflict"


_ROLE_SCOPES: Final[Mapping[Role, frozenset[str]]] = {
    Role.ADMIN: frozenset(SCOPES),
    Role.ISSUER: frozenset(
        {
            "achievements:read",
            "achievements:write",
            "credentials:read",
            "credentials:issue",
            "credentials:status",
            "endorsements:write",
        }
    ),
    Role.VIEWER: frozenset({"achievements:read", "credentials:read", "audit:read"}),
}


def scopes_for_role(role: Role | str) -> frozenset[str]:
    """The API scopes a member with ``role`` acts with (admin: every scope)."""
    return _ROLE_SCOPES[parse_role(role)]


def parse_role(role: Role | str) -> Role:
    """``role`` as a :class:`Role`; :class:`InvalidInput` for anything else."""
    try:
        return Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(
            f"Unknown role {str(role)[:50]!r}; one of {known}.", details={"role": str(role)[:50]}
        ) from None


def normalize_email(email: str) -> str:
    value = email.strip().lower()
    if len(value) > _MAX_EMAIL_LENGTH or not _EMAIL.match(value):
        raise InvalidInput("Not a valid e-mail address.", details={"email": value[:100]})
    return value


def _check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= _MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"A password needs {MIN_PASSWORD_LENGTH} to {_MAX_PASSWORD_LENGTH} characters."
        )


# -- users ----------------------------------------------------------------------------


def find_user(session: Session, email: str) -> User | None:
    """The user with this e-mail address (any case), or None."""
    value = email.strip().lower()
    if not value or len(value) > _MAX_EMAIL_LENGTH:
        return None
    return session.scalar(sa.select(User).where(User.email == value))


def create_user(
    session: Session, *, email: str, display_name: str | None = None, password: str | None = None
) -> User:
    """A new user. Without ``password`` the user has none (and cannot sign in until one
    is set); without ``display_name`` the part of the address before ``@`` is used."""
    address = normalize_email(email)
    name = (display_name or "").strip() or address.split("@", 1)[0]
    if len(name) > _MAX_NAME_LENGTH:
        raise InvalidInput(f"A display name has at most {_MAX_NAME_LENGTH} characters.")
    if password is not None:
        _check_password(password)
    if find_user(session, address) is not None:
        raise UserExists(f"A user with the address {address} exists already.")
    user = User(
        email=address,
        display_name=name,
        password_hash=hash_client_secret(password) if password is not None else _NO_PASSWORD,
        is_active=True,
    )
    session.add(user)
    session.flush()
    return user


@functools.cache
def _dummy_hash() -> str:
    """Checked against for unknown addresses, so that the answer takes as long as for a
    wrong password and does not tell which addresses exist."""
    return hash_client_secret(secrets.token_urlsafe(32))


def verify_password(session: Session, email: str, password: str) -> User | None:
    """The active user with this address and password, or None (same work and time for an
    unknown address, a user without a password and a wrong password)."""
    user = find_user(session, email)
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    candidate = password if len(password) <= _MAX_PASSWORD_LENGTH else ""
    matches = check_client_secret(candidate, stored)
    if user is None or not user.password_hash or not matches or not user.is_active:
        return None
    return user


# -- memberships ----------------------------------------------------------------------


def _subject(user: User) -> str:
    return f"user:{user.id}"


def _audit(
    session: Session,
    org: Organization,
    actor: Actor | None,
    user: User,
    old: Role | None,
    new: Role | None,
) -> None:
    record(
        session,
        org,
        actor,
        AuditAction.MEMBERSHIP_CHANGE,
        _subject(user),
        {
            "email": user.email,
            "oldRole": old.value if old is not None else None,
            "newRole": new.value if new is not None else None,
        },
    )


def members(session: Session, org: Organization) -> list[Membership]:
    """The organization's memberships (with their users), by e-mail address."""
    return list(
        session.scalars(
            sa.select(Membership)
            .join(User, Membership.user_id == User.id)
            .where(Membership.organization_id == org.id)
            .order_by(User.email)
        )
    )


def get_member(session: Session, org: Organization, user_id: uuid.UUID | str) -> Membership:
    """The membership of user ``user_id`` in ``org``; :class:`MemberNotFound` otherwise
    (also for a user of another organization: its existence is not told)."""
    try:
        uid = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        raise MemberNotFound(f"No member {str(user_id)[:50]!r} in {org.slug}.") from None
    membership = session.scalar(
        sa.select(Membership).where(Membership.organization_id == org.id, Membership.user_id == uid)
    )
    if membership is None:
        raise MemberNotFound(f"No member {uid} in {org.slug}.")
    return membership


def _admin_count(session: Session, org: Organization) -> int:
    # The admins' rows are locked (PostgreSQL; SQLite writers hold the database lock), so
    # two concurrent demotions cannot both see "another admin is left".
    rows = session.scalars(
        sa.select(Membership.id)
        .where(Membership.organization_id == org.id, Membership.role == Role.ADMIN)
        .with_for_update()
    )
    return len(list(rows))


def add_member(
    session: Session, org: Organization, user: User, role: Role | str, actor: Actor | None
) -> Membership:
    """Give ``user`` ``role`` in ``org``; :class:`MemberExists` if they have one already."""
    wanted = parse_role(role)
    existing = session.scalar(
        sa.select(Membership).where(
            Membership.organization_id == org.id, Membership.user_id == user.id
        )
    )
    if existing is not None:
        raise MemberExists(f"{user.email} is a member of {org.slug} already.")
    membership = Membership(organization_id=org.id, user_id=user.id, role=wanted)
    session.add(membership)
    session.flush()
    _audit(session, org, actor, user, None, wanted)
    return membership


def change_role(
    session: Session,
    org: Organization,
    user_id: uuid.UUID | str,
    role: Role | str,
    actor: Actor | None,
) -> Membership:
    """Give a member another role (the same role again changes and records nothing);
    :class:`LastAdmin` when it would demote the organization's last admin."""
    wanted = parse_role(role)
    membership = get_member(session, org, user_id)
    old = membership.role
    if old == wanted:
        return membership
    if old == Role.ADMIN and _admin_count(session, org) <= 1:
        raise LastAdmin(f"{membership.user.email} is the last admin of {org.slug}.")
    membership.role = wanted
    session.flush()
    _audit(session, org, actor, membership.user, old, wanted)
    return membership


def remove_member(
    session: Session, org: Organization, user_id: uuid.UUID | str, actor: Actor | None
) -> None:
    """End a membership (the user stays, for other organizations); :class:`LastAdmin`
    when it is the organization's last admin."""
    membership = get_member(session, org, user_id)
    if membership.role == Role.ADMIN and _admin_count(session, org) <= 1:
        raise LastAdmin(f"{membership.user.email} is the last admin of {org.slug}.")
    user, old = membership.user, membership.role
    session.delete(membership)
    session.flush()
    _audit(session, org, actor, user, old, None)
