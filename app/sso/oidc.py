"""Sign-in with the shop's OpenID Connect provider: authorization code flow with PKCE (S256), state and nonce.

Authlib's Flask client does the protocol; this module adds what a help center behind several workers
needs: the pending sign-ins (state, nonce, PKCE verifier, where to go afterwards) live in the signed
session cookie, not in a worker's memory; every call to the provider has a timeout; the provider's
metadata and keys are cached per process and the keys fetched again when a token names an unknown
`kid` (key rotation); the ID token must carry our client id as audience and the provider's issuer.
Every failure becomes an `SsoRefused` with a short reason for the log, never a 500.
"""
from __future__ import annotations

import contextlib
import re
import threading
import time
from dataclasses import dataclass

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from flask import current_app, session
from joserfc.errors import (BadSignatureError, DecodeError, ExpiredTokenError, InvalidClaimError, InvalidKeyIdError,
                            JoseError, MissingClaimError, UnsupportedAlgorithmError)
from joserfc.jwk import KeySet

from app.core.hosts import external_url
from app.sso.identity import SsoRefused

CLIENT_NAME = "shop_oidc"
# A pending sign-in is good for ten minutes: long enough to type a password at the shop, short
# enough that an old tab's callback is refused.
PENDING_KEY = "sso_oidc_pending"
PENDING_SECONDS = 600
# A few tabs may start a sign-in at once; more would only grow the cookie towards its 4 KB limit.
MAX_PENDING = 3
# Clock skew between the provider and us that an ID token's exp/iat may have.
LEEWAY_SECONDS = 60
# The discovery document is fetched again after a day (new endpoints); keys when a kid is unknown.
METADATA_MAX_AGE_SECONDS = 24 * 3600
# Public-key algorithms only: an ID token "signed" with HS256 or "none" is never accepted.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
_ERROR_CODE = re.compile(r"[^A-Za-z0-9_.-]")


class ProviderUnavailable(SsoRefused):
    """The provider did not answer, or not usefully: the visitor is told to try again later (503)."""

    status = 503


class BadProviderAnswer(ValueError):
    """The provider answered something that is not what OpenID Connect promises."""


@dataclass(frozen=True)
class ShopIdentity:
    """What the provider vouched for, and where the customer wanted to go."""

    customer_number: object
    email: object
    name: object
    next: str | None


class ShopProviderClient(FlaskOAuth2App):
    """Authlib's Flask client with checked, expiring metadata and checked key sets."""

    def load_server_metadata(self):
        loaded_at = self.server_metadata.get("_loaded_at")
        if loaded_at is not None and time.time() - loaded_at > METADATA_MAX_AGE_SECONDS:
            self.server_metadata.pop("_loaded_at", None)
            self.server_metadata.pop("jwks", None)
        if "_loaded_at" in self.server_metadata:
            return self.server_metadata
        with self._get_session() as http:
            response = http.request("GET", self._server_metadata_url, withhold_token=True)
            response.raise_for_status()
            metadata = response.json()
        self.server_metadata.update(_checked_metadata(metadata, self.expected_issuer))
        self.server_metadata["_loaded_at"] = time.time()
        return self.server_metadata

    def fetch_jwk_set(self, force=False):
        jwk_set = super().fetch_jwk_set(force=force)
        try:
            KeySet.import_key_set(jwk_set)
        except (JoseError, ValueError, KeyError, TypeError, AttributeError) as exc:
            self.server_metadata.pop("jwks", None)
            raise BadProviderAnswer("the key set cannot be read") from exc
        return jwk_set


