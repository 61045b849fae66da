"""Headers, cookies, configuration and redaction rules from shared/RELIABILITY.md."""
import pytest

from app.config import ConfigError, config_from_env
from app.privacy.redaction import anonymize_search_query, luhn_valid, mask_card_numbers


def test_security_headers_on_pages_and_api(client):
    for path in ("/", "/api/search?q=Paket", "/gibt-es-nicht"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in headers  # only in production


def test_production_requires_a_secret_key_and_sets_secure_cookies(tmp_path):
    with pytest.raises(ConfigError):
        config_from_env(tmp_path, {"HELPCENTER_ENV": "production"})
    config = config_from_env(tmp_path, {"HELPCENTER_ENV": "production", "SECRET_KEY": "s" * 32})
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_secret_key_is_generated_once_into_instance(tmp_path):
    first = config_from_env(tmp_path, {})["SECRET_KEY"]
    assert len(first) == 64 and (tmp_path / "secret_key").read_text() == first
    assert config_from_env(tmp_path, {})["SECRET_KEY"] == first


def test_config_defaults_and_validation(tmp_path):
    config = config_from_env(tmp_path, {})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'helpcenter.db'}"
    assert config["HELPCENTER_DEFAULT_LANG"] == "de"
    assert config["HELPCENTER_CONTENT_DIR"].endswith("/content")
    assert config["HELPCENTER_INDEX_DIR"].endswith("/search_index")
    assert config_from_env(tmp_path, {"DATABASE_URL": "postgresql://u@h/db"})["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    with pytest.raises(ConfigError):
        config_from_env(tmp_path, {"HELPCENTER_DEFAULT_LANG": "fr"})


def test_hsts_in_production(make_app, fixture_index):
    app = make_app(index_dir=fixture_index, HELPCENTER_PRODUCTION=True)
    assert "max-age=" in app.test_client().get("/").headers["Strict-Transport-Security"]


@pytest.mark.parametrize("text,expected", [
    ("Meine Karte 4111 1111 1111 1111 wurde belastet", "Meine Karte 411111******1111 wurde belastet"),
    ("4111-1111-1111-1111", "411111******1111"),
    ("Amex 378282246310005.", "Amex 378282*****0005."),
    ("Bestellung 100234567 und Tel. 040 123 456 70", "Bestellung 100234567 und Tel. 040 123 456 70"),
    ("IBAN DE89 3704 0044 0532 0130 00", "IBAN DE89 3704 0044 0532 0130 00"),
    ("4111 1111 1111 1112 ist keine gültige Nummer", "4111 1111 1111 1112 ist keine gültige Nummer"),
])
def test_card_numbers_are_masked_other_numbers_kept(text, expected):
    assert mask_card_numbers(text) == expected


def test_luhn():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


def test_logged_queries_lose_contact_details():
    assert anonymize_search_query("anna.schmidt@example.com Rechnung 0171 2345678") == "[E-Mail] Rechnung [Nummer]"


def test_an_unmigrated_database_gets_a_clear_503_not_a_stack_trace(tmp_path, fixture_index, caplog):
    """Before `flask db upgrade` the pages say the help is being set up, and the log says what to run."""
    from app import create_app
    from tests.conftest import FIXTURE_CONTENT

    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}",
                      "HELPCENTER_CONTENT_DIR": str(FIXTURE_CONTENT), "HELPCENTER_INDEX_DIR": str(fixture_index),
                      "RATELIMIT_STORAGE_URI": "memory://"})
    client = app.test_client()
    page = client.get("/")
    assert page.status_code == 503 and "wird gerade eingerichtet" in page.get_data(as_text=True)
    api = client.get("/api/search?q=Rechnung")
    assert api.status_code == 503 and api.get_json()["error"]["code"] == "not_set_up"
    assert "flask --app wsgi db upgrade" in caplog.text and "Traceback" not in caplog.text
