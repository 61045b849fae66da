"""Behind a reverse proxy: limits on the real client address, links on the base URL, unknown hosts refused."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.config import ConfigError, config_from_env
from app.extensions import db
from app.outbox.models import OutboxMessage

BASE = "https://hilfe.nordlicht.example"
PROXY = "10.0.0.2"
LOOKUP = {"order_number": "1", "postcode": "1"}


def _exhaust(client, forwarded_for: str) -> int:
    """Guest order lookups from one address until the budget is used up; how many went through."""
    for attempt in range(100):
        response = client.post("/api/tracking/lookup", json=LOOKUP, headers={"X-Forwarded-For": forwarded_for})
        if response.status_code == 429:
            return attempt
        assert response.status_code == 404
    raise AssertionError("the guest lookup limit never applied")


@pytest.mark.parametrize(("hops", "first", "second", "second_status"), [
    # nginx appends the address it sees; ProxyFix takes the last hop's entry.
    (1, "203.0.113.1", "203.0.113.2", 404),                                   # two customers: two budgets
    (1, "198.51.100.9, 203.0.113.1", "198.51.100.10, 203.0.113.1", 429),      # forged first entries: one budget
    (0, "203.0.113.1", "203.0.113.2", 429),                                   # no proxy configured: header ignored
    (0, "203.0.113.1", "", 429),
])
def test_rate_limits_key_on_the_client_address_the_trusted_proxy_saw(make_app, fixture_index, hops, first, second,
                                                                       second_status):
    from app.extensions import limiter

    app = make_app(index_dir=fixture_index, HELPCENTER_TRUSTED_PROXIES=hops)
    limiter.reset()
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = PROXY
    assert _exhaust(client, first) >= 3
    response = client.post("/api/tracking/lookup", json=LOOKUP, headers={"X-Forwarded-For": second})
    assert response.status_code == second_status


def test_a_trusted_proxy_passes_the_scheme_on(make_app, fixture_index):
    app = make_app(index_dir=fixture_index, HELPCENTER_TRUSTED_PROXIES=1)

    @app.get("/_scheme")
    def scheme():
        from flask import request
        return f"{request.scheme} {request.remote_addr}"

    client = app.test_client()
    headers = {"X-Forwarded-For": "203.0.113.1", "X-Forwarded-Proto": "https"}
    assert client.get("/_scheme", headers=headers).get_data(as_text=True) == "https 203.0.113.1"


@pytest.mark.parametrize(("value", "hops"), [("", 0), ("0", 0), ("2", 2)])
def test_trusted_proxies_is_a_number_of_hops(tmp_path, value, hops):
    env = {"HELPCENTER_TRUSTED_PROXIES": value}
    assert config_from_env(tmp_path, env)["HELPCENTER_TRUSTED_PROXIES"] == hops


@pytest.mark.parametrize("value", ["-1", "10.0.0.0/8", "ja"])
def test_trusted_proxies_refuses_what_is_not_a_number_of_hops(tmp_path, value):
    with pytest.raises(ConfigError, match="HELPCENTER_TRUSTED_PROXIES"):
        config_from_env(tmp_path, {"HELPCENTER_TRUSTED_PROXIES": value})


@pytest.fixture
def based_app(make_app, fixture_index):
    return make_app(index_dir=fixture_index, HELPCENTER_BASE_URL=BASE)


EVIL = "http://evil.example"


@pytest.mark.parametrize(("path", "expected"), [
    ("/sitemap.xml", f"<loc>{BASE}/hilfe/versand/sendungsverfolgung</loc>"),
    ("/robots.txt", f"Sitemap: {BASE}/sitemap.xml"),
    ("/hilfe/versand/sendungsverfolgung", f'<link rel="canonical" href="{BASE}/hilfe/versand/sendungsverfolgung">'),
])
def test_absolute_links_come_from_the_base_url_not_the_host_header(based_app, path, expected):
    response = based_app.test_client().get(path, base_url=EVIL)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert expected in body
    assert "evil.example" not in body


def test_links_in_e_mails_come_from_the_base_url_not_the_host_header(based_app):
    client = based_app.test_client()
    token = client.get("/api/auth/csrf", base_url=EVIL).get_json()["csrf_token"]
    response = client.post("/api/cases", base_url=EVIL, headers={"X-CSRFToken": token}, json={
        "topic": "lieferung", "message": "Wann kommt meine Bestellung denn ungefähr an?", "channel": "email",
        "name": "Kim Berg", "email": "kim.berg@example.com", "order_number": "500001"})
    assert response.status_code == 201, response.get_data(as_text=True)
    with based_app.app_context():
        [body] = db.session.scalars(select(OutboxMessage.body)).all()
    assert re.search(rf"{re.escape(BASE)}/kontakt/anfrage/\S+", body)
    assert "evil.example" not in body


@pytest.fixture
def production_app(make_app, fixture_index):
    return make_app(index_dir=fixture_index, HELPCENTER_PRODUCTION=True, HELPCENTER_BASE_URL=BASE,
                    HELPCENTER_ALLOWED_HOSTS=["www.hilfe.nordlicht.example"])


@pytest.mark.parametrize(("host", "path", "status"), [
    ("hilfe.nordlicht.example", "/", 200),
    ("hilfe.nordlicht.example:443", "/api/search?q=versand", 200),
    ("www.hilfe.nordlicht.example", "/", 200),
    ("evil.example", "/", 400),
    ("evil.example", "/api/search?q=versand", 400),
    ("hilfe.nordlicht.example.evil.example", "/sitemap.xml", 400),
    ("127.0.0.1", "/", 400),
])
def test_production_refuses_unknown_hosts(production_app, host, path, status):
    response = production_app.test_client().get(path, headers={"Host": host})
    assert response.status_code == status
    if status == 400 and path.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "unknown_host"
    elif status == 400:
        assert "Die Anfrage war ungültig" in response.get_data(as_text=True)


def test_development_answers_any_host(based_app):
    assert based_app.test_client().get("/", headers={"Host": "evil.example"}).status_code == 200