def _checked_metadata(metadata, issuer: str) -> dict:
    if not isinstance(metadata, dict):
        raise BadProviderAnswer("the discovery document is not a JSON object")
    # OpenID Connect Discovery 1.0, 4.3: the document's issuer is the configured one. The setting is kept
    # without a trailing slash, which some providers' issuers have ("https://shop.eu.auth0.com/"); the ID
    # token's iss is then checked against the document's exact value.
    if not isinstance(metadata.get("issuer"), str) or metadata["issuer"].rstrip("/") != issuer:
        raise BadProviderAnswer("the discovery document names another issuer")
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(endpoint), str) or not metadata[endpoint].startswith(("https://", "http://")):
            raise BadProviderAnswer(f"the discovery document has no usable {endpoint}")
    checked = {key: metadata[key] for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")}
    if isinstance(metadata.get("userinfo_endpoint"), str):
        checked["userinfo_endpoint"] = metadata["userinfo_endpoint"]
    offered = metadata.get("id_token_signing_alg_values_supported")
    offered = offered if isinstance(offered, list) else ["RS256"]  # RS256 is the one every provider must offer
    allowed = [alg for alg in SIGNING_ALGORITHMS if alg in offered]
    checked["id_token_signing_alg_values_supported"] = allowed or ["RS256"]
    return checked


def clock() -> float:
    """Seconds since the epoch for the pending sign-ins' lifetime; tests move it."""
    return time.time()


def configured() -> bool:
    return bool(current_app.config["HELPCENTER_OIDC_ISSUER"])


_create_lock = threading.Lock()


def provider_client() -> ShopProviderClient:
    """This app's client for the shop's provider, created once per process (it holds the caches)."""
    app = current_app._get_current_object()
    client = app.extensions.get("helpcenter.oidc")
    if client is not None:
        return client
    with _create_lock:
        client = app.extensions.get("helpcenter.oidc")
        if client is None:
            client = _create_client(app)
            app.extensions["helpcenter.oidc"] = client
    return client


def _create_client(app) -> ShopProviderClient:
    config = app.config
    scopes = config["HELPCENTER_OIDC_SCOPES"].split()
    if "openid" not in scopes:
        scopes.insert(0, "openid")  # without it there is no ID token, and nothing to verify
    secret = config["HELPCENTER_OIDC_CLIENT_SECRET"]
    oauth = OAuth()
    oauth.init_app(app)
    oauth.register(
        CLIENT_NAME,
        client_cls=ShopProviderClient,
        client_id=config["HELPCENTER_OIDC_CLIENT_ID"],
        client_secret=secret or None,
        server_metadata_url=config["HELPCENTER_OIDC_ISSUER"] + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": " ".join(scopes),
            "code_challenge_method": "S256",
            # A public client (no secret) proves itself with PKCE alone.
            "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
            "default_timeout": config["HELPCENTER_OIDC_TIMEOUT_SECONDS"],
        },
    )
    client = oauth.create_client(CLIENT_NAME)
    client.expected_issuer = config["HELPCENTER_OIDC_ISSUER"]
    return client


def _redirect_uri() -> str:
    # Built on HELPCENTER_BASE_URL: the provider compares it with the registered one, whatever Host came in.
    return external_url("sso_oidc.callback")


def begin(next_path: str | None) -> str:
    """The provider's authorization URL for a new sign-in; the pending sign-in is kept in the session."""
    with talking_to_provider():
        authorization = provider_client().create_authorization_url(_redirect_uri())
    pending = {state: data for state, data in (session.get(PENDING_KEY) or {}).items()
               if isinstance(data, dict) and data.get("at", 0) > clock() - PENDING_SECONDS}
    for stale in sorted(pending, key=lambda state: pending[state]["at"])[:max(0, len(pending) - MAX_PENDING + 1)]:
        del pending[stale]
    pending[authorization["state"]] = {
        "nonce": authorization["nonce"],
        "verifier": authorization["code_verifier"],
        "next": next_path,
        "at": clock(),
    }
    session[PENDING_KEY] = pending
    return authorization["url"]


def _drop_pending(state: str | None):
    pending = dict(session.get(PENDING_KEY) or {})
    data = pending.pop(state, None) if state else None
    session[PENDING_KEY] = pending
    return data


def _take_pending(state: str | None) -> dict:
    # Taken out at once: a callback can use its state once, also when the sign-in fails.
    data = _drop_pending(state)
    if not isinstance(data, dict):
        raise SsoRefused("state_mismatch", "no pending sign-in for this state")
    if data.get("at", 0) <= clock() - PENDING_SECONDS:
        raise SsoRefused("state_expired", "the sign-in was started too long ago")
    return data


