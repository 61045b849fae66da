"""Where a request comes from (trusted proxies) and where absolute links point (the configured base URL).

The request's Host header and X-Forwarded-* headers are chosen by whoever sends the request. Only
configured proxy hops may rewrite the client address, and every absolute link is built on
HELPCENTER_BASE_URL, so a forged Host never ends up in a sitemap, a canonical link or an e-mail.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix


def configure_proxy_and_hosts(app: Flask) -> None:
    """Trust X-Forwarded-For/-Proto from the configured number of proxy hops; refuse unknown hosts in production."""
    hops = app.config.get("HELPCENTER_TRUSTED_PROXIES", 0)
    if hops:
        # The proxy sets Host itself (proxy_set_header Host $host), so X-Forwarded-Host is never trusted.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
    if app.config.get("TRUSTED_HOSTS") is None and app.config.get("HELPCENTER_PRODUCTION"):
        app.config["TRUSTED_HOSTS"] = allowed_hosts(app.config)


def allowed_hosts(config) -> list[str]:
    """The base URL's host name and the extra names in HELPCENTER_ALLOWED_HOSTS."""
    hosts = [urlsplit(config["HELPCENTER_BASE_URL"]).hostname or ""]
    hosts += [name.strip().lower() for name in config.get("HELPCENTER_ALLOWED_HOSTS", ()) if name.strip()]
    return [host for host in dict.fromkeys(hosts) if host]


def base_url_adapter():
    """URL building bound to HELPCENTER_BASE_URL, for a request whose own Host was refused."""
    base = urlsplit(current_app.config["HELPCENTER_BASE_URL"])
    return current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                    url_scheme=base.scheme or "https")


def external_url(endpoint: str, **values) -> str:
    """An absolute link to endpoint on HELPCENTER_BASE_URL, whatever Host the request came with."""
    return base_url_adapter().build(endpoint, values, force_external=True)
