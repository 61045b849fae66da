"""Property-based fuzzing of the JSON API from its own OpenAPI document (Schemathesis), on both databases.

Every operation of GET /api/openapi.json is called with generated input — valid and invalid
(Schemathesis' positive and negative modes) — anonymously, signed in as a customer and, for
/api/agent/*, as an agent, each state-changing request with the session's CSRF token. Every answer
must be no 5xx and conform to the document: a documented status code, the documented content type
and a body matching the response schema (errors: `{"error": {"code", "message", "fields"?}}`).

Runs in the normal `pytest` (and so in `make test`): derandomized, a small number of examples per
operation so that a database's whole run stays well under three minutes on two cores. Set
HELPCENTER_FUZZ_EXAMPLES for a longer local run.
"""
from __future__ import annotations

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.agent_helpers import AGENT, clock, email_case, open_case, shop  # noqa: F401 - clock and shop are fixtures
from tests.conftest import FIXTURE_CONTENT, api_token, build_index, login

EXAMPLES = int(os.environ.get("HELPCENTER_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ("anonymous", "customer", "agent", "editor")
EDITOR = ("fuzz.editor@example.com", "redaktions-passwort-1")

# Routes under /api that are not (yet) declared with @api_operation, and so not in the document.
# The document itself and its reference page are not API operations.
NOT_OPERATIONS = {"/api/openapi.json", "/api/docs"}
NOT_YET_DOCUMENTED: set[str] = set()


@pytest.fixture
def app(make_app, tmp_path):
    """The fixture content without rate limits, so that the fuzzer reaches the views, not the limiter.

    Its own search index: the editor's fuzzing writes hundreds of article versions into it, and the worker's
    shared fixture index once ended up with an emptied segment file in a full run (see the note in
    app/search/index.py sync: an edit then rebuilds the generation)."""
    from app.extensions import limiter

    enabled = limiter.enabled
    yield make_app(FIXTURE_CONTENT, build_index(FIXTURE_CONTENT, tmp_path / "index"), RATELIMIT_ENABLED=False)
    # The limiter is one object for every app of the process: the next test's app must have limits again.
    limiter.enabled = enabled


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


# --- the document ------------------------------------------------------------------------------------

def test_the_document_is_valid_openapi_and_names_every_api_route(app):
    client = app.test_client()
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.is_json
    spec = response.get_json()
    assert spec["openapi"].startswith("3.1")
    # Schemathesis refuses a document that is not valid OpenAPI when it loads or validates it.
    schema = schemathesis.openapi.from_dict(spec)
    schema.validate()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the document has no operations"

    documented = {(path, method) for path, methods in spec["paths"].items() for method in methods}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule in NOT_OPERATIONS | NOT_YET_DOCUMENTED:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (_openapi_path(rule.rule), method.lower()) not in documented:
                missing.append(f"{method} {rule.rule}")
    assert missing == [], f"API routes missing from /api/openapi.json: {missing}"

    # An allowlisted route that got documented must leave the allowlist.
    stale = sorted(rule for rule in NOT_YET_DOCUMENTED if _openapi_path(rule) in spec["paths"])
    assert stale == [], f"documented now, remove from NOT_YET_DOCUMENTED: {stale}"

    # Every operation lists its error answers in the one error shape.
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            errors = {status: answer for status, answer in operation["responses"].items() if status >= "400"}
            assert errors, f"{method.upper()} {path} documents no error answers"
            for answer in errors.values():
                assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


def test_the_reference_page_shows_every_operation(app):
    client = app.test_client()
    spec = client.get("/api/openapi.json").get_json()
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            assert f'id="{operation["operationId"]}"' in html
            assert f"{method.upper()} {path}" in html


# --- fuzzing -----------------------------------------------------------------------------------------

def _signed_in(app, role: str):
    """A test client in the role, with the CSRF token of its session."""
    client = app.test_client()
    if role == "customer":
        assert login(client).status_code == 302
    elif role == "agent":
        assert login(client, *AGENT).status_code == 302
    elif role == "editor":
        _ensure_editor(app)
        assert login(client, *EDITOR).status_code == 302
    return client, api_token(client)


def _ensure_editor(app) -> None:
    from app.accounts.models import User
    from app.extensions import db

    with app.app_context():
        if db.session.scalar(db.select(User).where(User.email == EDITOR[0])) is None:
            user = User(email=EDITOR[0], name="Fuzz Redaktion", role="editor")
            user.set_password(EDITOR[1])
            db.session.add(user)
            db.session.commit()


def _applies(path: str, role: str) -> bool:
    # Agents are fuzzed on the agent API, editors on the articles API (not the public view counter); customers and
    # visitors on everything (staff routes answer 401/403).
    if role == "agent":
        return path.startswith("/api/agent/")
    if role == "editor":
        return path.startswith("/api/articles") and not path.endswith("/view")
    return True


def _known_path_parameters(client) -> dict[str, str]:
    """Real values for path parameters, so that the fuzzer also reaches existing records."""
    number = open_case(client, email_case())
    return {"number": number, "slug": "ruecksendung-anmelden", "queue": "email"}


def schema_cookie_name(app) -> str:
    return app.config.get("SESSION_COOKIE_NAME", "session")


def _fuzz(schema, operation, strategy, session, label: str, failures: list) -> None:
    state = {"client": session[0], "token": session[1]}
    app = session[0].application

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case):
        # The document declares the session cookie as the operations' security scheme, so Schemathesis generates
        # one; the client's own cookies (the role's session) are what is sent instead.
        if case.cookies:
            case.cookies.pop(schema_cookie_name(app), None)
        response = case.call(session=state["client"], headers={"X-CSRFToken": state["token"]})
        case.validate_response(response, checks=CHECKS)
        if operation.path.startswith("/api/auth/log"):
            # Signing in or out changes who the client is; start the next example in the role again.
            state["client"], state["token"], _again = session[2]()

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid (no parameters, or only a free-text path segment): nothing to fuzz negatively.
        pass
    except Exception as exc:  # noqa: BLE001 - collected and reported together below
        failures.append(f"{label}: {exc}")


@pytest.mark.parametrize("role", ROLES)
def test_fuzz_every_operation_from_the_document(shop, role):
    app = shop
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    seed_client, _token = _signed_in(app, "customer")
    known = _known_path_parameters(seed_client)

    failures: list[str] = []
    fuzzed = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not _applies(operation.path, role):
            continue

        def fresh(role=role):
            client, token = _signed_in(app, role)
            return client, token, fresh

        session = fresh()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(schema, operation, operation.as_strategy(generation_mode=mode), session,
                  f"{role} {mode.value} {operation.label}", failures)
            fuzzed += 1
        names = [parameter.name for parameter in operation.path_parameters]
        if names and all(name in known for name in names):
            _fuzz(schema, operation, operation.as_strategy(path_parameters={n: known[n] for n in names}), session,
                  f"{role} existing {operation.label}", failures)
        wanted = {p.name: known[p.name] for p in operation.query if p.name in known}
        if wanted:
            _fuzz(schema, operation, operation.as_strategy(query=wanted), session,
                  f"{role} existing {operation.label}", failures)
    assert fuzzed, f"no operation for the {role} in the document"
    assert failures == [], "\n\n".join(failures)
