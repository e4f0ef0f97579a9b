"""Users and memberships in the database (SQLite and PostgreSQL): passwords are stored only
hashed and checked in constant time, the last admin stays, roles map to scopes; and
``openler user create`` on a fresh SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from openler.cli import app
from openler.config import Settings
from openler.core.errors import InvalidInput
from openler.services.auth import SCOPES
from openler.services.keystore import DevelopmentSecretWarning, KeyStore
from openler.services.organizations import create_organization
from openler.services.users import (
    LastAdmin,
    MemberExists,
    MemberNotFound,
    UserExists,
    add_member,
    change_role,
    create_user,
    members,
    remove_member,
    scopes_for_role,
    verify_password,
)
from openler.store.db import Database
from openler.store.models import AuditEvent, Membership, Organization, Role, User
from tests.unit.cli.conftest import one_error_line

SETTINGS = Settings(base_url="https://issuer.example", env="test")
KEYSTORE = KeyStore("an-encryption-secret-for-tests-only-0123456789")
PASSWORD = "a long enough passphrase"


def _org(session: Session, slug: str = "riverside") -> Organization:
    return create_organization(session, SETTINGS, KEYSTORE, slug=slug, name=slug.title())


def test_passwords_are_hashed_and_checked(db_session: Session) -> None:
    user = create_user(db_session, email=" Ada@Example.ORG", display_name="Ada", password=PASSWORD)
    assert user.email == "ada@example.org"
    stored = db_session.scalar(sa.select(User.password_hash).where(User.id == user.id))
    assert stored is not None
    assert PASSWORD not in stored
    assert stored.startswith("scrypt$")

    assert verify_password(db_session, "ADA@example.org", PASSWORD) is user
    assert verify_password(db_session, "ada@example.org", PASSWORD + "x") is None
    assert verify_password(db_session, "nobody@example.org", PASSWORD) is None
    assert verify_password(db_session, "ada@example.org", "") is None

    user.is_active = False
    assert verify_password(db_session, "ada@example.org", PASSWORD) is None

    nopass = create_user(db_session, email="bob@example.org")
    assert nopass.password_hash == ""
    assert nopass.display_name == "bob"
    assert verify_password(db_session, "bob@example.org", "") is None
    assert verify_password(db_session, "bob@example.org", PASSWORD) is None


def test_user_input_is_validated(db_session: Session) -> None:
    create_user(db_session, email="ada@example.org")
    with pytest.raises(UserExists):
        create_user(db_session, email="ADA@example.org")
    with pytest.raises(InvalidInput):
        create_user(db_session, email="carol@example.org", password="short")
    with pytest.raises(InvalidInput):
        create_user(db_session, email="no-at-sign")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_memberships_and_the_last_admin(db_session: Session) -> None:
    org = _org(db_session)
    ada = create_user(db_session, email="ada@example.org")
    bob = create_user(db_session, email="bob@example.org")
    add_member(db_session, org, ada, Role.ADMIN, None)
    add_member(db_session, org, bob, "viewer", None)
    with pytest.raises(MemberExists):
        add_member(db_session, org, bob, "issuer", None)
    with pytest.raises(InvalidInput):
        change_role(db_session, org, bob.id, "owner", None)
    with pytest.raises(LastAdmin):
        change_role(db_session, org, ada.id, Role.VIEWER, None)
    with pytest.raises(LastAdmin):
        remove_member(db_session, org, ada.id, None)
    with pytest.raises(MemberNotFound):
        remove_member(db_session, _org(db_session, "hillcrest"), bob.id, None)

    change_role(db_session, org, bob.id, Role.ADMIN, None)
    remove_member(db_session, org, ada.id, None)
    assert [(m.user.email, m.role) for m in members(db_session, org)] == [
        ("bob@example.org", Role.ADMIN)
    ]
    details = [
        (e.details["oldRole"], e.details["newRole"])
        for e in db_session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "membership.change")
            .order_by(AuditEvent.at)
        )
    ]
    assert details == [(None, "admin"), (None, "viewer"), ("viewer", "admin"), ("admin", None)]


def test_role_scopes() -> None:
    assert scopes_for_role(Role.ADMIN) == frozenset(SCOPES)
    assert scopes_for_role("issuer") == {
        "achievements:read",
        "achievements:write",
        "credentials:read",
        "credentials:issue",
        "credentials:status",
        "endorsements:write",
    }
    assert scopes_for_role("viewer") == {"achievements:read", "credentials:read", "audit:read"}
    assert all(scopes_for_role(role) <= set(SCOPES) for role in Role)
    with pytest.raises(InvalidInput):
        scopes_for_role("owner")


# -- openler user create ----------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENLER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPENLER_DATABASE_URL", f"sqlite:///{tmp_path / 'users.sqlite3'}")
    monkeypatch.setenv("OPENLER_BASE_URL", "https://badges.example")
    for name in ("OPENLER_SECRET_KEY", "OPENLER_ENV", "OPENLER_USER_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_user_create(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    with pytest.warns(DevelopmentSecretWarning):
        created = CliRunner().invoke(app, ["org", "create", "acme", "--name", "Acme"])
    assert created.exit_code == 0, created.output

    monkeypatch.setenv("OPENLER_USER_PASSWORD", PASSWORD)
    args = ["user", "create", "--email", "Ada@Example.org", "--org", "acme", "--role", "admin"]
    result = CliRunner().invoke(app, [*args, "--name", "Ada"])
    assert result.exit_code == 0, result.output
    assert "ada@example.org" in result.stdout
    assert PASSWORD not in result.output

    database = Database.from_settings(Settings())
    try:
        with database.session_scope() as session:
            user = verify_password(session, "ada@example.org", PASSWORD)
            assert user is not None
            assert user.display_name == "Ada"
            roles = [m.role for m in session.scalars(sa.select(Membership))]
            assert roles == [Role.ADMIN]
    finally:
        database.dispose()

    assert "[conflict]" in one_error_line(CliRunner().invoke(app, args))
    assert "[not_found]" in one_error_line(
        CliRunner().invoke(
            app, ["user", "create", "--email", "b@x.org", "--org", "nobody", "--role", "viewer"]
        )
    )
    assert "[invalid_input]" in one_error_line(
        CliRunner().invoke(
            app, ["user", "create", "--email", "b@x.org", "--org", "acme", "--role", "owner"]
        )
    )
    monkeypatch.setenv("OPENLER_USER_PASSWORD", "short")
    assert "[invalid_input]" in one_error_line(
        CliRunner().invoke(
            app, ["user", "create", "--email", "b@x.org", "--org", "acme", "--role", "viewer"]
        )
    )


def test_cli_user_create_prompts_for_the_password(env: Path) -> None:
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    with pytest.warns(DevelopmentSecretWarning):
        CliRunner().invoke(app, ["org", "create", "acme", "--name", "Acme"])
    result = CliRunner().invoke(
        app,
        ["user", "create", "--email", "bob@example.org", "--org", "acme", "--role", "issuer"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    database = Database.from_settings(Settings())
    try:
        with database.session_scope() as session:
            assert verify_password(session, "bob@example.org", PASSWORD) is not None
    finally:
        database.dispose()
