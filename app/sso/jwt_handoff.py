"""JWT hand-off: the shop signs a short-lived token for its signed-in customer, the help center checks it
and signs that customer in.

Only the algorithms whose key is configured are accepted, and the key is chosen by the algorithm:
HS256 with HELPCENTER_SSO_JWT_SECRET, RS256 or ES256 (by the kind of key) with
HELPCENTER_SSO_JWT_PUBLIC_KEY. So `alg: none`, HS256 signed with the public key's PEM (algorithm
confusion) and an algorithm for a key that is not configured are all refused before any signature check.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from app.accounts.models import SsoTokenUse, User
from app.core.errors import InvalidInput
from app.core.schemas import parse_data
from app.extensions import db
from app.insights.models import utcnow
from app.sso.identity import SsoRefused, shop_customer_account
from app.sso.schemas import JwtClaims

# The longest a token may live (exp - iat): long enough for a redirect, too short to be worth stealing.
MAX_LIFETIME_SECONDS = 300
# The shop's clock and ours may differ a little: `exp` and `iat` are checked with this much leeway.
CLOCK_SKEW_SECONDS = 30
# A used token id is kept until its token could not be accepted any more, then purged.
KEEP_USED_IDS = dt.timedelta(seconds=CLOCK_SKEW_SECONDS + 60)
REQUIRED_CLAIMS = ["sub", "email", "iat", "exp", "jti"]

# PyJWT's exceptions, most specific first, as the reason written to the log. The detail is ours, never
# the exception's text: that may quote parts of the token.
_REFUSALS = [
    (jwt.ExpiredSignatureError, "expired", "exp is in the past"),
    (jwt.ImmatureSignatureError, "not_yet_valid", "iat or nbf is in the future"),
    (jwt.MissingRequiredClaimError, "missing_claim", ""),
    (jwt.InvalidSignatureError, "bad_signature", "signature does not match the configured key"),
    (jwt.InvalidAlgorithmError, "algorithm_not_allowed", ""),
    (jwt.InvalidKeyError, "algorithm_not_allowed", "the key does not fit the algorithm"),
    (jwt.InvalidIssuedAtError, "invalid_claim", "iat"),
    (jwt.exceptions.InvalidSubjectError, "invalid_claim", "sub"),
    (jwt.exceptions.InvalidJTIError, "invalid_claim", "jti"),
    (jwt.DecodeError, "malformed_token", "not a signed JWT"),
    (jwt.PyJWTError, "malformed_token", ""),
]


def _public_key_algorithm(pem: str):
    key = load_pem_public_key(pem.encode("ascii"))
    if isinstance(key, rsa.RSAPublicKey):
        return "RS256", key
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256", key
    raise ValueError("HELPCENTER_SSO_JWT_PUBLIC_KEY must be an RSA or a P-256 (ES256) public key")


def verification_keys(config) -> dict[str, object]:
    """{algorithm: key} for the configured keys; empty when JWT sign-on is not set up."""
    keys: dict[str, object] = {}
    if config.get("HELPCENTER_SSO_JWT_SECRET"):
        keys["HS256"] = config["HELPCENTER_SSO_JWT_SECRET"]
    if config.get("HELPCENTER_SSO_JWT_PUBLIC_KEY"):
        try:
            algorithm, key = _public_key_algorithm(config["HELPCENTER_SSO_JWT_PUBLIC_KEY"])
        except (ValueError, UnicodeEncodeError):
            # The start-up check (app/config.py) refuses such a key; a key set around it signs no one in.
            raise SsoRefused("not_configured", "HELPCENTER_SSO_JWT_PUBLIC_KEY is not a usable public key") from None
        keys[algorithm] = key
    return keys


def verified_claims(token: str, config) -> JwtClaims:
    """The claims of a token signed with a configured key, fresh and short-lived; SsoRefused otherwise."""
    keys = verification_keys(config)
    if not keys:
        raise SsoRefused("not_configured", "neither HELPCENTER_SSO_JWT_SECRET nor _PUBLIC_KEY is set")
    if not token:
        raise SsoRefused("no_token")
    try:
        algorithm = jwt.get_unverified_header(token).get("alg")
        if not isinstance(algorithm, str) or algorithm not in keys:
            shown = algorithm if isinstance(algorithm, str) else type(algorithm).__name__
            raise SsoRefused("algorithm_not_allowed", f"alg={shown[:20]!r}, accepted: {', '.join(sorted(keys))}")
        payload = jwt.decode(token, keys[algorithm], algorithms=[algorithm], leeway=CLOCK_SKEW_SECONDS,
                             options={"require": REQUIRED_CLAIMS, "verify_aud": False, "verify_iss": False})
    except jwt.PyJWTError as exc:
        raise _refusal(exc) from None
    try:
        claims = parse_data(JwtClaims, payload)
    except InvalidInput as exc:
        raise SsoRefused("invalid_claim", ", ".join(sorted(exc.errors or {}))) from None
    if claims.exp - claims.iat > MAX_LIFETIME_SECONDS:
        raise SsoRefused("too_long_lived", f"exp - iat = {claims.exp - claims.iat} s, at most {MAX_LIFETIME_SECONDS}")
    return claims


def _refusal(exc: Exception) -> SsoRefused:
    for kind, reason, detail in _REFUSALS:
        if isinstance(exc, kind):
            if kind is jwt.MissingRequiredClaimError:
                detail = exc.claim
            return SsoRefused(reason, detail or type(exc).__name__)
    return SsoRefused("malformed_token", type(exc).__name__)


def _naive_utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).replace(tzinfo=None)


def use_once(claims: JwtClaims) -> None:
    """Record the token id as used; a second use, also at the same moment elsewhere, is refused.

    The primary key decides: of two requests with the same token, the second insert waits for the first
    transaction and then fails, in its own savepoint, whatever the timing.
    """
    try:
        with db.session.begin_nested():
            db.session.add(SsoTokenUse(jti_hash=hashlib.sha256(claims.jti.encode()).hexdigest(),
                                       expires_at=_naive_utc(claims.exp)))
    except IntegrityError:
        raise SsoRefused("replayed", "the token id (jti) was used before") from None


def sign_in_from_token(token: str, config) -> User:
    """The shop's customer this token vouches for, found or created; the caller starts the session and commits."""
    claims = verified_claims(token, config)
    use_once(claims)
    user = shop_customer_account(claims.sub, claims.email, claims.name, origin="sso-jwt")
    user.last_login_at = utcnow()
    return user


def purge_used_token_ids(now: dt.datetime | None = None) -> int:
    """Forget token ids whose tokens have expired (with the clock skew): they could not be replayed anyway."""
    cutoff = (now or utcnow()) - KEEP_USED_IDS
    return db.session.execute(delete(SsoTokenUse).where(SsoTokenUse.expires_at < cutoff)).rowcount


def remote_login_url(config, return_to: str) -> str | None:
    """The shop's sign-in page with `return_to=<path>` appended; None without HELPCENTER_SSO_JWT_LOGIN_URL."""
    login_url = config.get("HELPCENTER_SSO_JWT_LOGIN_URL")
    if not login_url:
        return None
    parts = urlsplit(login_url)
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name != "return_to"]
    query.append(("return_to", return_to))
    return urlunsplit(parts._replace(query=urlencode(query)))
