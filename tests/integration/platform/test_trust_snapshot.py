"""The in-memory registry snapshot used on the verification hot path: changes made in
this process show at once, changes from elsewhere within the snapshot's TTL."""

from __future__ import annotations

from openler.services.trust import RegistrySnapshot, TrustEntryRequest, add_entry
from openler.store.models import TrustedIssuer
from tests.integration.platform.conftest import Platform


def test_snapshot_sees_own_changes_at_once_and_others_after_ttl(platform: Platform) -> None:
    org = platform.org("operator")
    now = [0.0]
    snapshot = RegistrySnapshot(ttl=30.0, clock=lambda: now[0])
    assert dict(snapshot.entries(platform.database)) == {}
    with platform.database.session_scope() as session:
        add_entry(session, org, TrustEntryRequest("did:web:college.example", "A College"))
    assert "did:web:college.example" in snapshot.entries(platform.database)
    # A row written by another process (no change counter bump here) ...
    with platform.database.session_scope() as session:
        session.add(TrustedIssuer(issuer_id="did:web:other.example", name="Other"))
    assert "did:web:other.example" not in snapshot.entries(platform.database)
    now[0] = 31.0  # ... is seen once the TTL has passed
    entry = snapshot.entries(platform.database)["did:web:other.example"]
    assert (entry.name, entry.active) == ("Other", True)