def finish(state: str | None, code: str | None, error: str | None) -> ShopIdentity:
    """Check the provider's answer and return the identity it vouches for; SsoRefused otherwise."""
    if error:
        _drop_pending(state)
        raise SsoRefused("provider_error", "error=" + _ERROR_CODE.sub("?", error)[:60])
    pending = _take_pending(state)
    if not code:
        raise SsoRefused("missing_code")
    client = provider_client()
    with talking_to_provider():
        token = client.fetch_access_token(redirect_uri=_redirect_uri(), code=code, code_verifier=pending["verifier"])
        if not token.get("id_token"):
            raise SsoRefused("missing_id_token")
        issuer = client.load_server_metadata()["issuer"]
        claims = dict(client.parse_id_token(
            token, nonce=pending["nonce"], leeway=LEEWAY_SECONDS,
            claims_options={"iss": {"essential": True, "value": issuer},
                            "aud": {"essential": True, "value": client.client_id}}))
        claim_name = current_app.config["HELPCENTER_OIDC_CUSTOMER_CLAIM"]
        if (claims.get(claim_name) in (None, "") or not claims.get("email")) and "userinfo_endpoint" in \
                client.load_server_metadata():
            claims = _with_userinfo(client, token, claims)
    verified = claims.get("email_verified", True)
    if verified is not True and verified != "true":
        raise SsoRefused("email_not_verified")
    return ShopIdentity(customer_number=claims.get(claim_name), email=claims.get("email"), name=claims.get("name"),
                        next=pending.get("next"))


def _with_userinfo(client: ShopProviderClient, token: dict, claims: dict) -> dict:
    """The ID token's claims completed from the userinfo endpoint (some providers put e-mail only there)."""
    response = client.get(client.load_server_metadata()["userinfo_endpoint"], token=token)
    response.raise_for_status()
    userinfo = response.json()
    if not isinstance(userinfo, dict):
        raise BadProviderAnswer("the userinfo answer is not a JSON object")
    # OpenID Connect Core 5.3.2: userinfo about another subject must not be used.
    if userinfo.get("sub") != claims.get("sub"):
        raise SsoRefused("userinfo_subject_mismatch")
    return {**userinfo, **claims}


_JOSE_REASONS = (
    (ExpiredTokenError, "expired"),
    (BadSignatureError, "bad_signature"),
    (InvalidKeyIdError, "unknown_key"),
    (MissingClaimError, "missing_claim"),
    (InvalidClaimError, "invalid_claim"),
    (DecodeError, "malformed_token"),
    (UnsupportedAlgorithmError, "wrong_algorithm"),
)


def _jose_reason(exc: JoseError) -> str:
    return next((reason for kind, reason in _JOSE_REASONS if isinstance(exc, kind)), "invalid_token")


@contextlib.contextmanager
def talking_to_provider():
    """Turn what can go wrong between us and the provider into SsoRefused (503 when it is the provider's fault)."""
    try:
        yield
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise ProviderUnavailable("provider_http_error", f"HTTP {status}") from exc
    except requests.JSONDecodeError as exc:
        raise ProviderUnavailable("provider_garbage", "an answer was not JSON") from exc
    except requests.RequestException as exc:
        # The exception's text names URLs only; its type says enough (timeout, refused connection).
        raise ProviderUnavailable("provider_unreachable", type(exc).__name__) from exc
    except OAuthError as exc:
        # The token endpoint refused the code: reused, expired, wrong verifier or wrong client secret.
        raise SsoRefused("token_refused", "error=" + _ERROR_CODE.sub("?", str(exc.error or ""))[:60]) from exc
    except JoseError as exc:
        raise SsoRefused(_jose_reason(exc), _ERROR_CODE.sub(" ", str(exc.description or exc.error or ""))[:80]) \
            from exc
    except BadProviderAnswer as exc:
        raise ProviderUnavailable("provider_garbage", str(exc)) from exc
    except ValueError as exc:
        # Authlib: a token answer that is not a JSON object.
        raise ProviderUnavailable("provider_garbage", type(exc).__name__) from exc
