"""The JSON API's OpenAPI 3.1 document, generated from the same pydantic models that parse the input.

A view declares what it reads and answers with `@api_operation(...)`; the decorator parses the
query string and JSON body into the declared models (passed to the view as `query=` and `body=`)
and records the declaration. `build_spec(app)` walks the URL map and turns the declarations into
the document served at GET /api/openapi.json. Nothing here is written by hand per endpoint.

Why not spectree or flask-openapi3: both answer validation errors in their own shape and serve
their reference pages with scripts from a CDN, which our CSP (script-src 'self') and the offline
production networks of many shops refuse; pydantic already produces the JSON Schema we need.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.core.schemas import Schema, parse_json, parse_query

# What each error status means in this API (the error body is the same everywhere).
ERROR_DESCRIPTIONS = {
    400: "Malformed request: bad bytes, invalid JSON, missing CSRF token (code `csrf`), or a bad parameter",
    401: "Not signed in",
    403: "Signed in without the needed role, or a bad signature",
    404: "Does not exist, or belongs to somebody else (code `not_found`)",
    409: "The record's state does not allow this",
    412: "Precondition failed: the If-Match header is missing or not a revision",
    413: "Body or file too large",
    415: "Wrong content type",
    422: "Values that cannot become a record (code `invalid_request` with `fields`, or `idempotency_conflict`)",
    429: "Too many requests; retry after the Retry-After header",
    503: "Temporarily unavailable (database or a service down); retry later",
}
ALWAYS = (400, 429, 503)

# The optional header of endpoints that create a record once (app/idempotency.py).
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{8,100}$"},
    "description": "Repeat a request safely: the same key again answers with the first record; the same key with "
                   "another body answers 422 `idempotency_conflict`; a malformed key answers 422.",
}


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, str] | None = None
    field: str | None = None


class ErrorBody(Schema):
    """Every JSON error of the help center."""

    error: ErrorDetail


@dataclass(frozen=True)
class Operation:
    summary: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    responses: dict[int, Any] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    auth: str | None = None  # "session", "agent", "signature" …
    description: str = ""
    body_content_type: str = "application/json"
    headers: tuple[dict, ...] = ()  # request headers as OpenAPI parameter objects (e.g. IDEMPOTENCY_KEY)


def api_operation(summary: str, *, query: type[BaseModel] | None = None, body: type[BaseModel] | None = None,
                  responses: dict[int, Any] | None = None, errors: tuple[int, ...] = (), tags: tuple[str, ...] = (),
                  auth: str | None = None, description: str = "", parse_body: bool = True,
                  body_content_type: str = "application/json", headers: tuple[dict, ...] = ()) -> Callable:
    """Declare and parse one JSON endpoint.

    responses maps a status to a pydantic model, to a media type string ("application/pdf",
    "image/png"), or to None for an empty answer. errors lists the error statuses it can give
    besides 400/429/503. With parse_body=False the body model only documents (multipart uploads,
    raw webhooks whose signature must be checked on the bytes first).
    """
    operation = Operation(summary=summary, query=query, body=body, responses=responses or {200: None},
                          errors=tuple(errors), tags=tuple(tags), auth=auth, description=description,
                          body_content_type=body_content_type, headers=tuple(headers))

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if query is not None:
                kwargs["query"] = parse_query(query)
            if body is not None and parse_body:
                kwargs["body"] = parse_json(body)
            return view(*args, **kwargs)

        wrapper.__openapi__ = operation
        return wrapper

    return decorate


# --- the document ------------------------------------------------------------------------------

_CONVERTER_TYPES = {"int": {"type": "integer", "minimum": 0}, "float": {"type": "number"},
                    "default": {"type": "string"}, "string": {"type": "string"}, "path": {"type": "string"},
                    "uuid": {"type": "string", "format": "uuid"}}


_RULE_PART = re.compile(r"<(?:([a-zA-Z_][a-zA-Z0-9_]*)(?:\((?:[^)]*)\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


def _openapi_path(rule) -> tuple[str, list[dict]]:
    parameters = []

    def replace(match: re.Match) -> str:
        kind, name = match.group(1) or "default", match.group(2)
        parameters.append({"name": name, "in": "path", "required": True,
                           "schema": dict(_CONVERTER_TYPES.get(kind, {"type": "string"}))})
        return "{" + name + "}"

    return _RULE_PART.sub(replace, rule.rule), parameters


def _query_parameters(model: type[BaseModel], schemas: dict[str, dict]) -> list[dict]:
    schema = schemas[model.__name__]
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        parameters.append({"name": name, "in": "query", "required": name in required, "schema": prop,
                           **({"description": prop["description"]} if "description" in prop else {})})
    return parameters


def _collect(app: Flask) -> list[tuple[Any, str, Operation]]:
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        operation = getattr(view, "__openapi__", None)
        if operation is None:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method.lower(), operation))
    return found


def build_spec(app: Flask) -> dict:
    """The OpenAPI 3.1 document of every endpoint declared with api_operation."""
    operations = _collect(app)
    models: dict[str, type[BaseModel]] = {"ErrorBody": ErrorBody}
    for _rule, _method, op in operations:
        for model in (op.query, op.body, *op.responses.values()):
            if isinstance(model, type) and issubclass(model, BaseModel):
                models[model.__name__] = model
    _, definitions = models_json_schema([(m, "validation" if m in {o.query for *_x, o in operations}
                                          or m in {o.body for *_x, o in operations} else "serialization")
                                         for m in models.values()],
                                        ref_template="#/components/schemas/{model}")
    schemas = definitions.get("$defs", {})
    paths: dict[str, dict] = {}
    for rule, method, op in operations:
        path, parameters = _openapi_path(rule)
        if op.query is not None:
            parameters += _query_parameters(op.query, schemas)
        parameters += [dict(header, **{"in": "header"}) for header in op.headers]
        entry: dict[str, Any] = {"summary": op.summary, "operationId": f"{rule.endpoint}.{method}",
                                 "tags": list(op.tags) or [rule.endpoint.split(".")[0]], "responses": {}}
        if op.description:
            entry["description"] = op.description
        if parameters:
            entry["parameters"] = parameters
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {
                op.body_content_type: {"schema": {"$ref": f"#/components/schemas/{op.body.__name__}"}}}}
        for status, answer in sorted(op.responses.items()):
            entry["responses"][str(status)] = _response(answer)
        for status in sorted(set(op.errors) | set(ALWAYS) | ({422} if op.body or op.query else set())):
            entry["responses"].setdefault(str(status), {
                "description": ERROR_DESCRIPTIONS.get(status, "Error"),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}})
        if op.auth:
            entry["security"] = [{op.auth: []}]
        paths.setdefault(path, {})[method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Help center API", "version": "1",
                 "description": "JSON API of the self-service help center. Every error answers "
                                "`{\"error\": {\"code\", \"message\", \"fields\"?}}`. State-changing requests "
                                "need the CSRF token from GET /api/auth/csrf in `X-CSRFToken`, except webhooks, "
                                "which are signed."},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "Signed in through POST /api/auth/login"},
                "agent": {"type": "apiKey", "in": "cookie", "name": "session",
                          "description": "Signed in as agent or admin"},
                "signature": {"type": "apiKey", "in": "header", "name": "X-Signature",
                              "description": "HMAC-SHA256 of the raw body with the shared webhook secret"},
                "aftership": {"type": "apiKey", "in": "header", "name": "aftership-hmac-sha256",
                              "description": "Base64 HMAC-SHA256 of the raw body with the AfterShip webhook secret"},
            },
        },
    }


def _response(answer) -> dict:
    if answer is None:
        return {"description": "No content"}
    if isinstance(answer, str):
        return {"description": answer, "content": {answer: {"schema": {"type": "string", "format": "binary"}}}}
    return {"description": (answer.__doc__ or answer.__name__).strip().splitlines()[0],
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{answer.__name__}"}}}}


def schema_type(schema: dict) -> str:
    """A short human reading of a JSON Schema ("string ≤ 200", "list of ReturnLine", "Case | null")."""
    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return " | ".join(schema_type(part) for part in schema[combinator])
    if "enum" in schema:
        return " | ".join(repr(value) for value in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {schema_type(schema.get('items', {}))}"
    details = []
    if "format" in schema:
        details.append(schema["format"])
    if "maxLength" in schema:
        details.append(f"≤ {schema['maxLength']} chars")
    if "minimum" in schema or "maximum" in schema:
        details.append(f"{schema.get('minimum', '…')}–{schema.get('maximum', '…')}")
    return kind + (f" ({', '.join(details)})" if details else "")
