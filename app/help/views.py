"""Help pages: home, categories, articles with feedback, search page, sitemap and legal pages."""
from __future__ import annotations

import re

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from app.articles.images import find_image
from app.articles.library import ArticleLibrary
from app.core.errors import InvalidInput
from app.core.forms import FORM_ERROR_STATUS, parse_form_input, parse_form_into, show_errors
from app.core.hosts import external_url
from app.core.requests import form_parsed_by_schema
from app.core.schemas import PrefillQuery, parse_prefill
from app.database import optional_database_work
from app.extensions import db
from app.help.forms import SearchForm, VoteCommentForm, VoteForm
from app.help.schemas import MAX_QUERY_LENGTH, SearchPageQuery, VoteCommentInput, VoteInput
from app.i18n import current_language
from app.insights.models import ArticleVote
from app.insights.service import log_search, most_read, save_vote, save_vote_comment
from app.privacy.retention import periods
from app.search.actions import query_for_contact, shortcuts
from app.search.paging import search_page
from app.selfservice.trail import record, visit_id
from app.shop.orders import orders_of
from app.tracking.notices import notices_for

bp = Blueprint("help", __name__)

_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
LEGAL_PAGES = {"impressum": "HELPCENTER_IMPRINT_URL", "datenschutz": "HELPCENTER_PRIVACY_URL"}


def library() -> ArticleLibrary:
    return current_app.extensions["helpcenter.library"]


def _popular_articles(lang: str, limit: int = 6):
    """Most-read articles of the last 30 days, topped up with each category's first article."""
    chosen = []
    # The box is a nicety: without the database the categories' first articles fill it.
    for slug in optional_database_work(lambda: most_read(limit=limit * 3), [], "the most-read box"):
        article = library().article(slug)
        # Reads count per article; a much-read German article is offered in its English version and vice versa.
        article = library().translation_of(article, lang) if article is not None else None
        if article is not None and article not in chosen:
            chosen.append(article)
    for category in library().categories():
        if len(chosen) >= limit:
            break
        for article in [a for a in library().articles_in(category.slug, lang) if a.lang == lang][:1]:
            if article not in chosen:
                chosen.append(article)
    return chosen[:limit]


@bp.get("/")
def home():
    """Show the search box, the guided flows, the categories and the most-read articles."""
    lang = current_language()
    categories = [(c, _visitor_language_first(library().articles_in(c.slug, lang), lang))
                  for c in library().categories()]
    orders = orders_of(current_user)
    return render_template("help/home.html", categories=[(c, a) for c, a in categories if a],
                           popular=_popular_articles(lang), form=SearchForm(),
                           notices=notices_for(current_user, orders) if orders else [],
                           latest_order=orders[0] if orders else None)


def _visitor_language_first(articles, lang: str):
    # The home page's cards show three articles: those the visitor can read come first.
    return sorted(articles, key=lambda a: a.lang != lang)


@bp.get("/hilfe")
@bp.get("/hilfe/")
def help_root():
    return redirect(url_for("help.home"), 301)


@bp.get("/hilfe/<category>")
def category(category):
    """List a category's articles in the visitor's language."""
    found = library().category(category)
    articles = library().articles_in(category, current_language()) if found else []
    if found is None or not articles:
        abort(404)
    return render_template("help/category.html", category=found, articles=articles)


def _vote_state(slug: str) -> ArticleVote | None:
    vote_id = session.get("votes", {}).get(slug)
    if not vote_id:
        return None
    return optional_database_work(lambda: db.session.get(ArticleVote, vote_id), None, "the article vote")


@bp.get("/hilfe/<category>/<slug>")
def article(category, slug):
    """Show an article with its table of contents, related articles and the feedback box."""
    found = library().article(slug)
    if found is None:
        abort(404)
    if found.category != category:
        return redirect(url_for("help.article", category=found.category, slug=slug), 301)
    record("article", slug=slug, title=found.title)
    prefill = parse_prefill(PrefillQuery)
    return _article_page(found, prefill.sid, search_position=prefill.pos)


def _article_page(found, search_id: int | None = None, vote_form: VoteForm | None = None,
                  comment_form: VoteCommentForm | None = None, status: int = 200, search_position: int | None = None):
    lang = current_language()
    other_lang = "en" if lang == "de" else "de"
    # The language a visitor reads is their session's choice, not the URL: a German article opened by an English
    # visitor links to its English version (no redirect, so shared links and search engines see one text per URL).
    in_visitor_language = library().translation_of(found, lang)
    switch_target = library().translation_of(found, other_lang) or found
    return render_template(
        "help/article.html",
        article=found,
        body_html=library().body_html(found),
        in_visitor_language=in_visitor_language,
        alternates=_alternates(found),
        switch_url=url_for("help.article", category=switch_target.category, slug=switch_target.slug,
                           lang=other_lang),
        category=library().category(found.category),
        related=library().related(found),
        vote=_vote_state(found.slug),
        vote_form=vote_form or VoteForm(formdata=None),
        comment_form=comment_form or VoteCommentForm(formdata=None),
        search_id=search_id,
        search_position=search_position if search_id else None,
    ), status


def _alternates(found) -> list[tuple[str, str]]:
    """(language, absolute URL) of every version of a translated article, for hreflang; empty when untranslated."""
    versions = [library().translation_of(found, lang) for lang in ("de", "en")]
    if not all(versions):
        return []
    return [(v.lang, external_url("help.article", category=v.category, slug=v.slug)) for v in versions]


