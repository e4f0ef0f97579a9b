"""Achievement definitions: drafts, publication and versions (on SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.integration.platform.conftest import Platform, achievement_json, assert_problem


def test_draft_publish_and_new_version(platform: Platform) -> None:
    platform.act_as(platform.org("riverside"))
    client = platform.client
    created = client.post(
        "/api/v1/achievements",
        json={
            "logicalId": "welding-1",
            "achievement": achievement_json(
                alignment=[
                    {
                        "type": ["Alignment"],
                        "targetName": "Welding safety",
                        "targetUrl": "https://skills.example/welding/safety",
                        "targetType": "ceasn:Competency",
                    }
                ]
            ),
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["logicalId"], body["version"], body["status"]) == ("welding-1", 1, "draft")
    assert body["achievement"]["id"] == (
        "https://issuer.example/orgs/riverside/achievements/welding-1"
    )
    # Editing a draft changes it in place.
    edited = client.put(
        "/api/v1/achievements/welding-1",
        json={"achievement": achievement_json(name="Welding I (MIG)")},
    )
    assert (edited.json()["version"], edited.json()["achievement"]["name"]) == (
        1,
        "Welding I (MIG)",
    )
    published = client.post("/api/v1/achievements/welding-1/publish").json()
    assert published["status"] == "published"
    assert published["publishedAt"] is not None
    # Editing a published one starts version 2 as a draft; version 1 never changes.
    second = client.put(
        "/api/v1/achievements/welding-1",
        json={"achievement": achievement_json(name="Welding I (MIG and TIG)")},
    )
    assert (second.json()["version"], second.json()["status"]) == (2, "draft")
    first = client.get("/api/v1/achievements/welding-1", params={"version": 1}).json()
    assert (first["status"], first["achievement"]["name"]) == ("published", "Welding I (MIG)")
    latest = client.get("/api/v1/achievements/welding-1").json()
    assert (latest["version"], latest["status"]) == (2, "draft")
    # Issuing takes the latest *published* version while version 2 is a draft.
    issued = platform.issue(recipient={"did": "did:example:a"})
    assert issued.json()["achievement"]["version"] == 1
    assert_problem(
        client.post(
            "/api/v1/credentials",
            json={
                "achievement": "welding-1",
                "achievementVersion": 2,
                "recipient": {"did": "did:example:a"},
            },
        ),
        422,
        "invalid_input",
    )
    generated = client.post("/api/v1/achievements", json={"achievement": achievement_json()})
    assert generated.status_code == 201
    listed = client.get("/api/v1/achievements").json()["items"]
    assert {(a["logicalId"], a["version"]) for a in listed} == {
        ("welding-1", 2),
        (generated.json()["logicalId"], 1),
    }
    assert_problem(client.get("/api/v1/achievements/welding-1?version=3"), 404, "not_found")
    actions = [e["action"] for e in client.get("/api/v1/audit?limit=200").json()["items"]]
    assert actions.count("achievement.publish") == 1
    assert actions.count("achievement.create") == 3
