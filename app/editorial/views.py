"""/redaktion: the editors' workspace — start page, article list, editor with preview, history. Editors and
admins only. The pages call app/editorial/articles.py, as the JSON API does."""
from __future__ import annotations

from typing import Annotated

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field

from app.articles import store
from app.articles.images import store_image
from app.articles.loader import ArticleError, parse_article_source
from app.articles.rendering import render_markdown
from app.core.errors import InvalidInput, NotFound
from app.core.forms import FORM_ERROR_STATUS, parse_form_input
from app.core.schemas import INT32_MAX, Line, Schema, parse_data, parse_prefill
from app.core.uploads import UploadRejected
from app.editorial import articles as editorial
from app.editorial.access import require_editor
from app.editorial.history import line_diff, version_diff, versions
from app.editorial.listing import Filters, list_articles
from app.editorial.overview import WINDOW_DAYS, articles_by_category, searches_without_results
from app.editorial.schemas import ArticleInput, PreviewInput
from app.extensions import db

bp = Blueprint("editorial", __name__, url_prefix="/redaktion")
bp.before_request(require_editor)

ACTIONS = ("save", "publish", "preview")


class NewArticlePrefill(Schema):
    """/redaktion/artikel/neu?titel=… (the content-gap lists link here with the search that found nothing)."""

    titel: Line(200) | None = None


class ListQuery(Schema):
    q: Line(200) = ""
    status: Line(20) = ""
    lang: Line(2) = ""
    category: Line(120) = ""


Version = Annotated[int, Field(ge=1, le=INT32_MAX)]


class DiffQuery(Schema):
    von: Version | None = None
    bis: Version | None = None


class VersionQuery(Schema):
    version: Version | None = None


def _library():
    return current_app.extensions["helpcenter.library"]


def _settings() -> editorial.Settings:
    return editorial.Settings.from_config(current_app.config)


def _no_store(response):
    response = current_app.make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
def home():
    """The articles per category and language with views and votes, and the searches that found nothing."""
    return _no_store(render_template(
        "editorial/home.html", blocks=articles_by_category(db.session, _library()),
        missed=searches_without_results(db.session), days=WINDOW_DAYS))


@bp.get("/artikel")
def article_list():
    """Every article with state, last change, readers and feedback; search and filters."""
    query = parse_prefill(ListQuery)
    filters = Filters(q=query.q, status=query.status if query.status in ("draft", "published", "archived") else "",
                      lang=query.lang if query.lang in ("de", "en") else "", category=query.category)
    _articles, categories = editorial.known_slugs(_library())
    return _no_store(render_template("editorial/list.html", rows=list_articles(db.session, _library(), filters),
                                     filters=filters, categories=categories, days=WINDOW_DAYS))


# --- the editor --------------------------------------------------------------------------------------------------

def _values_of(article: editorial.EditorArticle | None, prefill_title: str = "") -> dict:
    if article is None:
        return {"title": prefill_title, "summary": "", "tags": "", "questions": "", "category": "", "order": "",
                "related": [],
                "lang": current_app.config["HELPCENTER_DEFAULT_LANG"], "slug": "", "body": "", "translation": ""}
    return {"title": article.title, "summary": article.summary, "tags": ", ".join(article.tags),
            "questions": "\n".join(article.questions), "lang": article.lang,
            "category": article.category, "order": "" if article.order is None else article.order,
            "related": list(article.related), "slug": article.slug, "body": article.body,
            "translation": article.translation or ""}


def _posted_values() -> dict:
    form = request.form
    return {"title": form.get("title", ""), "summary": form.get("summary", ""), "tags": form.get("tags", ""),
            "questions": form.get("questions", ""),
            "lang": form.get("lang", ""), "category": form.get("category", ""), "order": form.get("order", ""),
            "related": form.getlist("related"), "slug": form.get("slug", ""), "body": form.get("body", ""),
            "translation": form.get("translation", "")}


def _render_editor(article, values: dict, *, errors=None, preview=None, conflict=None, base_revision=None,
                   status: int = 200):
    articles, categories = editorial.known_slugs(_library())
    choices = sorted(((slug, title) for slug, title in _article_titles(articles).items()
                      if article is None or slug != article.slug), key=lambda item: item[1].casefold())
    if base_revision is None:
        base_revision = article.revision if article is not None else ""
    return _no_store((render_template(
        "editorial/editor.html", article=article, values=values, errors=errors or {}, preview=preview,
        conflict=conflict, categories=categories, choices=choices, review=_settings().review,
        originals=editorial.german_originals(_library()),
        base_revision=base_revision), status))


def _article_titles(slugs) -> dict[str, str]:
    tree = _library().tree()
    titles = {slug: a.title for slug, a in tree.articles.items()}
    return {slug: titles.get(slug, slug) for slug in slugs}


def _preview(values: dict):
    return render_markdown(values.get("body") or "")