@bp.post("/hilfe/<category>/<slug>/feedback")
@form_parsed_by_schema
def feedback(category, slug):
    """Store 'Was this article helpful?' and the optional comment; one vote per visit and article."""
    found = library().article(slug)
    if found is None or found.category != category:
        abort(404)
    votes = dict(session.get("votes", {}))
    target = url_for("help.article", category=category, slug=slug) + "#feedback"
    if "comment" in request.form:
        form = VoteCommentForm()
        vote = _vote_state(slug)
        if vote is None:
            flash(_("Bitte bewerten Sie den Artikel zuerst mit Ja oder Nein."), "error")
            return redirect(target)
        given = parse_form_into(VoteCommentInput, form)
        if given is None:
            return _article_page(found, comment_form=form, status=FORM_ERROR_STATUS)
        save_vote_comment(vote, given.comment)
        db.session.commit()
        session["votes_commented"] = sorted(set(session.get("votes_commented", [])) | {slug})
        flash(_("Vielen Dank für Ihren Hinweis! Wir verbessern den Artikel damit."), "success")
        return redirect(target)

    form = VoteForm()
    given = parse_form_into(VoteInput, form)
    if given is None:
        return _article_page(found, vote_form=form, status=FORM_ERROR_STATUS)
    vote = save_vote(slug, found.lang, given.helpful, votes.get(slug))
    db.session.commit()
    votes[slug] = vote.id
    session["votes"] = votes
    flash(_("Vielen Dank für Ihr Feedback!"), "success")
    return redirect(target)


@bp.get("/suche")
def search():
    """Search page: shortcuts into the flows, highlighted results 20 a page, 'Meinten Sie …?', and the way on."""
    form = SearchForm(formdata=request.args)
    lang = current_language()
    if "q" not in request.args:
        return render_template("help/search.html", form=form, result=None, search_id=None)
    try:
        given = parse_form_input(SearchPageQuery, request.args)
    except InvalidInput as exc:
        show_errors(form, exc.errors)
        form.q.data = form.q.data[:MAX_QUERY_LENGTH] if isinstance(form.q.data, str) else ""
        return render_template("help/search.html", form=form, result=None, search_id=None), 400
    query = form.q.data = given.q
    page = search_page(query, lang, given.seite)
    # The search log counts what customers look for, so a query is logged once, on its first page; the next
    # pages carry that entry's id for the click statistics. A search works while the database is away.
    search_id = given.sid
    if "seite" not in request.args:
        visit = visit_id()
        search_id = optional_database_work(
            lambda: log_search(query, lang, page.result.total, source="page", visit=visit).id, None, "the search log")
        record("search", query=query, results=page.result.total)
    # Whose order a number is needs the database; without it every shortcut links to its flow's entry page.
    actions = optional_database_work(lambda: shortcuts(query, lang, current_user), None, "the search shortcuts")
    if actions is None:
        actions = shortcuts(query, lang, None)
    return render_template("help/search.html", form=form, result=page.result, page=page, actions=actions,
                           search_id=search_id, contact_query=query_for_contact(query),
                           category_titles={c.slug: c.title_for(lang) for c in library().categories()})


@bp.get("/hilfe-bilder/<name>")
def article_image(name):
    """A picture of an article, by its content hash: the same bytes for good, so caches may keep it."""
    image = find_image(name)
    if image is None:
        abort(404)
    response = Response(image.data, mimetype=image.content_type)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/impressum")
@bp.get("/datenschutz")
def legal_page():
    """Impressum and Datenschutz: an external page if configured, else content/_seiten/<name>.md."""
    name = request.path.strip("/")
    external = current_app.config.get(LEGAL_PAGES[name])
    if external:
        return redirect(external)
    page = library().page(name)
    if page is None:
        abort(404)
    # The retention periods are shown from the settings the purge uses, so the page cannot promise other ones.
    retention = periods() if name == "datenschutz" else None
    return render_template("help/page.html", page=page, retention=retention)


@bp.get("/sitemap.xml")
def sitemap():
    """Every category and published article, so search engines index the help."""
    urls = [(external_url("help.home"), None, [])]
    for cat in library().categories():
        if library().articles_in(cat.slug, library().default_lang):
            urls.append((external_url("help.category", category=cat.slug), None, []))
    for found in sorted(library().published(), key=lambda a: (a.category, a.slug)):
        urls.append((external_url("help.article", category=found.category, slug=found.slug), found.updated,
                     _alternates(found)))
    xml = render_template("help/sitemap.xml", urls=urls)
    return Response(xml, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *", "Disallow: /api/", "Disallow: /suche", "Allow: /",
             f"Sitemap: {external_url('help.sitemap')}"]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.get("/theme.css")
def theme_css():
    """The shop's colours as CSS variables (a stylesheet, because the CSP forbids inline styles)."""
    def color(key: str, fallback: str) -> str:
        value = current_app.config.get(key, "")
        return value if _HEX_COLOR.match(value or "") else fallback

    css = (":root{--brand:%s;--accent:%s;}\n"
           % (color("HELPCENTER_PRIMARY_COLOR", "#0b4f6c"), color("HELPCENTER_ACCENT_COLOR", "#c8553d")))
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
