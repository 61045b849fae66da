"""JSON API of the help center."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, url_for
from flask_login import current_user

from app.api.openapi import api_operation, build_spec
from app.api.schemas import ArticleViewBody, SearchAction, SearchHit, SearchQuery, SearchResults
from app.core.errors import NotFound
from app.database import optional_database_work
from app.extensions import db, limiter
from app.i18n import current_language
from app.insights.service import log_search, record_follow_up, record_search_click, record_view
from app.search.actions import shortcuts
from app.search.service import help_search
from app.selfservice.trail import current_visit, visit_id

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
@limiter.limit("300/minute")
@api_operation("Search the help articles, best first", query=SearchQuery, responses={200: SearchResults},
               tags=("search",))
def search(query: SearchQuery):
    """Search the help articles: ?q=<text>&lang=<de|en>&limit=<n>&offset=<n>, best first, with flow shortcuts."""
    lang = query.lang or current_language()
    result = help_search().search(query.q, lang=lang, limit=query.limit, offset=query.offset)
    # Results-as-you-type ask with log=0: only the query a customer settles on is logged, and only its first page.
    if query.log != "0" and query.offset == 0:
        visit = current_visit()
        optional_database_work(lambda: log_search(query.q, lang, result.total, source="api", visit=visit), None,
                               "the search log")
    # Whose order a number is needs the database; without it every shortcut links to its flow's entry page.
    actions = optional_database_work(lambda: shortcuts(query.q, lang, current_user), None, "the search shortcuts")
    if actions is None:
        actions = shortcuts(query.q, lang, None)
    return jsonify(SearchResults(
        query=query.q, total=result.total, suggestion=result.suggestion,
        results=[SearchHit(slug=hit.slug, title=hit.title, summary=hit.summary,
                           url=url_for("help.article", category=hit.category, slug=hit.slug),
                           category=hit.category, snippet=hit.snippet, score=hit.score, promoted=hit.promoted)
                 for hit in result.hits],
        actions=[SearchAction(kind=action.kind, label=action.label, url=action.url) for action in actions],
    ).model_dump(mode="json"))


@bp.post("/articles/<slug>/view")
@limiter.limit("120/minute")
@api_operation("Count a read article (and the search click that led to it)", body=ArticleViewBody,
               responses={204: None}, errors=(404,), tags=("search",))
def article_view(slug, body: ArticleViewBody):
    """Count a read article and, when it was reached from a search, the search's click."""
    library = current_app.extensions["helpcenter.library"]
    if library.article(slug) is None:
        raise NotFound()
    record_view(slug)
    if body.search_id is not None:
        record_search_click(body.search_id, slug, body.position)
    elif body.query:
        # A suggestion picked while typing: the query was not logged yet, log it with its click.
        lang = current_language()
        entry = log_search(body.query, lang, help_search().search(body.query, lang=lang, limit=1).total,
                           source="typeahead", visit=visit_id())
        record_search_click(entry.id, slug, body.position)
    # Earlier searches of this visit that were left without a click led here (proposed synonyms for editors).
    record_follow_up(current_visit(), slug)
    db.session.commit()
    return "", 204


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 document of this API, generated from the schemas that parse its input."""
    return jsonify(current_openapi_spec())


@bp.get("/docs")
def reference():
    """A readable reference of the JSON API, rendered from the OpenAPI document."""
    return render_template("api/reference.html", spec=current_openapi_spec())


def current_openapi_spec() -> dict:
    spec = current_app.extensions.get("helpcenter.openapi")
    if spec is None:
        spec = current_app.extensions["helpcenter.openapi"] = build_spec(current_app)
    return spec
