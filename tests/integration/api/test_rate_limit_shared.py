"""Rate-limit buckets kept in Redis (``OPENLER_RATE_LIMIT_REDIS_URL``): every worker
process shares one budget per client, and a Redis outage lets requests through rather
than taking the platform down. Runs against the local Redis server (``make test`` starts
it), database 15, which the test empties."""

from __future__ import annotations

import redis
from pydantic import SecretStr

from openler.api.middleware import RateLimit
from openler.config import Settings
from tests.integration.api._client import TestClient
from tests.integration.api.conftest import MakeApp

REDIS_URL = "redis://127.0.0.1:6379/15"


def _settings(settings: Settings, url: str) -> Settings:
    return settings.model_copy(update={"rate_limit_redis_url": SecretStr(url)})


def test_two_workers_share_one_budget(make_app: MakeApp, settings: Settings) -> None:
    redis.Redis.from_url(REDIS_URL).flushdb()
    limit = RateLimit(per_second=0.01, burst=3)
    shared = _settings(settings, REDIS_URL)
    first = make_app(settings=shared, rate_limit=limit)
    second = make_app(settings=shared, rate_limit=limit)
    with TestClient(first) as one, TestClient(second) as two:
        answers = [
            one.post("/credentials/verify", json={}).status_code,
            two.post("/credentials/verify", json={}).status_code,
            one.post("/credentials/verify", json={}).status_code,
            two.post("/credentials/verify", json={}),
        ]
    assert 429 not in answers[:3]
    limited = answers[3]
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
    assert redis.Redis.from_url(REDIS_URL).keys("openler:rl:*")  # the bucket lives in Redis


def test_unreachable_redis_lets_requests_through(make_app: MakeApp, settings: Settings) -> None:
    down = _settings(settings, "redis://127.0.0.1:9/0")  # nothing listens on port 9
    app = make_app(settings=down, rate_limit=RateLimit(per_second=0.01, burst=1))
    with TestClient(app) as client:
        codes = [client.post("/credentials/verify", json={}).status_code for _ in range(3)]
    assert 429 not in codes
    assert set(codes) <= {400, 422}
