"""JSON API of the help center."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext as _

from app.errors import error_response
from app.extensions import db, limiter
from app.i18n import SUPPORTED_LANGUAGES, current_language
from app.insights.service import log_search, record_search_click, record_view
from app.search.service import clean_query, help_search

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_QUERY_LENGTH = 200
MAX_LIMIT = 50


def _bad_request(code: str, message: str, field: str):
    return jsonify({"error": {"code": code, "message": message, "field": field}}), 400


@bp.get("/search")
@limiter.limit("300/minute")
def search():
    """Search the help articles: ?q=<text>&lang=<de|en>&limit=<n>, best first."""
    raw = request.args.get("q")
    if raw is None:
        return _bad_request("missing_query", _("Der Parameter q fehlt."), "q")
    query = clean_query(raw)
    if not query:
        return _bad_request("empty_query", _("Bitte geben Sie einen Suchbegriff ein."), "q")
    if len(query) > MAX_QUERY_LENGTH:
        return _bad_request("query_too_long", _("Der Suchbegriff darf höchstens %(max)d Zeichen lang sein.",
                                                max=MAX_QUERY_LENGTH), "q")
    raw_limit = request.args.get("limit", "10")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        return _bad_request("bad_limit", _("limit muss eine ganze Zahl von 1 bis %(max)d sein.", max=MAX_LIMIT), "limit")
    lang = request.args.get("lang") or current_language()
    if lang not in SUPPORTED_LANGUAGES:
        return _bad_request("bad_lang", _("lang muss de oder en sein."), "lang")

    result = help_search().search(query, lang=lang, limit=int(raw_limit))
    # Results-as-you-type ask with log=0: only the query a customer settles on is logged.
    if request.args.get("log") != "0":
        log_search(query, lang, result.total, source="api")
        db.session.commit()
    return jsonify({
        "query": query,
        "total": result.total,
        "results": [
            {
                "slug": hit.slug,
                "title": hit.title,
                "summary": hit.summary,
                "url": url_for("help.article", category=hit.category, slug=hit.slug),
                "category": hit.category,
                "snippet": hit.snippet,
                "score": hit.score,
            }
            for hit in result.hits
        ],
        "suggestion": result.suggestion,
    })


@bp.post("/articles/<slug>/view")
@limiter.limit("120/minute")
def article_view(slug):
    """Count a read article and, when it was reached from a search, the search's click."""
    library = current_app.extensions["helpcenter.library"]
    if library.article(slug) is None:
        return error_response(404, code="not_found")
    payload = request.get_json(silent=True)
    payload = payload if isinstance(payload, dict) else {}
    search_id, typed_query = payload.get("search_id"), payload.get("query")
    record_view(slug)
    if isinstance(search_id, int) and not isinstance(search_id, bool):
        record_search_click(search_id, slug)
    elif isinstance(typed_query, str) and 0 < len(clean_query(typed_query)) <= MAX_QUERY_LENGTH:
        # A suggestion picked while typing: the query was not logged yet, log it with its click.
        lang = current_language()
        query = clean_query(typed_query)
        entry = log_search(query, lang, help_search().search(query, lang=lang, limit=1).total, source="typeahead")
        record_search_click(entry.id, slug)
    db.session.commit()
    return "", 204
