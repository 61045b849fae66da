"""Configuration read from the environment; every variable is listed in the README."""
from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """Raised when the environment does not describe a runnable configuration."""


def _env_bool(env, name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(env, name: str, default: int) -> int:
    value = env.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc


def _env_days(env, name: str, default: int | None, minimum: int = 0) -> int | None:
    """A retention period in days: a whole number of at least `minimum` (0 keeps that kind of data)."""
    value = _env_int(env, name, default) if default is not None or env.get(name) else None
    if value is not None and value < minimum:
        raise ConfigError(f"{name} must be {minimum} or more days, got {value!r}")
    return value


def _env_list(env, name: str) -> list[str]:
    return [item.strip() for item in env.get(name, "").split(",") if item.strip()]


def _trusted_proxies(env) -> int:
    hops = _env_int(env, "HELPCENTER_TRUSTED_PROXIES", 0)
    if hops < 0:
        raise ConfigError(f"HELPCENTER_TRUSTED_PROXIES must be the number of proxies in front of the app, got {hops}")
    return hops


def _positive(value: int, name: str) -> int:
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


def _choice(env, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (env.get(name) or "").strip().lower() or default
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(a for a in allowed if a)}, got {value!r}")
    return value


DEFAULT_ORDER_NUMBER_PATTERN = r"[0-9]{6,10}"


def _order_number_pattern(env) -> str:
    """The shop's order numbers as a regular expression (one word): the search spots them in a query.

    Six to ten digits by default: longer than a postcode, shorter than a parcel's tracking number.
    """
    value = (env.get("HELPCENTER_ORDER_NUMBER_PATTERN") or "").strip() or DEFAULT_ORDER_NUMBER_PATTERN
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise ConfigError(f"HELPCENTER_ORDER_NUMBER_PATTERN is not a regular expression: {exc}") from exc
    if compiled.fullmatch("") or " " in value or "\\s" in value or len(value) > 200:
        raise ConfigError("HELPCENTER_ORDER_NUMBER_PATTERN must describe one order number (no spaces, never empty), "
                          f"got {value!r}")
    return value


def _pem_or_file(env, name: str) -> str:
    """A PEM key given inline (with \\n for line breaks in one-line settings) or as a path to a file."""
    value = (env.get(name) or "").strip()
    if not value:
        return ""
    if value.startswith("-----BEGIN"):
        return value.replace("\\n", "\n")
    path = Path(value)
    if not path.is_file():
        raise ConfigError(f"{name} must be a PEM public key or the path of a file holding one")
    return path.read_text(encoding="ascii").strip()


def _check_jwt_public_key(pem: str) -> None:
    """The shop's token key must be one the JWT hand-off can use: RSA of 2048 bits or more (RS256) or P-256 (ES256)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ConfigError("HELPCENTER_SSO_JWT_PUBLIC_KEY is not a PEM public key") from exc
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
        return
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return
    raise ConfigError("HELPCENTER_SSO_JWT_PUBLIC_KEY must be an RSA key of at least 2048 bits (RS256) "
                      "or a P-256 key (ES256)")


def _people_settings(env) -> dict:
    """Staff second factor, the shop's single sign-on and what the customers' sign-in page offers."""
    settings = {
        # "" = admins must use a second factor, other staff may; "required"/"optional" for every staff member.
        "HELPCENTER_STAFF_2FA": _choice(env, "HELPCENTER_STAFF_2FA", ("", "required", "optional"), ""),
        "HELPCENTER_SSO_JWT_SECRET": env.get("HELPCENTER_SSO_JWT_SECRET", ""),
        "HELPCENTER_SSO_JWT_PUBLIC_KEY": _pem_or_file(env, "HELPCENTER_SSO_JWT_PUBLIC_KEY"),
        # The shop's page that signs the customer in and sends them back with a token (remote login URL).
        "HELPCENTER_SSO_JWT_LOGIN_URL": env.get("HELPCENTER_SSO_JWT_LOGIN_URL", "").strip(),
        "HELPCENTER_OIDC_ISSUER": env.get("HELPCENTER_OIDC_ISSUER", "").strip().rstrip("/"),
        "HELPCENTER_OIDC_CLIENT_ID": env.get("HELPCENTER_OIDC_CLIENT_ID", "").strip(),
        "HELPCENTER_OIDC_CLIENT_SECRET": env.get("HELPCENTER_OIDC_CLIENT_SECRET", ""),
        "HELPCENTER_OIDC_CUSTOMER_CLAIM": env.get("HELPCENTER_OIDC_CUSTOMER_CLAIM", "").strip() or "sub",
        "HELPCENTER_OIDC_SCOPES": env.get("HELPCENTER_OIDC_SCOPES", "").strip() or "openid email profile",
        # Each call to the provider (discovery, keys, token, userinfo) gives up after this many seconds.
        "HELPCENTER_OIDC_TIMEOUT_SECONDS": _positive(_env_int(env, "HELPCENTER_OIDC_TIMEOUT_SECONDS", 5),
                                                     "HELPCENTER_OIDC_TIMEOUT_SECONDS"),
        "HELPCENTER_CUSTOMER_LOGIN": _choice(env, "HELPCENTER_CUSTOMER_LOGIN", ("password", "sso", "both"), "both"),
        # The satisfaction survey also asks "how likely would you recommend us?" (0–10) for the NPS.
        "HELPCENTER_SURVEY_NPS": _choice(env, "HELPCENTER_SURVEY_NPS", ("on", "off"), "off") == "on",
    }
    if settings["HELPCENTER_SSO_JWT_SECRET"] and len(settings["HELPCENTER_SSO_JWT_SECRET"]) < 32:
        raise ConfigError("HELPCENTER_SSO_JWT_SECRET must be at least 32 characters (HS256 needs a long random key)")
    if settings["HELPCENTER_SSO_JWT_PUBLIC_KEY"]:
        _check_jwt_public_key(settings["HELPCENTER_SSO_JWT_PUBLIC_KEY"])
    if settings["HELPCENTER_SSO_JWT_LOGIN_URL"] and not re.match(r"^https?://[^/\s?#]+(/\S*)?$",
                                                                 settings["HELPCENTER_SSO_JWT_LOGIN_URL"]):
        raise ConfigError("HELPCENTER_SSO_JWT_LOGIN_URL must be the shop's sign-in page as an http(s) URL")
    if settings["HELPCENTER_OIDC_ISSUER"] and not settings["HELPCENTER_OIDC_CLIENT_ID"]:
        raise ConfigError("HELPCENTER_OIDC_CLIENT_ID must be set when HELPCENTER_OIDC_ISSUER is")
    sso_offered = settings["HELPCENTER_SSO_JWT_LOGIN_URL"] or settings["HELPCENTER_OIDC_ISSUER"]
    if settings["HELPCENTER_CUSTOMER_LOGIN"] == "sso" and not sso_offered:
        raise ConfigError("HELPCENTER_CUSTOMER_LOGIN=sso needs HELPCENTER_OIDC_ISSUER or HELPCENTER_SSO_JWT_LOGIN_URL")
    return settings


def _imap_settings(env) -> dict:
    """Inbound mail: the mailbox `flask mail fetch` reads (always over TLS, the certificate always verified)."""
    starttls = _env_bool(env, "HELPCENTER_IMAP_STARTTLS", False)
    settings = {
        "HELPCENTER_IMAP_HOST": env.get("HELPCENTER_IMAP_HOST", "").strip(),
        # 993: implicit TLS (IMAPS); with HELPCENTER_IMAP_STARTTLS=true the plain port 143 upgraded by STARTTLS.
        "HELPCENTER_IMAP_PORT": _env_int(env, "HELPCENTER_IMAP_PORT", 143 if starttls else 993),
        "HELPCENTER_IMAP_USER": env.get("HELPCENTER_IMAP_USER", "").strip(),
        "HELPCENTER_IMAP_PASSWORD": env.get("HELPCENTER_IMAP_PASSWORD", ""),
        "HELPCENTER_IMAP_FOLDER": env.get("HELPCENTER_IMAP_FOLDER", "").strip() or "INBOX",
        "HELPCENTER_IMAP_STARTTLS": starttls,
        # A CA bundle (PEM) for a server whose certificate no public CA signed; empty: the system's CAs.
        "HELPCENTER_IMAP_CA_FILE": env.get("HELPCENTER_IMAP_CA_FILE", "").strip(),
        # Each network read or write gives up after this many seconds.
        "HELPCENTER_IMAP_TIMEOUT": _positive(_env_int(env, "HELPCENTER_IMAP_TIMEOUT", 30), "HELPCENTER_IMAP_TIMEOUT"),
    }
    if not 1 <= settings["HELPCENTER_IMAP_PORT"] <= 65535:
        raise ConfigError(f"HELPCENTER_IMAP_PORT must be a port number (1-65535), "
                          f"got {settings['HELPCENTER_IMAP_PORT']}")
    if settings["HELPCENTER_IMAP_HOST"] and not (settings["HELPCENTER_IMAP_USER"]
                                                 and settings["HELPCENTER_IMAP_PASSWORD"]):
        raise ConfigError("HELPCENTER_IMAP_USER and HELPCENTER_IMAP_PASSWORD must be set when HELPCENTER_IMAP_HOST is")
    if settings["HELPCENTER_IMAP_CA_FILE"] and not Path(settings["HELPCENTER_IMAP_CA_FILE"]).is_file():
        raise ConfigError("HELPCENTER_IMAP_CA_FILE must be the path of a PEM file with the IMAP server's "
                          "CA certificate")
    return settings


def _secret_key(env, instance_path: Path, production: bool) -> str:
    key = env.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise ConfigError("SECRET_KEY must be set when HELPCENTER_ENV=production")
    # Development: one random key kept in instance/ so sessions survive restarts.
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def per_worker_rate_limits(env, workers: int) -> str | None:
    """Why this production start must stop: several workers would each keep rate limits in memory."""
    production = env.get("HELPCENTER_ENV", "development").strip().lower() == "production"
    storage = (env.get("RATELIMIT_STORAGE_URI") or "memory://").strip()
    if not production or workers <= 1 or not storage.startswith("memory://"):
        return None
    return (f"HELPCENTER_ENV=production with {workers} workers needs rate-limit storage all workers share: "
            f"with RATELIMIT_STORAGE_URI={storage} every worker counts on its own and each limit is multiplied "
            f"by {workers}. Set RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379 (or run one worker).")


def _declared_workers(env) -> int:
    """The worker count the environment announces (WEB_CONCURRENCY, or -w/--workers in GUNICORN_CMD_ARGS)."""
    found = re.search(r"(?:^|\s)(?:-w\s*|--workers[=\s]\s*)(\d+)", env.get("GUNICORN_CMD_ARGS", ""))
    if found:
        return int(found.group(1))
    return _env_int(env, "WEB_CONCURRENCY", 1)


def _tracking_settings(env) -> dict:
    """Live tracking from the carriers: DHL's Shipment Tracking – Unified API (polled) and AfterShip (webhook)."""
    settings = {
        "HELPCENTER_DHL_TRACKING_BASE_URL": (env.get("HELPCENTER_DHL_TRACKING_BASE_URL", "").strip().rstrip("/")
                                             or "https://api-eu.dhl.com"),
        "HELPCENTER_DHL_TRACKING_API_KEY": env.get("HELPCENTER_DHL_TRACKING_API_KEY", "").strip(),
        # DHL's documented limits of the key's service level (starter: 250 calls a day, 1 call a second). They
        # count for this node: a shop with two pollers gives each half.
        "HELPCENTER_DHL_TRACKING_DAILY_LIMIT": _positive(_env_int(env, "HELPCENTER_DHL_TRACKING_DAILY_LIMIT", 250),
                                                         "HELPCENTER_DHL_TRACKING_DAILY_LIMIT"),
        "HELPCENTER_DHL_TRACKING_PER_SECOND": _positive(_env_int(env, "HELPCENTER_DHL_TRACKING_PER_SECOND", 1),
                                                        "HELPCENTER_DHL_TRACKING_PER_SECOND"),
        # UPS Track API (tracking = "ups"): an app's OAuth client credentials from developer.ups.com. UPS's Track
        # reference names no call limits; these are this node's, set them to what UPS granted.
        "HELPCENTER_UPS_TRACKING_BASE_URL": (env.get("HELPCENTER_UPS_TRACKING_BASE_URL", "").strip().rstrip("/")
                                             or "https://onlinetools.ups.com"),
        "HELPCENTER_UPS_TRACKING_CLIENT_ID": env.get("HELPCENTER_UPS_TRACKING_CLIENT_ID", "").strip(),
        "HELPCENTER_UPS_TRACKING_CLIENT_SECRET": env.get("HELPCENTER_UPS_TRACKING_CLIENT_SECRET", "").strip(),
        "HELPCENTER_UPS_TRACKING_DAILY_LIMIT": _positive(_env_int(env, "HELPCENTER_UPS_TRACKING_DAILY_LIMIT", 5000),
                                                         "HELPCENTER_UPS_TRACKING_DAILY_LIMIT"),
        "HELPCENTER_UPS_TRACKING_PER_SECOND": _positive(_env_int(env, "HELPCENTER_UPS_TRACKING_PER_SECOND", 2),
                                                        "HELPCENTER_UPS_TRACKING_PER_SECOND"),
        # Outgoing shipments shipped longer ago than this are no longer polled (DHL purges after about 90 days).
        "HELPCENTER_TRACKING_POLL_DAYS": _positive(_env_int(env, "HELPCENTER_TRACKING_POLL_DAYS", 60),
                                                   "HELPCENTER_TRACKING_POLL_DAYS"),
        # The webhook secret of AfterShip Tracking (Settings > Webhooks); empty: POST /api/shipments/aftership
        # accepts nothing.
        "HELPCENTER_AFTERSHIP_WEBHOOK_SECRET": env.get("HELPCENTER_AFTERSHIP_WEBHOOK_SECRET", "").strip(),
    }
    for name, example in (("HELPCENTER_DHL_TRACKING_BASE_URL", "https://api-eu.dhl.com"),
                          ("HELPCENTER_UPS_TRACKING_BASE_URL", "https://onlinetools.ups.com")):
        if not settings[name].startswith(("https://", "http://")):
            raise ConfigError(f"{name} must be an http(s) URL such as {example}")
    return settings
DHL_RETURNS_PRODUCTION_URL = "https://api-eu.dhl.com/parcel/de/shipping/returns/v1"
DHL_RETURNS_SANDBOX_URL = "https://api-sandbox.dhl.com/parcel/de/shipping/returns/v1"


def _env_seconds(env, name: str, default: float) -> float:
    value = env.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        seconds = float(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds, got {value!r}") from exc
    if not 0 < seconds <= 300:
        raise ConfigError(f"{name} must be more than 0 and at most 300 seconds, got {value!r}")
    return seconds


def _carrier_settings(env) -> dict:
    """Carrier APIs (app/carriers/): read here, checked when a carrier in the returns policy uses the adapter.

    Empty credentials are fine as long as no carrier says `label = "dhl_returns"`; the adapter's factory then
    stops the start with a ConfigError naming the missing variable."""
    return {
        "HELPCENTER_DHL_RETURNS_BASE_URL": (env.get("HELPCENTER_DHL_RETURNS_BASE_URL") or "").strip().rstrip("/")
        or DHL_RETURNS_PRODUCTION_URL,
        # The app's API key from developer.dhl.com (header dhl-api-key; the OAuth2 client_id).
        "HELPCENTER_DHL_API_KEY": env.get("HELPCENTER_DHL_API_KEY", "").strip(),
        # Set: OAuth2 password flow (client_id = API key) instead of basic auth on every call.
        "HELPCENTER_DHL_API_SECRET": env.get("HELPCENTER_DHL_API_SECRET", "").strip(),
        # The business customer portal user (GKP) with the right "Retoure".
        "HELPCENTER_DHL_RETURNS_USER": env.get("HELPCENTER_DHL_RETURNS_USER", "").strip(),
        "HELPCENTER_DHL_RETURNS_PASSWORD": env.get("HELPCENTER_DHL_RETURNS_PASSWORD", ""),
        # The shop's receiver ID (DHL business portal, Retoure settings), e.g. "deu" for parcels from Germany.
        "HELPCENTER_DHL_RETURNS_RECEIVER_ID": env.get("HELPCENTER_DHL_RETURNS_RECEIVER_ID", "").strip(),
        # Read timeout of the label job's calls, and of the one attempt made while the customer waits.
        "HELPCENTER_DHL_RETURNS_TIMEOUT": _env_seconds(env, "HELPCENTER_DHL_RETURNS_TIMEOUT", 20.0),
        "HELPCENTER_LABEL_SUBMIT_TIMEOUT": _env_seconds(env, "HELPCENTER_LABEL_SUBMIT_TIMEOUT", 4.0),
    }


def instance_dir_from_env(env=None) -> str | None:
    """HELPCENTER_INSTANCE_DIR as an absolute path (uploads, the development secret key), or None: instance/."""
    env = os.environ if env is None else env
    value = (env.get("HELPCENTER_INSTANCE_DIR") or "").strip()
    return str(Path(value).resolve()) if value else None


def config_from_env(instance_path: str | os.PathLike, env=None) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = os.environ if env is None else env
    instance = Path(instance_path)
    production = env.get("HELPCENTER_ENV", "development").strip().lower() == "production"

    problem = per_worker_rate_limits(env, _declared_workers(env))
    if problem:
        raise ConfigError(problem)

    default_lang = env.get("HELPCENTER_DEFAULT_LANG", "de").strip() or "de"
    if default_lang not in ("de", "en"):
        raise ConfigError(f"HELPCENTER_DEFAULT_LANG must be 'de' or 'en', got {default_lang!r}")

    if "HELPCENTER_SERVICE_HOURS" in env:
        # Retired: a footer text of its own could promise other hours than the ones answer times count.
        # An installation that still sets it starts as before (the footer shows the routing file's hours)
        # and is told once where the hours live now.
        logging.getLogger("helpcenter.config").warning(
            "HELPCENTER_SERVICE_HOURS is no longer used: the footer shows the service hours of the routing file "
            "([service] hours in HELPCENTER_ROUTING_FILE, app/cases/routing.toml by default), the same hours the "
            "answer times count. Remove the variable and set the hours there.")

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'helpcenter.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://"):]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]

    return {
        "HELPCENTER_PRODUCTION": production,
        "SECRET_KEY": _secret_key(env, instance, production),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "HELPCENTER_CONTENT_DIR": str(Path(env.get("HELPCENTER_CONTENT_DIR") or PROJECT_ROOT / "content").resolve()),
        "HELPCENTER_INDEX_DIR": str(Path(env.get("HELPCENTER_INDEX_DIR") or PROJECT_ROOT / "search_index").resolve()),
        "HELPCENTER_DEFAULT_LANG": default_lang,
        # "off": rank by words alone (the ranking before sentence vectors), e.g. to compare.
        "HELPCENTER_SEARCH_SEMANTIC": _env_bool(env, "HELPCENTER_SEARCH_SEMANTIC", True),
        # "off": the fused ranking without its vote by spelling (letter groups), e.g. to compare.
        "HELPCENTER_SEARCH_SPELLING": _env_bool(env, "HELPCENTER_SEARCH_SPELLING", True),
        "HELPCENTER_CONTENT_RELOAD_SECONDS": _env_int(env, "HELPCENTER_CONTENT_RELOAD_SECONDS", 2),
        # on: publishing an article needs a second editor's approval (the author cannot approve their own change).
        "HELPCENTER_EDITORIAL_REVIEW": _env_bool(env, "HELPCENTER_EDITORIAL_REVIEW", False),
        "HELPCENTER_SHOP_NAME": env.get("HELPCENTER_SHOP_NAME", "Nordlicht"),
        "HELPCENTER_SHOP_URL": env.get("HELPCENTER_SHOP_URL", "https://nordlicht.example"),
        # Absolute address of this help center, for links in e-mails, the sitemap and canonical links.
        "HELPCENTER_BASE_URL": env.get("HELPCENTER_BASE_URL", "http://127.0.0.1:5000"),
        # Production answers only for the base URL's host and these extra names (400 otherwise).
        "HELPCENTER_ALLOWED_HOSTS": _env_list(env, "HELPCENTER_ALLOWED_HOSTS"),
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: ignore those headers).
        "HELPCENTER_TRUSTED_PROXIES": _trusted_proxies(env),
        "HELPCENTER_LOGO_URL": env.get("HELPCENTER_LOGO_URL", ""),
        "HELPCENTER_PRIMARY_COLOR": env.get("HELPCENTER_PRIMARY_COLOR", "#0b4f6c"),
        "HELPCENTER_ACCENT_COLOR": env.get("HELPCENTER_ACCENT_COLOR", "#c8553d"),
        "HELPCENTER_SHOP_PHONE": env.get("HELPCENTER_SHOP_PHONE", "040 123 456 70"),
        "HELPCENTER_SHOP_EMAIL": env.get("HELPCENTER_SHOP_EMAIL", "service@nordlicht.example"),
        "HELPCENTER_IMPRINT_URL": env.get("HELPCENTER_IMPRINT_URL", ""),
        "HELPCENTER_PRIVACY_URL": env.get("HELPCENTER_PRIVACY_URL", ""),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Redis stopped or hung: give up within 0.3 seconds, count in this worker's memory meanwhile
        # (logged once) and go back to Redis when it answers again. Rate limits never take the site down.
        "RATELIMIT_STORAGE_OPTIONS": {"socket_timeout": 0.3, "socket_connect_timeout": 0.3},
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        # Shop data and tracking
        "HELPCENTER_FEDERAL_STATE": env.get("HELPCENTER_FEDERAL_STATE", "HH"),
        "HELPCENTER_WEBHOOK_SECRET": env.get("HELPCENTER_WEBHOOK_SECRET", ""),
        "HELPCENTER_GUEST_ACCESS_MINUTES": _env_int(env, "HELPCENTER_GUEST_ACCESS_MINUTES", 30),
        # How the shop's order numbers look, so that a search for "100411" offers to track that order.
        "HELPCENTER_ORDER_NUMBER_PATTERN": _order_number_pattern(env),
        # Contact: routing rules, service hours and callback slots (see app/cases/routing.toml)
        "HELPCENTER_ROUTING_FILE": env.get("HELPCENTER_ROUTING_FILE", ""),
        # Outbox: e-mails and webhooks
        "HELPCENTER_MAIL_BACKEND": env.get("HELPCENTER_MAIL_BACKEND", "smtp"),
        "HELPCENTER_MAIL_FROM": env.get("HELPCENTER_MAIL_FROM", "Nordlicht Kundenservice <service@nordlicht.example>"),
        # Inbound mail (app/inbound/): the mailbox replies arrive in; mails about a case carry a signed
        # plus-address of it as Reply-To. Empty: the address of HELPCENTER_MAIL_FROM.
        "HELPCENTER_INBOUND_ADDRESS": env.get("HELPCENTER_INBOUND_ADDRESS", "").strip(),
        "HELPCENTER_SMTP_HOST": env.get("HELPCENTER_SMTP_HOST", "localhost"),
        "HELPCENTER_SMTP_PORT": _env_int(env, "HELPCENTER_SMTP_PORT", 25),
        "HELPCENTER_SMTP_USER": env.get("HELPCENTER_SMTP_USER", ""),
        "HELPCENTER_SMTP_PASSWORD": env.get("HELPCENTER_SMTP_PASSWORD", ""),
        "HELPCENTER_SMTP_STARTTLS": _env_bool(env, "HELPCENTER_SMTP_STARTTLS", False),
        "HELPCENTER_SMTP_TIMEOUT": _env_int(env, "HELPCENTER_SMTP_TIMEOUT", 10),
        "HELPCENTER_OUTBOX_MAX_ATTEMPTS": _env_int(env, "HELPCENTER_OUTBOX_MAX_ATTEMPTS", 10),
        # Returns center: window, carriers and goodwill rules (see app/returns/policy.toml)
        "HELPCENTER_RETURNS_POLICY_FILE": env.get("HELPCENTER_RETURNS_POLICY_FILE", ""),
        "HELPCENTER_RETURNS_WEBHOOK_URL": env.get("HELPCENTER_RETURNS_WEBHOOK_URL", ""),
        "HELPCENTER_RETURNS_WEBHOOK_SECRET": env.get("HELPCENTER_RETURNS_WEBHOOK_SECRET", ""),
        # Retention (app/privacy/retention.py, `flask privacy purge`); the phone period defaults to the
        # routing file's phone_retention_days, which the contact form promises.
        "HELPCENTER_RETENTION_PHONE_DAYS": _env_days(env, "HELPCENTER_RETENTION_PHONE_DAYS", None, minimum=1),
        "HELPCENTER_RETENTION_SEARCH_LOG_DAYS": _env_days(env, "HELPCENTER_RETENTION_SEARCH_LOG_DAYS", 90),
        "HELPCENTER_RETENTION_TRAIL_DAYS": _env_days(env, "HELPCENTER_RETENTION_TRAIL_DAYS", 90),
        "HELPCENTER_RETENTION_ATTACHMENT_DAYS": _env_days(env, "HELPCENTER_RETENTION_ATTACHMENT_DAYS", 90),
        "HELPCENTER_RETENTION_OUTBOX_DAYS": _env_days(env, "HELPCENTER_RETENTION_OUTBOX_DAYS", 30),
        "HELPCENTER_RETENTION_CASE_DAYS": _env_days(env, "HELPCENTER_RETENTION_CASE_DAYS", 1095),
        "HELPCENTER_RETENTION_AUDIT_DAYS": _env_days(env, "HELPCENTER_RETENTION_AUDIT_DAYS", 730),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Explicit: Flask-Limiter otherwise keeps the previous app's setting on its shared object
        # (an app created with RATELIMIT_ENABLED=False would switch the limits off for later apps).
        "RATELIMIT_ENABLED": True,
        # Staff (agents, editors, admins) are signed out after this many hours without a request.
        "HELPCENTER_STAFF_IDLE_HOURS": _positive(_env_int(env, "HELPCENTER_STAFF_IDLE_HOURS", 10),
                                                 "HELPCENTER_STAFF_IDLE_HOURS"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": default_lang,
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        **_people_settings(env),
        **_imap_settings(env),
        **_tracking_settings(env),
        **_carrier_settings(env),
    }
