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


def test_failed_logins_share_one_budget_across_form_api_and_workers(make_app, fixture_index):
    workers = _two_workers(make_app, fixture_index)
    statuses = []
    for attempt in range(6):
        client = workers[attempt % 2].test_client()
        if attempt % 2:
            response = client.post("/api/auth/login", json={"email": "x@example.com", "password": f"falsch{attempt}"})
        else:
            token = csrf_token_from(client, "/anmelden")
            response = client.post("/anmelden", data={"email": "x@example.com", "password": f"falsch{attempt}",
                                                      "csrf_token": token})
        statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429]
    # Another address is not locked out of that account.
    other = workers[0].test_client().post("/api/auth/login", json={"email": "x@example.com", "password": "falsch"},
                                          environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 401


def test_two_workers_share_the_guest_budget_with_the_case_api(make_app, fixture_index):
    workers = _two_workers(make_app, fixture_index)
    for attempt in range(10):
        workers[attempt % 2].test_client().post("/api/tracking/lookup", json={"order_number": "1", "postcode": "1"})
    client = workers[1].test_client()
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    response = client.post("/api/cases", json={"topic": "lieferung", "message": "Wo bleibt mein Paket denn?",
                                               "channel": "email", "name": "Gast", "email": "gast@example.com",
                                               "order_number": "1", "postcode": "1"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 429