def _take_image(values: dict) -> None:
    """A picture chosen with the plain file input (the page without JavaScript): stored, linked at the end."""
    upload = request.files.get("bild")
    if upload is None or not upload.filename:
        return
    try:
        url = store_image(upload.filename, upload.read(), current_user.id)
    except UploadRejected as exc:
        raise InvalidInput({"bild": str(exc)}) from None
    alt = (request.form.get("bild_alt") or "").strip() or _("Bild")
    values["body"] = values["body"].rstrip() + f"\n\n![{alt}]({url})\n"


@bp.get("/artikel/neu")
def new_article():
    """An empty editor (?titel= fills in the headline)."""
    prefill = parse_prefill(NewArticlePrefill)
    return _render_editor(None, _values_of(None, prefill.titel or ""))


@bp.post("/artikel/neu")
def create_article():
    """Save the new article as a draft, publish it, or show the preview (without JavaScript)."""
    return _handle_editor_post(None)


@bp.get("/artikel/<slug>")
def edit_article(slug):
    """The editor with the newest version of the article."""
    article = editorial.load_article(slug, current_app.config["HELPCENTER_DEFAULT_LANG"], _library())
    return _render_editor(article, _values_of(article))


@bp.post("/artikel/<slug>")
def save_article(slug):
    """Save a new version, publish it, or show the preview; a conflicting save keeps what was typed."""
    article = editorial.load_article(slug, current_app.config["HELPCENTER_DEFAULT_LANG"], _library())
    return _handle_editor_post(article)


def _handle_editor_post(article):
    values = _posted_values()
    base = request.form.get("base_revision", "")
    action = request.form.get("action", "save")
    action = action if action in ACTIONS else "save"
    try:
        _take_image(values)
        db.session.commit()  # a picture is kept even when the save below is refused: the form links to it
    except InvalidInput as exc:
        return _render_editor(article, values, errors=exc.errors, base_revision=base, status=FORM_ERROR_STATUS)
    if action == "preview":
        return _render_editor(article, values, preview=_preview(values), base_revision=base)
    form = request.form.copy()
    form["body"] = values["body"]
    form["status"] = "published" if action == "publish" else "draft"
    try:
        data = parse_form_input(ArticleInput, form)
        result = editorial.save(data, slug=None if article is None else article.slug,
                                base_revision=int(base) if base.isdigit() else 0, user=current_user,
                                settings=_settings(), library=_library())
    except InvalidInput as exc:
        db.session.rollback()
        return _render_editor(article, values, errors=exc.errors, preview=_preview(values), base_revision=base,
                              status=FORM_ERROR_STATUS)
    except store.RevisionConflict as exc:
        db.session.rollback()
        conflict = _conflict(article, values, exc.current)
        # The next save is a deliberate one over what is stored now; what this editor typed stays in the form.
        return _render_editor(article, values, conflict=conflict, base_revision=conflict["current"], status=409)
    db.session.commit()
    if result.review_requested:
        flash(_("Gespeichert als Version %(n)s. Sie wartet auf die Freigabe durch eine zweite Person der Redaktion.",
                n=result.row.revision), "success")
    elif result.published:
        flash(_("Veröffentlicht: Version %(n)s ist jetzt für alle sichtbar.", n=result.row.revision), "success")
    else:
        flash(_("Als Entwurf gespeichert (Version %(n)s).", n=result.row.revision), "success")
    return redirect(url_for("editorial.edit_article", slug=result.row.slug), 303)


def _comparable(title: str, summary: str, body: str) -> str:
    return f"{_('Titel')}: {title}\n{_('Kurzbeschreibung')}: {summary}\n\n{body.strip()}"


def _conflict(article, values: dict, current: int) -> dict:
    """What is stored now against what this editor wrote: the difference, and the revision to save over."""
    row = store.article_row(article.slug) if article is not None else None
    stored = editorial.fields_of(store.revision_source(row)) if row is not None else None
    theirs = _comparable(stored["title"], stored["summary"], stored["body"]) if stored else ""
    mine = _comparable(values["title"], values["summary"], values["body"])
    return {"current": row.revision if row is not None else current,
            "author": row.updated_by.name if row is not None and row.updated_by else None,
            "diff": line_diff(theirs, mine)}


@bp.post("/vorschau")
def live_preview():
    """The body rendered by the public page's pipeline and sanitizer, for the editor's live preview."""
    data = parse_data(PreviewInput, {"title": request.form.get("title", ""), "body": request.form.get("body", "")})
    rendered = render_markdown(data.body)
    return jsonify({"html": render_template("editorial/_preview.html", preview=rendered)})


@bp.post("/bilder")
def upload_image():
    """A picture dropped into the editor: re-encoded without metadata, stored; answers its markdown."""
    upload = request.files.get("bild")
    if upload is None or not upload.filename:
        raise InvalidInput({"bild": _("Bitte wählen Sie ein Bild aus.")})
    try:
        url = store_image(upload.filename, upload.read(), current_user.id)
    except UploadRejected as exc:
        raise InvalidInput({"bild": str(exc)}) from None
    db.session.commit()
    alt = upload.filename.rsplit(".", 1)[0].replace("]", "").replace("[", "")[:80] or _("Bild")
    return jsonify({"url": url, "markdown": f"![{alt}]({url})"}), 201


