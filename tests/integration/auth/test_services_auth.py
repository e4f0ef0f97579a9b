"""The credentials themselves: how client secrets and API keys are made, stored, checked,
revoked and audited (in a rolled-back transaction, on SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from openler.config import Settings
from openler.core.errors import InvalidInput
from openler.services.audit import Actor
from openler.services.auth import (
    SCOPES,
    InvalidClient,
    InvalidScope,
    InvalidToken,
    authenticate_client,
    create_api_client,
    create_api_key,
    issue_access_token,
    revoke_api_client,
    revoke_api_key,
    verify_access_token,
    verify_api_key,
)
from openler.services.keystore import KeyStore
from openler.services.organizations import create_organization
from openler.store.models import ActorType, AuditEvent, Organization
from tests.integration.auth.conftest import START

ADMIN = Actor(ActorType.USER, "admin@example.org")


@pytest.fixture
def org(db_session: Session, settings: Settings, keystore: KeyStore) -> Organization:
    return create_organization(db_session, settings, keystore, slug="riverside", name="R")


def _actions(session: Session, org: Organization) -> list[str]:
    return list(
        session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.organization_id == org.id, AuditEvent.action.like("api_%")
            )
        )
    )


def test_client_secret_is_random_shown_once_and_stored_as_scrypt(
    db_session: Session, org: Organization
) -> None:
    client, secret = create_api_client(
        db_session, org, name="sis", scopes=["credentials:issue"], actor=ADMIN
    )
    other, other_secret = create_api_client(
        db_session, org, name="lms", scopes=["credentials:read"], actor=ADMIN
    )
    assert len(secret) >= 43  # 256 bits, base64url
    assert secret != other_secret
    assert client.client_id != other.client_id
    assert re.fullmatch(r"scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}", client.secret_hash)
    assert secret not in client.secret_hash
    salt = client.secret_hash.split("$")[4]
    assert salt != other.secret_hash.split("$")[4]  # a salt per secret
    assert authenticate_client(db_session, client.client_id, secret) is client
    for client_id, attempt in [
        (client.client_id, other_secret),
        (client.client_id, ""),
        ("nobody", secret),
        (client.client_id, "x" * 10_000),
    ]:
        with pytest.raises(InvalidClient) as caught:
            authenticate_client(db_session, client_id, attempt)
        assert caught.value.message == "Client authentication failed."


def test_scopes_are_validated(db_session: Session, org: Organization) -> None:
    for scopes in (["credentials:issue", "root"], [], ["ADMIN"]):
        with pytest.raises(InvalidScope):
            create_api_client(db_session, org, name="x", scopes=scopes, actor=ADMIN)
        with pytest.raises(InvalidScope):
            create_api_key(db_session, org, name="x", scopes=scopes, actor=ADMIN)
    client, _ = create_api_client(
        db_session, org, name="x", scopes=["audit:read", "org:admin", "audit:read"], actor=ADMIN
    )
    assert client.scopes == ["org:admin", "audit:read"]  # deduplicated, in SCOPES order
    assert set(SCOPES) >= set(client.scopes)


def test_access_token_claims_and_lifetime(
    db_session: Session, org: Organization, settings: Settings, keystore: KeyStore
) -> None:
    client, _ = create_api_client(db_session, org, name="x", scopes=["audit:read"], actor=ADMIN)
    access = issue_access_token(db_session, settings, keystore, client, now=START)
    assert access.expires_in == 3600
    assert access.token not in repr(access)
    grant = verify_access_token(db_session, settings, keystore, access.token, now=START)
    assert (grant.organization_id, grant.scopes) == (org.id, frozenset({"audit:read"}))
    assert grant.actor == Actor(ActorType.API_CLIENT, client.client_id)
    later = START + timedelta(hours=1)
    with pytest.raises(InvalidToken):
        verify_access_token(db_session, settings, keystore, access.token, now=later)
    elsewhere = Settings(env="test", base_url="https://other.example")
    with pytest.raises(InvalidToken):
        verify_access_token(db_session, elsewhere, keystore, access.token, now=START)


def test_api_key_format_hash_expiry_and_revocation(db_session: Session, org: Organization) -> None:
    key, token = create_api_key(
        db_session,
        org,
        name="ci",
        scopes=["credentials:read"],
        expires_at=START + timedelta(days=30),
        actor=ADMIN,
        now=START,
    )
    assert re.fullmatch(r"olr_[0-9a-f]{16}_[\w-]{43}", token)
    assert token.split("_")[1] == key.prefix
    assert re.fullmatch(r"sha256\$[0-9a-f]{64}", key.key_hash)
    assert token.split("_", 2)[2] not in key.key_hash
    grant = verify_api_key(db_session, token, now=START)
    assert grant.actor == Actor(ActorType.API_KEY, key.prefix)
    assert key.last_used_at == START
    with pytest.raises(InvalidToken):
        verify_api_key(db_session, token, now=START + timedelta(days=30))
    with pytest.raises(InvalidToken):
        verify_api_key(db_session, token.replace("olr_", "olr-"), now=START)
    revoke_api_key(db_session, org, key.prefix, actor=ADMIN)
    revoke_api_key(db_session, org, key.prefix, actor=ADMIN)  # twice: recorded once
    with pytest.raises(InvalidToken):
        verify_api_key(db_session, token, now=START)
    with pytest.raises(InvalidInput):
        create_api_key(
            db_session,
            org,
            name="x",
            scopes=["audit:read"],
            actor=ADMIN,
            expires_at=START - timedelta(seconds=1),
            now=START,
        )


def test_creation_and_revocation_are_audited(db_session: Session, org: Organization) -> None:
    client, secret = create_api_client(
        db_session, org, name="sis", scopes=["credentials:issue"], actor=ADMIN
    )
    key, token = create_api_key(db_session, org, name="ci", scopes=["audit:read"], actor=ADMIN)
    revoke_api_client(db_session, org, client.client_id, actor=ADMIN)
    revoke_api_client(db_session, org, client.client_id, actor=ADMIN)
    revoke_api_key(db_session, org, key.prefix, actor=ADMIN)
    db_session.flush()
    assert sorted(_actions(db_session, org)) == [
        "api_client.create",
        "api_client.revoke",
        "api_key.create",
        "api_key.revoke",
    ]
    events = db_session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.organization_id == org.id, AuditEvent.action.like("api_%")
        )
    ).all()
    assert {e.actor_id for e in events} == {"admin@example.org"}
    assert all(secret not in repr(e.details) and token not in repr(e.details) for e in events)
    with pytest.raises(InvalidClient):
        authenticate_client(db_session, client.client_id, secret)
