"""The issuer console's keys and DID document, endorsements, trust registry, audit log,
members and dashboard (on SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import json
import re

import sqlalchemy as sa

from openler.services.achievements import create_achievement, publish_achievement
from openler.store.models import Endorsement, Membership, Organization, Role, TrustedIssuer
from tests.integration.platform.conftest import SETTINGS
from tests.integration.web._console_fixtures import Web, web_fixture  # noqa: F401


def _admin(w: Web, role: Role = Role.ADMIN) -> Organization:
    org = w.org("acme", "Acme College")
    w.user("ada@example.org", org=org, role=role)
    assert w.sign_in("ada@example.org").status_code == 303
    return org


def test_rotating_the_key_keeps_the_old_one_in_the_did_document(web: Web) -> None:
    _admin(web)
    page = web.client.get("/console/acme/keys")
    assert "did:web:issuer.example:orgs:acme" in page.text
    confirm = web.client.get("/console/acme/keys/rotate")
    assert "stays in the DID" in confirm.text
    rotated = web.post("/console/acme/keys/rotate")
    assert rotated.status_code == 303
    did = web.client.get("/orgs/acme/did.json").json()
    methods = sorted(m["id"].split("#")[1] for m in did["verificationMethod"])
    assert methods == ["key-1", "key-2"]  # the retired key still verifies what it signed
    after = web.client.get("/console/acme/keys?done=rotated")
    shown = re.search(r'<pre id="did-document">(.*?)</pre>', after.text, re.S)
    assert shown
    assert json.loads(html.unescape(shown.group(1))) == did
    assert "A new signing key is active." in after.text
    assert after.text.count("still in the DID document") == 1


def test_only_admins_rotate_keys(web: Web) -> None:
    _admin(web, Role.ISSUER)
    before = web.counts()
    assert web.client.get("/console/acme/keys").status_code == 200
    assert web.client.get("/console/acme/keys/rotate").status_code == 403
    assert web.post("/console/acme/keys/rotate").status_code == 403
    assert web.counts() == before
    assert 'id="rotate-link"' not in web.client.get("/console/acme/keys").text


def test_endorse_another_organization_s_achievement(web: Web) -> None:
    other = web.org("guild", "Welders Guild")
    with web.session() as session:
        create_achievement(
            session,
            SETTINGS,
            other,
            {
                "type": ["Achievement"],
                "name": "Welding I",
                "description": "Basic structural welds.",
                "criteria": {"narrative": "Pass the test."},
            },
            logical_id="welding-1",
        )
        publish_achievement(session, other, "welding-1")
    _admin(web, Role.ISSUER)
    page = web.client.get("/console/acme/endorsements")
    assert "Welders Guild: Welding I" in page.text
    missing = web.post(
        "/console/acme/endorsements", {"target": "achievement:guild/nope", "comment": "x"}
    )
    assert missing.status_code == 422
    assert 'id="f-target-error"' in missing.text
    empty = web.post("/console/acme/endorsements", {"target": "", "comment": ""})
    assert empty.status_code == 422
    assert 'id="f-comment-error"' in empty.text
    given = web.post(
        "/console/acme/endorsements",
        {"target": "achievement:guild/welding-1", "comment": "Meets our entry standard."},
    )
    assert given.status_code == 303
    with web.session() as session:
        [endorsement] = session.scalars(sa.select(Endorsement))
        assert endorsement.target_id == "https://issuer.example/orgs/guild/achievements/welding-1"
        assert endorsement.document["credentialSubject"]["endorsementComment"] == (
            "Meets our entry standard."
        )
    listed = web.client.get("/console/acme/endorsements")
    assert "welding-1" in listed.text.split('id="h-given"')[1].split('id="h-received"')[0]
    profile = web.post(
        "/console/acme/endorsements", {"target": "profile:guild", "comment": "A fine guild."}
    )
    assert profile.status_code == 303


def test_trust_registry_add_and_remove(web: Web) -> None:
    _admin(web)
    page = web.client.get("/console/acme/trust")
    assert page.status_code == 200
    assert "The registry is empty." in page.text
    bad = web.post("/console/acme/trust", {"issuer_id": "not a did", "name": "X"})
    assert bad.status_code == 422
    assert 'id="f-issuer_id-error"' in bad.text
    added = web.post(
        "/console/acme/trust",
        {"issuer_id": "did:web:college.example", "name": "Example College", "accreditation": "HLC"},
    )
    assert added.status_code == 303
    twice = web.post("/console/acme/trust", {"issuer_id": "did:web:college.example", "name": "X"})
    assert twice.status_code == 422
    assert "already" in twice.text
    with web.session() as session:
        [entry] = session.scalars(sa.select(TrustedIssuer))
        entry_id = str(entry.id)
    removed = web.post(f"/console/acme/trust/{entry_id}/remove")
    assert removed.status_code == 303
    with web.session() as session:
        assert session.get(TrustedIssuer, entry.id).active is False  # type: ignore[union-attr]
    assert web.post("/console/acme/trust/not-an-id/remove").status_code == 404


def test_trust_registry_is_for_admins_only(web: Web) -> None:
    _admin(web, Role.ISSUER)
    assert web.client.get("/console/acme/trust").status_code == 403
    assert (
        web.post("/console/acme/trust", {"issuer_id": "did:web:x.example", "name": "X"}).status_code
        == 403
    )
    assert 'href="/console/acme/trust"' not in web.client.get("/console/acme").text


def test_members_add_change_remove_and_the_last_admin_stays(web: Web) -> None:
    _admin(web)
    added = web.post(
        "/console/acme/members",
        {
            "email": "ivy@example.org",
            "role": "issuer",
            "name": "Ivy",
            "password": "a long password!",
        },
    )
    assert added.status_code == 303
    assert (
        web.post(
            "/console/acme/members", {"email": "ivy@example.org", "role": "viewer"}
        ).status_code
        == 422
    )
    with web.session() as session:
        rows = {m.user.email: m for m in session.scalars(sa.select(Membership))}
    ivy, ada = rows["ivy@example.org"], rows["ada@example.org"]
    assert ivy.role is Role.ISSUER
    changed = web.post(f"/console/acme/members/{ivy.user_id}/role", {"role": "viewer"})
    assert changed.status_code == 303
    last = web.post(f"/console/acme/members/{ada.user_id}/role", {"role": "viewer"})
    assert last.status_code == 409
    assert "last admin" in last.text
    confirm = web.client.get(f"/console/acme/members/{ivy.user_id}/remove")
    assert "ivy@example.org" in confirm.text
    assert web.post(f"/console/acme/members/{ivy.user_id}/remove").status_code == 303
    assert web.post(f"/console/acme/members/{ada.user_id}/remove").status_code == 409
    with web.session() as session:
        assert [m.user.email for m in session.scalars(sa.select(Membership))] == ["ada@example.org"]
    # the new member can sign in with the first password
    web.client.cookies.clear()
    assert web.sign_in("ivy@example.org", "a long password!").status_code == 303
    assert web.client.get("/console/acme", follow_redirects=False).status_code == 404


def test_audit_log_filters_and_pages(web: Web) -> None:
    _admin(web)
    for _ in range(26):
        assert web.post("/console/acme/keys/rotate").status_code == 303
    log = web.client.get("/console/acme/audit")
    assert log.text.count("<code>key.rotate</code>") == 25
    assert "ada@example.org" in log.text  # who: the person, not an id
    older = re.search(r'href="([^"]+)" rel="next"', log.text)
    assert older
    rest = web.client.get(html.unescape(older.group(1)))
    # 28 events: 26 rotations, key.create, organization.create; 25 a page
    assert rest.text.count("<code>key.") == 2
    assert rest.text.count("<code>organization.create</code>") == 1
    filtered = web.client.get("/console/acme/audit", params={"action": "key.create"})
    assert filtered.text.count("<code>key.create</code>") == 1
    assert "<code>key.rotate</code>" not in filtered.text
    dated = web.client.get("/console/acme/audit", params={"since": "2099-01-01"})
    assert "No events match." in dated.text


def test_dashboard_and_picker(web: Web) -> None:
    org = _admin(web)
    other = web.org("globex", "Globex")
    with web.session() as session:
        from openler.services.users import add_member, find_user

        user = find_user(session, "ada@example.org")
        assert user is not None
        add_member(session, other, user, Role.VIEWER, None)
    picker = web.client.get("/console")
    assert picker.status_code == 200
    assert 'href="/console/acme"' in picker.text
    assert 'href="/console/globex"' in picker.text
    dashboard = web.client.get(f"/console/{org.slug}")
    assert 'id="count-issued">0<' in dashboard.text
    assert "organization.create" in dashboard.text
    assert 'aria-current="page"' in dashboard.text


def test_the_seeded_demo_admins_can_sign_in(web: Web) -> None:
    from openler.services.seed import DEMO_PASSWORD, seed_demo
    from tests.integration.platform.conftest import KEYSTORE

    with web.session() as session:
        summary = seed_demo(session, SETTINGS, KEYSTORE, now=web.clock.now)
    assert {login.organization for login in summary.logins} == {
        "riverbend-usd",
        "lakeshore-cc",
        "northfield-mfg",
        "great-lakes-msc",
    }
    with web.session() as session:
        again = seed_demo(session, SETTINGS, KEYSTORE, now=web.clock.now)
    assert not any(login.created for login in again.logins)  # idempotent
    assert web.sign_in("admin@lakeshore-cc.example.org", DEMO_PASSWORD).status_code == 303
    page = web.client.get("/console/lakeshore-cc/credentials")
    assert page.status_code == 200
    assert "credentials found." in page.text
    assert "0 credentials found." not in page.text
