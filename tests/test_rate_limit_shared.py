"""Rate limits are shared by all workers when they use Redis (as in production)."""
import socket

import pytest

from tests.conftest import csrf_token_from


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")


def _two_workers(make_app, fixture_index):
    """Two app instances stand for two gunicorn workers sharing one Redis."""
    from app.extensions import limiter

    workers = [make_app(index_dir=fixture_index, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379") for _ in range(2)]
    limiter.reset()  # counters of earlier test runs in the same Redis
    return workers


def test_two_workers_share_the_guest_lookup_limit(make_app, fixture_index):
    workers = _two_workers(make_app, fixture_index)
    statuses = []
    for attempt in range(12):
        client = workers[attempt % 2].test_client()
        statuses.append(client.post("/api/tracking/lookup", json={"order_number": "1", "postcode": "1"}).status_code)
    assert statuses[:10] == [404] * 10
    assert statuses[10:] == [429, 429]


def test_failed_logins_counted_across_workers(make_app, fixture_index):
    workers = _two_workers(make_app, fixture_index)
    statuses = []
    for attempt in range(6):
        client = workers[attempt % 2].test_client()
        token = csrf_token_from(client, "/anmelden")
        statuses.append(client.post("/anmelden", data={"email": "x@example.com", "password": f"falsch{attempt}",
                                                       "csrf_token": token}).status_code)
    assert statuses == [401] * 5 + [429]
