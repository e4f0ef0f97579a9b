"""The issuer console's achievements: drafts with the full OB 3.0 fields, the skills
picker, images, publishing, new versions, and bad input (on SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import sqlalchemy as sa

from openler.services.seed import framework_items
from openler.store.models import AchievementDefinition, Role
from tests.integration.web._console_fixtures import Web, web_fixture  # noqa: F401

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
NETWORK_ROUTING = next(i for i in framework_items().values() if i["name"] == "ICT network routing")


def _signed_in_issuer(w: Web, role: Role = Role.ISSUER) -> None:
    org = w.org("acme", "Acme College")
    w.user("ivy@example.org", org=org, role=role)
    assert w.sign_in("ivy@example.org").status_code == 303


def _fields(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "logical_id": "networking-1",
        "name": "Networking I",
        "description": "Builds and troubleshoots small office networks.",
        "achievement_type": "Course",
        "criteria_narrative": "Pass the **lab exam**.",
        "criteria_url": "https://acme.example/criteria/networking-1",
        "alignment": [NETWORK_ROUTING["url"]],
        "custom_name": "Acme lab safety standard",
        "custom_url": "https://acme.example/standards/lab-safety",
        "result_count": "2",
        "rd-0-name": "Lab exam",
        "rd-0-type": "RubricCriterionLevel",
        "rd-0-levels": "Novice: needs help\nCompetent: works alone\nExpert: teaches others",
        "rd-0-required-level": "Competent",
        "rd-1-name": "Final score",
        "rd-1-type": "Percent",
        "rd-1-min": "0",
        "rd-1-max": "100",
        "rd-1-required": "70",
        "credits": "3",
        "level": "Introductory",
        "field_of_study": "Information Technology",
        "specialization": "Networking",
        "human_code": "IT-110",
        "tags": "networking, IT",
        "in_language": "en",
        "action": "save",
    }
    data.update(overrides)
    return data


def _create(w: Web, files: dict[str, Any] | None = None, **overrides: Any) -> Any:
    body = _fields(**overrides)
    body["csrf_token"] = w.csrf("/console/acme/achievements/new")
    return w.client.post(
        "/console/acme/achievements/new", data=body, files=files, follow_redirects=False
    )


def _stored(w: Web, logical_id: str = "networking-1") -> list[AchievementDefinition]:
    with w.session() as session:
        return list(
            session.scalars(
                sa.select(AchievementDefinition)
                .where(AchievementDefinition.logical_id == logical_id)
                .order_by(AchievementDefinition.version)
            )
        )


def test_a_draft_with_every_field_becomes_a_full_ob3_achievement(web: Web) -> None:
    _signed_in_issuer(web)
    response = _create(web, files={"image_file": ("badge.png", PNG, "application/octet-stream")})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/console/acme/achievements/networking-1?done=created"
    [draft] = _stored(web)
    doc = draft.achievement
    assert draft.version == 1
    assert draft.status.value == "draft"
    assert doc["id"] == "https://issuer.example/orgs/acme/achievements/networking-1"
    assert doc["achievementType"] == "Course"
    assert doc["criteria"] == {
        "id": "https://acme.example/criteria/networking-1",
        "narrative": "Pass the **lab exam**.",
    }
    names = [a["targetName"] for a in doc["alignment"]]
    assert names == ["ICT network routing", "Acme lab safety standard"]
    assert doc["alignment"][0]["targetUrl"] == NETWORK_ROUTING["url"]
    assert doc["alignment"][0]["targetFramework"].startswith("ESCO")
    rubric, score = doc["resultDescription"]
    assert [lv["name"] for lv in rubric["rubricCriterionLevel"]] == [
        "Novice",
        "Competent",
        "Expert",
    ]
    assert rubric["requiredLevel"] == rubric["rubricCriterionLevel"][1]["id"]
    assert (score["resultType"], score["valueMin"], score["valueMax"], score["requiredValue"]) == (
        "Percent",
        "0",
        "100",
        "70",
    )
    assert doc["creditsAvailable"] == 3.0
    assert doc["fieldOfStudy"] == "Information Technology"
    assert doc["humanCode"] == "IT-110"
    assert doc["tag"] == ["networking", "IT", "level:Introductory"]
    assert doc["image"]["id"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    page = web.client.get(response.headers["location"])
    assert "The draft was saved." in page.text
    assert 'id="publish-link"' in page.text
    # the edit form shows the same values again
    form = web.client.get("/console/acme/achievements/networking-1/edit").text
    assert "Competent: works alone" in form
    assert 'value="Introductory"' in form
    assert f'value="{NETWORK_ROUTING["url"]}" checked' in form


def test_publish_then_edit_starts_a_new_version(web: Web) -> None:
    _signed_in_issuer(web)
    assert _create(web).status_code == 303
    confirm = web.client.get("/console/acme/achievements/networking-1/publish")
    assert "never changes" in confirm.text
    published = web.post("/console/acme/achievements/networking-1/publish")
    assert published.status_code == 303
    [v1] = _stored(web)
    assert v1.status.value == "published"
    # publishing twice: a clear conflict, nothing changes
    again = web.post("/console/acme/achievements/networking-1/publish")
    assert again.status_code == 409
    assert "already published" in again.text
    edit_form = web.client.get("/console/acme/achievements/networking-1/edit")
    assert "starts" in edit_form.text
    assert "version 2" in edit_form.text
    body = _fields(name="Networking I (2027)")
    body.pop("logical_id")
    edited = web.post("/console/acme/achievements/networking-1/edit", body)
    assert edited.status_code == 303
    assert edited.headers["location"].endswith("?done=new-version")
    v1, v2 = _stored(web)
    assert v1.achievement["name"] == "Networking I"  # the published version never changes
    assert (v2.version, v2.status.value, v2.achievement["name"]) == (
        2,
        "draft",
        "Networking I (2027)",
    )
    assert v2.achievement["id"] == v1.achievement["id"]


def test_skills_search_works_with_and_without_javascript(web: Web) -> None:
    _signed_in_issuer(web)
    fragment = web.client.get("/console/acme/skills", params={"skill_q": "network routing"})
    assert fragment.status_code == 200
    assert "ICT network routing" in fragment.text
    assert "<html" not in fragment.text  # an htmx fragment
    # without JavaScript: the Search button shows the form again, with what was typed
    body = _fields(action="search", skill_q="routing", alignment=[])
    shown = web.post("/console/acme/achievements/new", body)
    assert shown.status_code == 200
    assert "ICT network routing" in shown.text
    assert 'value="Networking I"' in shown.text
    assert _stored(web) == []
    more = web.post("/console/acme/achievements/new", _fields(action="add_result"))
    assert 'id="f-rd-2-name"' in more.text


def _assert_rejected(w: Web, response: Any, field: str, message: str) -> None:
    assert response.status_code == 422, response.text
    assert "text/html" in response.headers["content-type"]
    assert 'role="alert"' in response.text
    assert f'id="f-{field}-error"' in response.text
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', response.text)
    assert message in response.text


def test_bad_images_are_refused_and_nothing_is_saved(web: Web) -> None:
    _signed_in_issuer(web)
    before = web.counts()
    big = _create(web, files={"image_file": ("big.png", PNG + bytes(300 * 1024), "image/png")})
    _assert_rejected(web, big, "image_file", "larger than 256 KB")
    text = _create(web, files={"image_file": ("photo.png", b"just some text", "image/png")})
    _assert_rejected(web, text, "image_file", "not a PNG, JPEG or SVG image")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    scripted = _create(web, files={"image_file": ("x.svg", svg, "image/svg+xml")})
    _assert_rejected(web, scripted, "image_file", "scripts")
    assert web.counts() == before
    clean = (
        b'<?xml version="1.0"?>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="4" height="4"/></svg>'
    )
    ok = _create(web, files={"image_file": ("ok.svg", clean, "text/plain")})
    assert ok.status_code == 303
    assert _stored(web)[0].achievement["image"]["id"].startswith("data:image/svg+xml;base64,")


def test_missing_fields_are_named_next_to_the_field(web: Web) -> None:
    _signed_in_issuer(web)
    before = web.counts()
    response = _create(web, name="", criteria_narrative="", criteria_url="", credits="three")
    _assert_rejected(web, response, "name", "Enter the achievement")
    for field in ("criteria_narrative", "credits"):
        assert f'id="f-{field}-error"' in response.text
    assert 'href="#f-name"' in response.text  # the summary links to the field
    taken = _create(web)
    assert taken.status_code == 303
    clash = _create(web)
    _assert_rejected(web, clash, "logical_id", "exists already")
    assert len(_stored(web)) == 1
    assert web.counts()["achievements"] != before["achievements"]


def test_viewers_see_achievements_but_cannot_change_them(web: Web) -> None:
    _signed_in_issuer(web, Role.VIEWER)
    assert web.client.get("/console/acme/achievements").status_code == 200
    assert web.client.get("/console/acme/achievements/new").status_code == 403
    body = _fields()
    assert web.post("/console/acme/achievements/new", body).status_code == 403
    assert _stored(web) == []


def test_the_achievement_page_shows_its_json(web: Web) -> None:
    _signed_in_issuer(web)
    _create(web)
    page = web.client.get("/console/acme/achievements/networking-1")
    found = re.search(r'<pre id="achievement-json">(.*?)</pre>', page.text, re.S)
    assert found
    import html

    shown = json.loads(html.unescape(found.group(1)))
    assert shown["name"] == "Networking I"
    missing = web.client.get("/console/acme/achievements/nope")
    assert missing.status_code == 404