# --- publishing, history -----------------------------------------------------------------------------------------

def _writable(slug):
    editorial.load_article(slug, current_app.config["HELPCENTER_DEFAULT_LANG"], _library())
    return editorial.writable_row(slug, _settings())


@bp.post("/artikel/<slug>/veroeffentlichen")
def publish_article(slug):
    """Publish the newest version (or, with review on, ask for approval)."""
    row = _writable(slug)
    published = editorial.publish(row, current_user, _settings())
    db.session.commit()
    flash(_("Veröffentlicht: Version %(n)s ist jetzt für alle sichtbar.", n=row.revision) if published else
          _("Version %(n)s wartet auf die Freigabe durch eine zweite Person der Redaktion.", n=row.revision),
          "success")
    return redirect(url_for("editorial.edit_article", slug=slug), 303)


@bp.post("/artikel/<slug>/freigeben")
def approve_article(slug):
    """A second editor approves the version waiting for review: it is published."""
    row = _writable(slug)
    editorial.approve(row, current_user)
    db.session.commit()
    flash(_("Freigegeben und veröffentlicht."), "success")
    return redirect(url_for("editorial.edit_article", slug=slug), 303)


@bp.post("/artikel/<slug>/zurueckziehen")
def unpublish_article(slug):
    """Customers no longer see the article; it stays as a draft."""
    editorial.unpublish(_writable(slug), current_user)
    db.session.commit()
    flash(_("Zurückgezogen: Kunden sehen den Artikel nicht mehr."), "success")
    return redirect(url_for("editorial.edit_article", slug=slug), 303)


@bp.post("/artikel/<slug>/archivieren")
def archive_article(slug):
    """Archive the article (every version kept; restore one to bring it back)."""
    editorial.archive(_writable(slug), current_user)
    db.session.commit()
    flash(_("Archiviert. Über „Versionen“ lässt sich der Artikel wiederherstellen."), "success")
    return redirect(url_for("editorial.article_list"), 303)


@bp.get("/artikel/<slug>/versionen")
def article_history(slug):
    """Every version with author and time; the difference between any two (?von=&bis=)."""
    article = editorial.load_article(slug, current_app.config["HELPCENTER_DEFAULT_LANG"], _library())
    row = store.article_row(slug) if store.articles_in_database() else None
    listed = versions(row) if row is not None else []
    query = parse_prefill(DiffQuery)
    diff = None
    if row is not None and query.von and query.bis:
        diff = version_diff(row, query.von, query.bis)
    elif row is not None and row.revision > 1:
        query = DiffQuery(von=row.revision - 1, bis=row.revision)
        diff = version_diff(row, query.von, query.bis)
    return _no_store(render_template("editorial/history.html", article=article, versions=listed, diff=diff,
                                     query=query))


@bp.post("/artikel/<slug>/versionen/<int:number>/wiederherstellen")
def restore_version(slug, number):
    """An old version becomes the newest (history is kept)."""
    row = _writable(slug)
    editorial.restore(row, number, current_user, _settings())
    db.session.commit()
    flash(_("Version %(old)s ist jetzt wieder die neueste (Version %(new)s). Veröffentlichen Sie sie, damit Kunden "
            "sie sehen.", old=number, new=row.revision), "success")
    return redirect(url_for("editorial.edit_article", slug=slug), 303)


@bp.get("/artikel/<slug>/ansicht")
def customer_view(slug):
    """The article as a customer would see it (any version: ?version=), with the public page's template."""
    from app.help.forms import VoteCommentForm, VoteForm

    article = editorial.load_article(slug, current_app.config["HELPCENTER_DEFAULT_LANG"], _library())
    number = parse_prefill(VersionQuery).version or article.revision
    source = article.source
    if number != article.revision:
        row = store.article_row(slug) if store.articles_in_database() else None
        source = store.revision_source(row, number) if row is not None else None
        if source is None:
            raise NotFound()
    try:
        found = parse_article_source(source, slug, article.category, current_app.config["HELPCENTER_DEFAULT_LANG"],
                                     f"{article.category}/{slug}.md")
    except ArticleError as exc:
        raise InvalidInput(message=str(exc)) from None
    library = _library()
    return _no_store(render_template(
        "editorial/customer_view.html", article=found, body_html=library.body_html(found), in_visitor_language=found,
        alternates=[], category=library.category(found.category)
        or _fallback_category(found.category), related=library.related(found), vote=None,
        vote_form=VoteForm(formdata=None), comment_form=VoteCommentForm(formdata=None), search_id=None,
        version=number))


def _fallback_category(slug):
    from app.articles.loader import Category

    return Category(slug, slug, "", 1000, "", "")
