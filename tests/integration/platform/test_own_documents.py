"""With no resolver given, the application verifies its own organizations' credentials
from its database (no HTTP to itself) and still refuses to fetch anything else over
plain HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from openler.api import create_app
from openler.config import Settings
from tests.integration.api._client import TestClient
from tests.integration.platform.conftest import (
    KEYSTORE,
    Platform,
    RolledBackDatabase,
    achievement_json,
)

# Development-style settings: a plain-http loopback origin, which the HTTPS resolver
# would refuse, so only the database path can make these credentials verify.
LOCAL = Settings(env="test", base_url="http://localhost:8000")


@pytest.fixture
def local_platform(db_engine: Engine) -> Iterator[Platform]:
    connection = db_engine.connect()
    transaction = connection.begin()
    sessions = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    database = RolledBackDatabase(db_engine, sessions)
    app = create_app(LOCAL, database=database, keystore=KEYSTORE, rate_limit=None)
    client = TestClient(app)
    try:
        yield Platform(app=app, client=client, database=database)
    finally:
        client.close()
        transaction.rollback()
        connection.close()


def test_own_credentials_verify_and_revocation_shows(local_platform: Platform) -> None:
    from openler.services.organizations import create_organization

    with local_platform.database.session_scope() as session:
        org = create_organization(session, LOCAL, KEYSTORE, slug="local", name="Local College")
    local_platform.act_as(org)
    body = {"logicalId": "welding-1", "achievement": achievement_json()}
    assert local_platform.client.post("/api/v1/achievements", json=body).status_code == 201
    assert local_platform.client.post("/api/v1/achievements/welding-1/publish").status_code == 200
    issued = local_platform.client.post(
        "/api/v1/credentials",
        json={"achievement": "welding-1", "recipient": {"email": "ada@example.org"}},
    )
    assert issued.status_code == 201, issued.text
    credential = issued.json()["credential"]
    assert credential["issuer"]["id"] == "did:web:localhost%3A8000:orgs:local"
    verified = local_platform.client.post(
        "/credentials/verify", json={"verifiableCredential": credential}
    )
    assert verified.status_code == 200, verified.text
    assert "status" in verified.json()["checks"]
    credential_id = credential["id"]
    revoked = local_platform.client.post(
        f"/api/v1/credentials/{credential_id}/revoke", json={"reason": "test"}
    )
    assert revoked.status_code == 200, revoked.text
    again = local_platform.client.post(
        "/credentials/verify", json={"verifiableCredential": credential}
    )
    assert again.status_code == 400
    assert [e["code"] for e in again.json()["errors"]] == ["revoked"]
    # Verifying read the changed list without writing its new signature (a reader inside
    # another request's transaction must not write); the public URL stores it.
    import sqlalchemy as sa

    from openler.store.models import StatusList

    def stored() -> tuple[int, int | None]:
        with local_platform.database.session_scope() as session:
            row = session.scalars(sa.select(StatusList)).one()
            return row.version, row.signed_version

    version, signed_version = stored()
    assert signed_version != version
    path = credential["credentialStatus"]["statusListCredential"].removeprefix(
        "http://localhost:8000"
    )
    assert local_platform.client.get(path).status_code == 200
    assert stored() == (version, version)
