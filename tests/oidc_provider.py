"""A small OpenID Connect provider for the tests, served over real HTTP on 127.0.0.1.

It does what the help center relies on — discovery, JWKS, /authorize (approves at once and records the
PKCE challenge and the nonce), /token (client credentials, code_verifier against the challenge, each
code once, an RS256 ID token), /userinfo — and can be told to misbehave per test through `behaviour`.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

CLIENT_ID = "hilfe-center"
CLIENT_SECRET = "geheimnis-des-hilfe-centers-1234567890"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(private_key, kid: str) -> dict:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass  # the provider's access log would only clutter the captured log the tests read


class TestProvider:
    """The provider; `reset()` before each test, `behaviour` to make it misbehave."""

    __test__ = False  # not a test class for pytest

    def __init__(self):
        self.key, self.kid = new_key(), "key-1"
        self.keys = {self.kid: self.key}
        self.other_key = new_key()  # signs tokens the provider's JWKS does not vouch for
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True,
                                   request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.reset()

    def reset(self):
        self.key, self.kid = self.keys["key-1"], "key-1"
        self.keys = {"key-1": self.key}
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.requests: list[str] = []
        self.user = {"sub": "K-4711", "email": "kim.berg@example.com", "email_verified": True, "name": "Kim Berg"}
        # Misbehaviour knobs, see the handlers.
        self.behaviour: dict = {}

    def stop(self):
        self._server.shutdown()

    def rotate_key(self):
        """A new signing key with a new kid; the JWKS lists both from now on."""
        self.kid = f"key-{len(self.keys) + 1}"
        self.key = new_key()
        self.keys[self.kid] = self.key

    def count(self, path: str) -> int:
        return sum(1 for seen in self.requests if seen == path)

    # --- HTTP -----------------------------------------------------------------------------------

    def wsgi(self, environ, start_response):
        request = Request(environ)
        self.requests.append(request.path)
        delay = self.behaviour.get("delay", {}).get(request.path)
        if delay:
            time.sleep(delay)
        handler = {
            "/.well-known/openid-configuration": self.discovery,
            "/jwks": self.jwks,
            "/authorize": self.authorize,
            "/token": self.token,
            "/userinfo": self.userinfo,
        }.get(request.path)
        response = handler(request) if handler else Response("not found", status=404)
        return response(environ, start_response)

    @staticmethod
    def _json(data, status=200) -> Response:
        return Response(json.dumps(data), status=status, content_type="application/json")

    def discovery(self, request) -> Response:
        if self.behaviour.get("discovery") == "garbage":
            return Response("<html>Wartungsarbeiten</html>", content_type="text/html")
        if self.behaviour.get("discovery") == "error":
            return Response("upstream down", status=502)
        return self._json({
            "issuer": self.behaviour.get("discovery_issuer", self.url),
            "authorization_endpoint": self.url + "/authorize",
            "token_endpoint": self.url + "/token",
            "jwks_uri": self.url + "/jwks",
            "userinfo_endpoint": self.url + "/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        })

    def jwks(self, request) -> Response:
        if self.behaviour.get("jwks") == "garbage":
            return self._json({"keys": [{"kty": "RSA", "n": "kaputt"}]})
        return self._json({"keys": [_jwk(key, kid) for kid, key in self.keys.items()]})

    def authorize(self, request) -> Response:
        args = request.args
        redirect_uri = args["redirect_uri"]
        if self.behaviour.get("authorize_error"):
            query = {"error": self.behaviour["authorize_error"], "state": args.get("state", "")}
            return Response(status=302, headers={"Location": f"{redirect_uri}?{urlencode(query)}"})
        if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
            return Response("unknown client or response type", status=400)
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "challenge": args.get("code_challenge"), "method": args.get("code_challenge_method"),
            "nonce": args.get("nonce"), "redirect_uri": redirect_uri, "scope": args.get("scope", ""), "used": False,
        }
        query = {"code": code, "state": args.get("state", "")}
        return Response(status=302, headers={"Location": f"{redirect_uri}?{urlencode(query)}"})

    def _client_ok(self, request) -> bool:
        auth = request.authorization
        if auth is not None:
            return auth.username == CLIENT_ID and auth.password == CLIENT_SECRET
        return request.form.get("client_id") == CLIENT_ID and request.form.get("client_secret") == CLIENT_SECRET

    def token(self, request) -> Response:
        form = request.form
        answer = self.behaviour.get("token")
        if answer == "garbage":
            return Response("<html>Bad gateway</html>", status=200, content_type="text/html")
        if answer == "server_error":
            return Response("kaputt", status=500)
        if not self._client_ok(request):
            return self._json({"error": "invalid_client"}, 401)
        grant = self.codes.get(form.get("code", ""))
        if grant is None or grant["used"] or form.get("grant_type") != "authorization_code":
            return self._json({"error": "invalid_grant"}, 400)
        grant["used"] = True
        verifier = form.get("code_verifier", "")
        expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant["method"] != "S256" or expected != grant["challenge"]:
            return self._json({"error": "invalid_grant", "error_description": "PKCE check failed"}, 400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return self._json({"error": "invalid_grant", "error_description": "redirect_uri"}, 400)
        access_token = secrets.token_urlsafe(24)
        self.access_tokens[access_token] = dict(self.user)
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": 300}
        if answer != "no_id_token":
            body["id_token"] = self.id_token(grant["nonce"])
        return self._json(body)

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        only_in_userinfo = self.behaviour.get("userinfo_only", ())
        claims = {"iss": self.behaviour.get("discovery_issuer", self.url), "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": nonce,
                  **{name: value for name, value in self.user.items() if name not in only_in_userinfo}}
        claims.update(self.behaviour.get("claims", {}))
        for name in self.behaviour.get("drop_claims", ()):
            claims.pop(name, None)
        key, kid = self.key, self.kid
        if self.behaviour.get("sign_with") == "other_key":
            key = self.other_key  # same kid, wrong key: the signature does not verify
        elif self.behaviour.get("sign_with") == "unknown_kid":
            key, kid = self.other_key, "key-unknown"
        if self.behaviour.get("sign_with") == "hs256":
            return jwt.encode(claims, CLIENT_SECRET, algorithm="HS256", headers={"kid": kid})
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})

    def userinfo(self, request) -> Response:
        header = request.headers.get("Authorization", "")
        user = self.access_tokens.get(header.removeprefix("Bearer "))
        if user is None:
            return self._json({"error": "invalid_token"}, 401)
        return self._json({**user, **self.behaviour.get("userinfo", {})})
