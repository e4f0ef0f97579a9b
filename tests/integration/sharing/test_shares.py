"""Share links: creation rules, ownership, live verification on every view, view count and
access log, expiry and revocation, QR code, and the holder-signed presentation."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from openler.core.errors import InvalidInput
from openler.core.verification import verify_presentation_with
from openler.services.employment import (
    EmploymentCredentialRequest,
    EmploymentInput,
    EmploymentNotFound,
    add_entry,
    issue_employment_credential,
)
from openler.services.issuing import change_status
from openler.services.record import RecordItemNotFound
from openler.services.sharing import (
    ClientInfo,
    ShareExpired,
    ShareNotFound,
    ShareRequest,
    ShareRevoked,
    browser_family,
    coarse_network,
    create_share,
    get_share,
    list_shares,
    open_share,
    preview_share,
    revoke_share,
    share_access_log,
    share_presentation,
    share_qr_svg,
    share_state,
    share_url,
    update_share,
    view_share,
)
from openler.store.models import AuditEvent
from openler.store.models.enums import ShareAccessKind
from openler.store.models.sharing import Share
from tests.integration.sharing.conftest import KEYSTORE, NOW, SETTINGS, WELDING, World

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _share(world: World, **changes: object) -> Share:
    fields: dict[str, object] = {"credentials": [world.sql_key, world.writing_key]}
    fields.update(changes)
    return create_share(
        world.session,
        SETTINGS,
        world.ada,
        ShareRequest(**fields),  # type: ignore[arg-type]
        now=NOW,
    )


def _audit(world: World, share: Share) -> list[str]:
    return list(
        world.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.subject_id == str(share.id))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


# -- creating -------------------------------------------------------------------------------


def test_create_share_with_defaults(world: World) -> None:
    entry = add_entry(
        world.session,
        world.ada,
        EmploymentInput(employer="Harbor Diner", role="Line cook", start_date=date(2019, 6, 1)),
    )
    share = _share(world, employment=[entry.id], recipient_note="For the Acme hiring team")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", share.token)  # 256 bits, URL-safe
    assert share.expires_at == NOW + timedelta(days=30)
    assert share.view_count == 0
    assert share_state(share, NOW) == "active"
    assert [(i.position, i.kind.value) for i in share.items] == [
        (0, "credential"),
        (1, "credential"),
        (2, "employment"),
    ]
    # The credential is kept exactly as stored in the record.
    assert share.items[0].credential_bytes == world.sql.credential_bytes
    assert share.items[0].credential_ref == world.sql_key
    assert share_url(SETTINGS, share) == f"https://openler.example/s/{share.token}"
    assert _audit(world, share) == ["share.create"]
    event = world.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.subject_id == str(share.id))
    )
    assert event is not None
    assert event.actor_id == str(world.ada.id)
    assert share.token not in str(event.details)


def test_tokens_are_unique(world: World) -> None:
    tokens = {_share(world).token for _ in range(5)}
    assert len(tokens) == 5


@pytest.mark.parametrize(
    "changes",
    [
        {"credentials": []},
        {"credentials": "issued:x"},
        {"credentials": ["issued:x"] * 2},
        {"expires_at": NOW - timedelta(seconds=1)},
        {"expires_at": NOW + timedelta(days=366)},
        {"expires_at": datetime(2026, 7, 1)},  # no time zone
        {"title": "t" * 201},
        {"recipient_note": "n" * 2001},
        {"credentials": [f"issued:{n}" for n in range(51)]},
    ],
)
def test_bad_share_requests(world: World, changes: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        _share(world, **changes)
    assert list_shares(world.session, world.ada) == []


def test_expiry_up_to_the_configured_maximum(world: World) -> None:
    longest = NOW + timedelta(days=SETTINGS.share_max_days)
    assert _share(world, expires_at=longest).expires_at == longest


def test_only_the_learners_own_items(world: World) -> None:
    bobs_entry = add_entry(
        world.session,
        world.bob,
        EmploymentInput(employer="Bob's", role="Owner", start_date=date(2020, 1, 1)),
    )
    with pytest.raises(RecordItemNotFound):
        create_share(
            world.session, SETTINGS, world.bob, ShareRequest(credentials=[world.sql_key]), now=NOW
        )
    with pytest.raises(EmploymentNotFound):
        _share(world, employment=[bobs_entry.id])


# -- ownership -----------------------------------------------------------------------------


def test_another_learners_share_is_not_found(world: World) -> None:
    share = _share(world)
    assert get_share(world.session, world.ada, share.id).id == share.id
    assert [s.id for s in list_shares(world.session, world.ada)] == [share.id]
    assert list_shares(world.session, world.bob) == []
    for call in (
        lambda: get_share(world.session, world.bob, share.id),
        lambda: revoke_share(world.session, world.bob, share.id, now=NOW),
        lambda: share_access_log(world.session, world.bob, share.id),
        lambda: preview_share(world.session, world.verifier(), world.bob, share.id, now=NOW),
        lambda: get_share(world.session, world.ada, "not-a-uuid"),
    ):
        with pytest.raises(ShareNotFound):
            call()
    assert share.revoked_at is None


# -- viewing ---------------------------------------------------------------------------------


def test_view_verifies_live_counts_and_logs(world: World) -> None:
    entry = add_entry(
        world.session,
        world.ada,
        EmploymentInput(
            employer="Harbor Diner",
            role="Line cook",
            start_date=date(2019, 6, 1),
            end_date=date(2021, 2, 28),
            skills=["Food safety"],
        ),
    )
    share = _share(world, employment=[entry.id], title="Acme", recipient_note="Hello Acme")
    view = view_share(
        world.session,
        world.verifier(),
        share.token,
        now=NOW,
        client=ClientInfo.from_request("203.0.113.77", CHROME_ANDROID),
    )
    assert view.holder_name == "Ada Lovelace"
    assert view.holder_did == world.ada_did
    assert (view.title, view.recipient_note) == ("Acme", "Hello Acme")
    assert view.view_count == 1
    assert [c.state for c in view.credentials] == ["verified", "verified"]
    assert [c.summary.name for c in view.credentials] == ["Databases I", "Technical Writing"]
    assert all(c.verification.verified for c in view.credentials)
    [job] = view.employment
    assert job.self_asserted
    assert not job.verified
    assert job.label == "Self-asserted"
    assert len(view.items) == 3
    assert view.items[2] == job
    assert {s.name for s in view.skills.skills} == {"SQL", "Reading Comprehension", "Writing"}

    view_share(
        world.session,
        world.verifier(),
        share.token,
        now=NOW + timedelta(hours=1),
        client=ClientInfo.from_request("2001:db8:1234:5678::1", FIREFOX_LINUX),
    )
    view_share(world.session, world.verifier(), share.token, now=NOW + timedelta(hours=2))
    world.session.refresh(share)
    assert share.view_count == 3
    assert share.last_viewed_at == NOW + timedelta(hours=2)
    log = share_access_log(world.session, world.ada, share.id)
    assert [(a.kind, a.client_network, a.client_agent) for a in log] == [
        (ShareAccessKind.VIEW, None, None),
        (ShareAccessKind.VIEW, "2001:db8:1234::/48", "Firefox on Linux"),
        (ShareAccessKind.VIEW, "203.0.113.0/24", "Chrome on Android"),
    ]
    stored = world.session.execute(sa.text("SELECT client_network FROM share_access_log")).all()
    assert all("203.0.113.77" not in str(row) for row in stored)
    assert _audit(world, share) == ["share.create", "share.view", "share.view", "share.view"]


def test_issuer_revocation_shows_on_the_next_view(world: World) -> None:
    share = _share(world)
    first = view_share(world.session, world.verifier(), share.token, now=NOW)
    assert first.credentials[0].verified
    change_status(world.session, world.college, world.sql.credential_id, "revoke")
    second = view_share(world.session, world.verifier(), share.token, now=NOW)
    assert second.credentials[0].state == "revoked"
    assert not second.credentials[0].verified
    assert "revoked" in [c.code for c in second.credentials[0].verification.errors]
    assert second.credentials[1].verified
    # The revoked credential's skills leave the summary; the others stay.
    names = {s.name for s in second.skills.skills}
    assert "SQL" not in names
    assert "Writing" in names


def test_unverified_shared_import_shows_unverified(world: World) -> None:
    row = world.import_unverified(world.ada, [WELDING])
    share = _share(world, credentials=[f"imported:{row.id}"])
    view = view_share(world.session, world.verifier(), share.token, now=NOW)
    assert view.credentials[0].state == "unverified"
    assert view.skills.skills == ()


def test_verified_employment_credential_in_a_share(world: World) -> None:
    issued, _ = issue_employment_credential(
        world.session,
        SETTINGS,
        KEYSTORE,
        world.employer,
        EmploymentCredentialRequest(
            recipient=world.ada_did, role="Welder II", start_date=date(2021, 3, 1)
        ),
        now=NOW,
    )
    share = _share(world, credentials=[f"issued:{issued.id}"])
    view = view_share(world.session, world.verifier(), share.token, now=NOW)
    [job] = view.employment
    assert job.verified
    assert (job.employer, job.role) == ("Acme Fabrication", "Welder II")
    assert view.credentials[0].employment is not None


def test_preview_is_not_counted(world: World) -> None:
    share = _share(world)
    view = preview_share(world.session, world.verifier(), world.ada, share.id, now=NOW)
    assert len(view.credentials) == 2
    world.session.refresh(share)
    assert share.view_count == 0
    assert share_access_log(world.session, world.ada, share.id) == []


def test_expired_and_revoked_shares(world: World) -> None:
    share = _share(world, expires_at=NOW + timedelta(days=1))
    later = NOW + timedelta(days=1)
    with pytest.raises(ShareExpired) as expired:
        view_share(world.session, world.verifier(later), share.token, now=later)
    assert expired.value.code == "share_expired"
    assert share_state(share, later) == "expired"
    other = _share(world)
    revoke_share(world.session, world.ada, other.id, now=NOW)
    revoke_share(world.session, world.ada, other.id, now=NOW + timedelta(minutes=1))  # no-op
    assert other.revoked_at == NOW
    with pytest.raises(ShareRevoked) as revoked:
        view_share(world.session, world.verifier(), other.token, now=NOW)
    assert revoked.value.code == "share_revoked"
    with pytest.raises(ShareRevoked):
        share_presentation(world.session, KEYSTORE, other.token, challenge="c", now=NOW)
    assert _audit(world, other) == ["share.create", "share.revoke"]
    world.session.refresh(share)
    world.session.refresh(other)
    assert (share.view_count, other.view_count) == (0, 0)


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "../../etc/passwd" + "a" * 30, "a" * 500])
def test_unknown_tokens_are_not_found(world: World, token: str) -> None:
    _share(world)
    with pytest.raises(ShareNotFound):
        open_share(world.session, token, now=NOW)


def test_qr_code_svg(world: World) -> None:
    share = _share(world)
    svg = share_qr_svg(SETTINGS, share)
    assert svg.startswith("<svg")
    assert "<title>QR code of the share link</title>" in svg
    assert "<?xml" not in svg
    assert "<path" in svg
    assert share.token not in svg  # the link is in the modules, not in the text


# -- presentations ----------------------------------------------------------------------------


def test_presentation_with_challenge_and_domain(world: World) -> None:
    share = _share(world)
    vp = share_presentation(
        world.session,
        KEYSTORE,
        share.token,
        challenge="nonce-123",
        domain="hr.acme.example",
        now=NOW,
        client=ClientInfo.from_request("198.51.100.4", "curl/8.5.0"),
    )
    assert vp["holder"] == world.ada_did
    assert vp["proof"]["challenge"] == "nonce-123"
    assert vp["proof"]["domain"] == "hr.acme.example"
    assert vp["proof"]["verificationMethod"].startswith(world.ada_did + "#")
    assert [c["id"] for c in vp["verifiableCredential"]] == [
        world.sql.credential_id,
        world.writing.credential_id,
    ]
    verifier = world.verifier()
    good = verify_presentation_with(
        verifier, vp, challenge="nonce-123", domain="hr.acme.example", now=NOW
    )
    assert good.verified, good.to_dict()
    assert len(good.credentials) == 2
    wrong_challenge = verify_presentation_with(
        verifier, vp, challenge="nonce-999", domain="hr.acme.example", now=NOW
    )
    assert not wrong_challenge.verified
    wrong_domain = verify_presentation_with(
        verifier, vp, challenge="nonce-123", domain="evil.example", now=NOW
    )
    assert not wrong_domain.verified
    [access] = share_access_log(world.session, world.ada, share.id)
    assert (access.kind, access.client_network, access.client_agent) == (
        ShareAccessKind.PRESENTATION,
        "198.51.100.0/24",
        "curl",
    )
    world.session.refresh(share)
    assert share.view_count == 0
    assert _audit(world, share) == ["share.create", "share.present"]


def test_presentation_needs_a_challenge_and_a_live_share(world: World) -> None:
    share = _share(world, expires_at=NOW + timedelta(hours=1))
    for challenge in ("", "   ", "c" * 501):
        with pytest.raises(InvalidInput):
            share_presentation(world.session, KEYSTORE, share.token, challenge=challenge, now=NOW)
    with pytest.raises(ShareExpired):
        share_presentation(
            world.session, KEYSTORE, share.token, challenge="c", now=NOW + timedelta(hours=1)
        )
    entry = add_entry(
        world.session,
        world.ada,
        EmploymentInput(employer="Diner", role="Cook", start_date=date(2019, 1, 1)),
    )
    only_jobs = _share(world, credentials=[], employment=[entry.id])
    with pytest.raises(InvalidInput):
        share_presentation(world.session, KEYSTORE, only_jobs.token, challenge="c", now=NOW)


# -- coarse client information ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:abcd:12::7", "2001:db8:abcd::/48"),
        ("::ffff:192.0.2.9", "192.0.2.0/24"),
        ("[2001:db8::1]", "2001:db8::/48"),
        ("not an address", None),
        ("", None),
        (None, None),
    ],
)
def test_coarse_network(address: str | None, network: str | None) -> None:
    assert coarse_network(address) == network


@pytest.mark.parametrize(
    ("agent", "family"),
    [
        (CHROME_ANDROID, "Chrome on Android"),
        (FIREFOX_LINUX, "Firefox on Linux"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on Windows",
        ),
        ("Mozilla/5.0 (compatible; Googlebot/2.1)", "bot"),
        ("python-httpx/0.28", "script"),
        ("something else", "other"),
        ("", None),
        (None, None),
    ],
)
def test_browser_family(agent: str | None, family: str | None) -> None:
    assert browser_family(agent) == family


def test_update_title_note_and_expiry(world: World) -> None:
    share = _share(world, title="Acme", recipient_note="Hi")
    later = NOW + timedelta(days=10)
    update_share(
        world.session,
        SETTINGS,
        world.ada,
        share.id,
        now=later,
        recipient_note="",
        expires_at=later + timedelta(days=365),
    )
    assert share.title == "Acme"
    assert share.recipient_note is None
    assert share.expires_at == later + timedelta(days=365)
    with pytest.raises(InvalidInput):  # beyond the longest expiry
        update_share(
            world.session,
            SETTINGS,
            world.ada,
            share.id,
            now=NOW,
            expires_at=later + timedelta(days=365),
        )
    with pytest.raises(ShareNotFound):
        update_share(world.session, SETTINGS, world.bob, share.id, now=NOW, title="Mine")
    revoke_share(world.session, world.ada, share.id, now=NOW)
    with pytest.raises(InvalidInput):
        update_share(
            world.session,
            SETTINGS,
            world.ada,
            share.id,
            now=NOW,
            expires_at=NOW + timedelta(days=1),
        )
    assert _audit(world, share) == ["share.create", "share.update", "share.revoke"]


def test_a_disabled_account_shares_nothing(world: World) -> None:
    share = _share(world)
    world.ada.is_active = False
    world.session.flush()
    with pytest.raises(ShareNotFound):
        view_share(world.session, world.verifier(), share.token, now=NOW)
