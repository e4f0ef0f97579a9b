"""Web sign-in: sessions, cookies, expiry, CSRF, throttling, roles, sign-up and sign-in
links (on SQLite and PostgreSQL)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from openler.store.models import Role
from openler.store.models.learner import Learner, SignInLink
from openler.store.models.web import SignInThrottle, WebSession
from openler.web.auth import hash_token, safe_next
from tests.integration.web._console_fixtures import PASSWORD, Web, web_fixture  # noqa: F401

COOKIE = "__Host-openler_session"


def _session_rows(w: Web) -> list[WebSession]:
    with w.session() as session:
        return list(session.scalars(sa.select(WebSession)))


def test_sign_in_sets_a_hardened_cookie_and_stores_only_its_hash(web: Web) -> None:
    org = web.org("acme")
    web.user("ada@example.org", org=org, role=Role.ADMIN)
    response = web.sign_in("ada@example.org")
    assert response.status_code == 303
    assert response.headers["location"] == "/console"
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(COOKIE + "="))
    lowered = header.lower()
    assert "httponly" in lowered
    assert "secure" in lowered
    assert "samesite=lax" in lowered
    assert "path=/" in lowered
    token = header.split("=", 1)[1].split(";", 1)[0]
    assert len(token) >= 43  # 256 bits, base64url
    rows = _session_rows(web)
    assert [r.token_hash for r in rows] == [hash_token(token)]
    assert token not in {r.token_hash for r in rows}
    page = web.client.get("/")
    assert "ada@example.org" in page.text  # the layout shows who is signed in
    assert 'hx-headers=\'{"X-CSRF-Token": "' in page.text


def test_wrong_password_and_unknown_address_read_the_same(web: Web) -> None:
    web.user("ada@example.org")
    wrong = web.sign_in("ada@example.org", "not the password at all")
    unknown = web.sign_in("nobody@example.org", "not the password at all")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "E-mail or password is wrong." in response.text
        assert 'role="alert"' in response.text
        assert COOKIE not in response.headers.get("set-cookie", "")
    assert _session_rows(web) == []
    # the address typed stays in the form; the password does not
    assert 'value="ada@example.org"' in wrong.text
    assert "not the password at all" not in wrong.text


def test_sign_out_ends_the_session(web: Web) -> None:
    web.user("ada@example.org")
    assert web.sign_in("ada@example.org").status_code == 303
    token = web.csrf("/")
    out = web.client.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert _session_rows(web) == []
    assert "ada@example.org" not in web.client.get("/").text


def test_a_session_ends_when_idle_and_at_its_absolute_limit(web: Web) -> None:
    org = web.org("acme")
    web.user("ada@example.org", org=org, role=Role.VIEWER)
    web.sign_in("ada@example.org")
    assert web.client.get("/console/acme", follow_redirects=False).status_code == 200
    web.clock.advance(minutes=29)
    assert web.client.get("/console/acme", follow_redirects=False).status_code == 200
    web.clock.advance(minutes=31)  # idle for 31 minutes > 30
    expired = web.client.get("/console/acme", follow_redirects=False)
    assert expired.status_code == 303
    assert expired.headers["location"] == "/signin?next=/console/acme"
    assert any(
        h.startswith(COOKIE + '="";') and "max-age=0" in h.lower()
        for h in expired.headers.get_list("set-cookie")
    )
    assert "ada@example.org" not in web.client.get("/").text

    web.sign_in("ada@example.org")
    assert len(_session_rows(web)) == 1  # the expired one was cleared away
    for _ in range(28):  # a request every 25 minutes: never idle, for 11 h 40 min
        web.clock.advance(minutes=25)
        assert web.client.get("/console/acme", follow_redirects=False).status_code == 200
    web.clock.advance(minutes=25)  # 12 h 05 min after signing in: past the 12 h limit
    assert web.client.get("/console/acme", follow_redirects=False).status_code == 303


def test_anonymous_visitors_are_sent_to_sign_in_and_back(web: Web) -> None:
    org = web.org("acme")
    web.user("ada@example.org", org=org, role=Role.ISSUER)
    response = web.client.get("/console/acme/credentials?status=revoked", follow_redirects=False)
    assert response.status_code == 303
    assert (
        response.headers["location"] == "/signin?next=/console/acme/credentials%3Fstatus%3Drevoked"
    )
    form = web.client.get(response.headers["location"])
    assert 'name="next" value="/console/acme/credentials?status=revoked"' in form.text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text)
    assert token
    signed_in = web.client.post(
        "/signin",
        data={
            "email": "ada@example.org",
            "password": PASSWORD,
            "csrf_token": token.group(1),
            "next": "/console/acme/credentials?status=revoked",
        },
        follow_redirects=False,
    )
    assert signed_in.headers["location"] == "/console/acme/credentials?status=revoked"
    page = web.client.get("/console/acme/credentials?status=revoked", follow_redirects=False)
    assert page.status_code == 200  # signed in now


def test_htmx_requests_of_anonymous_visitors_get_hx_redirect(web: Web) -> None:
    response = web.client.get("/console", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/signin?next=/console"


def test_next_is_only_ever_a_path_on_this_site() -> None:
    assert safe_next("/console/acme?x=1") == "/console/acme?x=1"
    for bad in (
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "javascript:x",
        "",
        None,
        "/a b",
    ):
        assert safe_next(bad) is None


def test_posts_without_the_csrf_token_are_refused(web: Web) -> None:
    org = web.org("acme")
    web.user("ada@example.org", org=org, role=Role.ADMIN)
    before = web.client.post(
        "/signin",
        data={"email": "ada@example.org", "password": PASSWORD},
        follow_redirects=False,
    )
    assert before.status_code == 403
    assert before.headers["x-openler-error"] == "csrf_failed"
    assert _session_rows(web) == []
    web.sign_in("ada@example.org")
    counts = web.counts()
    missing = web.client.post("/console/acme/keys/rotate", follow_redirects=False)
    wrong = web.client.post(
        "/console/acme/keys/rotate", data={"csrf_token": "0" * 64}, follow_redirects=False
    )
    for response in (missing, wrong):
        assert response.status_code == 403
        assert "text/html" in response.headers["content-type"]
    assert web.counts() == counts
    # the header form (htmx) is accepted
    token = web.csrf("/")
    ok = web.client.post(
        "/console/acme/keys/rotate", headers={"X-CSRF-Token": token}, follow_redirects=False
    )
    assert ok.status_code == 303
    assert web.counts()["keys"] == counts["keys"] + 1


def test_a_new_sign_in_replaces_the_browser_s_old_session(web: Web) -> None:
    web.user("ada@example.org")
    web.sign_in("ada@example.org")
    first = {r.token_hash for r in _session_rows(web)}
    old_csrf = web.csrf("/")
    web.sign_in("ada@example.org")
    second = {r.token_hash for r in _session_rows(web)}
    assert len(second) == 1
    assert first.isdisjoint(second)
    assert web.csrf("/") != old_csrf  # the CSRF token follows the session


def test_password_guessing_is_throttled_per_account(web: Web) -> None:
    web.user("ada@example.org")
    for _ in range(5):
        assert web.sign_in("ada@example.org", "wrong password guess").status_code == 401
    sixth = web.sign_in("ada@example.org", "wrong password guess")
    assert sixth.status_code == 401
    blocked = web.sign_in("ada@example.org")  # even the right password waits now
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0
    assert _session_rows(web) == []
    web.clock.advance(minutes=1)
    assert web.sign_in("ada@example.org").status_code == 303
    with web.session() as session:  # success forgets the account's failures
        keys = set(session.scalars(sa.select(SignInThrottle.key)))
    assert not any(k.startswith("account:") for k in keys)


def test_password_guessing_is_throttled_per_client(web: Web) -> None:
    web.user("ada@example.org")
    for i in range(21):
        web.sign_in(f"guess{i}@example.org", "wrong password guess")
    blocked = web.sign_in("ada@example.org")
    assert blocked.status_code == 429


def test_sign_up_makes_a_learner_with_a_holder_key_and_signs_in(web: Web) -> None:
    token = web.csrf("/signup")
    response = web.client.post(
        "/signup",
        data={
            "email": "Maya@Example.org",
            "name": "Maya Chen",
            "password": "a long enough password",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/wallet"
    with web.session() as session:
        learner = session.scalar(sa.select(Learner))
        assert learner is not None
        assert learner.did.startswith("did:key:z6Mk")
        assert learner.user.email == "maya@example.org"
    assert len(_session_rows(web)) == 1


def test_sign_up_errors_are_shown_next_to_the_fields(web: Web) -> None:
    web.user("ada@example.org")
    token = web.csrf("/signup")
    response = web.client.post(
        "/signup",
        data={"email": "ada@example.org", "name": "", "password": "short", "csrf_token": token},
    )
    assert response.status_code == 422
    text = response.text
    assert 'role="alert"' in text
    assert 'id="f-name-error"' in text
    assert 'id="f-password-error"' in text
    assert 'aria-invalid="true"' in text
    assert 'aria-describedby="f-password-hint f-password-error"' in text
    with web.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Learner)) == 0


def test_a_sign_in_link_can_be_asked_for_without_telling_whether_an_account_exists(
    web: Web,
) -> None:
    web.user("ada@example.org")
    answers = []
    for address in ("ada@example.org", "nobody@example.org"):
        token = web.csrf("/signin/link")
        answers.append(
            web.client.post("/signin/link", data={"email": address, "csrf_token": token})
        )
    assert [a.status_code for a in answers] == [200, 200]
    assert all("Check your e-mail" in a.text for a in answers)
    with web.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(SignInLink)) == 2
    bad = web.client.post("/signin/link", data={"email": "nope", "csrf_token": web.csrf("/")})
    assert bad.status_code == 422
    assert 'id="f-email-error"' in bad.text


def test_roles_viewer_cannot_issue_and_other_orgs_are_not_found(web: Web) -> None:
    acme = web.org("acme")
    web.org("globex")
    web.user("vic@example.org", org=acme, role=Role.VIEWER)
    web.sign_in("vic@example.org")
    assert web.client.get("/console/acme/credentials").status_code == 200
    issue = web.client.get("/console/acme/issue", follow_redirects=False)
    assert issue.status_code == 403
    assert "text/html" in issue.headers["content-type"]
    assert "issuer role" in issue.text
    posted = web.post("/console/acme/issue", {"achievement": "x", "recipient": "a@b.org"})
    assert posted.status_code == 403
    other = web.client.get("/console/globex", follow_redirects=False)
    missing = web.client.get("/console/no-such-org", follow_redirects=False)
    assert other.status_code == missing.status_code == 404
    assert other.text.replace("globex", "X") == missing.text.replace("no-such-org", "X")
    assert 'href="/console/acme/issue"' not in web.client.get("/console/acme").text
