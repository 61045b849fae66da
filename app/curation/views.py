"""/redaktion: how editors steer search — promoted results, the synonym groups, the names list, and proposals from
the search log. Editors and admins only (as every /redaktion page). Thin views over app/curation/."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.articles.loader import SYNONYMS_FILE
from app.articles.store import RevisionConflict
from app.articles.tree_files import NAMES_FILE, TreeFileConflict, file_problems, read_tree_file
from app.core.errors import InvalidInput, NotFound
from app.core.forms import FORM_ERROR_STATUS, parse_form_input
from app.curation import files, pins
from app.curation import proposals as proposal_rules
from app.curation.schemas import FileChangeInput, MoveInput, PinInput, ProposalInput
from app.editorial.access import require_editor
from app.editorial.articles import Settings
from app.extensions import db
from app.search.service import help_search

bp = Blueprint("curation", __name__, url_prefix="/redaktion")
bp.before_request(require_editor)

# The tree files editors maintain here, by the address of their page.
FILE_PAGES = {"synonyme": SYNONYMS_FILE, "eigennamen": NAMES_FILE}
POSITION_CHECKED = 10


def _library():
    return current_app.extensions["helpcenter.library"]


def _settings() -> Settings:
    return Settings.from_config(current_app.config)


def _no_store(response, status: int = 200):
    response = current_app.make_response((response, status))
    response.headers["Cache-Control"] = "no-store"
    return response


def _pins_changed() -> None:
    """After a commit: this worker searches with the new pins at once (others within the reload interval)."""
    help_search().promotions.invalidate()


def _file_changed() -> None:
    """After a commit: this worker reloads the tree with the new list at once (others within the interval)."""
    _library().invalidate()


# --- promoted results --------------------------------------------------------------------------------------------

def _pins_page(errors=None, values=None, status: int = 200):
    choices = sorted(pins.article_choices(_library()).values(), key=lambda c: (c.lang, c.title.casefold()))
    return _no_store(render_template(
        "curation/promotions.html", promotions=pins.promotions(_library()), errors=errors or {},
        values=values or {"query": "", "lang": current_app.config["HELPCENTER_DEFAULT_LANG"], "slug": ""},
        choices=[c for c in choices if c.state != "archived"], days=pins.COUNT_DAYS), status)


@bp.get("/empfehlungen")
def promotions():
    """Every query with its pinned articles, how often it is searched, and pinned articles customers cannot see."""
    return _pins_page()


@bp.post("/empfehlungen")
def add_pin():
    """Pin an article to a query."""
    values = {key: request.form.get(key, "") for key in ("query", "lang", "slug")}
    try:
        data = parse_form_input(PinInput)
        pins.pin(data.query, data.lang, data.slug, current_user, _library())
    except InvalidInput as exc:
        db.session.rollback()
        return _pins_page(errors=exc.errors, values=values, status=FORM_ERROR_STATUS)
    db.session.commit()
    _pins_changed()
    flash(_("Angeheftet: Kunden sehen den Artikel bei dieser Suche zuerst."), "success")
    return redirect(url_for("curation.promotions"), 303)


@bp.post("/empfehlungen/<int:pin_id>/verschieben")
def move_pin(pin_id):
    """Move a pinned article one place up or down."""
    data = parse_form_input(MoveInput)
    pins.move(pin_id, -1 if data.richtung == "hoch" else 1)
    db.session.commit()
    _pins_changed()
    return redirect(url_for("curation.promotions"), 303)


@bp.post("/empfehlungen/<int:pin_id>/entfernen")
def remove_pin(pin_id):
    """Remove a pinned article from its query."""
    pins.unpin(pin_id)
    db.session.commit()
    _pins_changed()
    flash(_("Die Empfehlung ist entfernt."), "success")
    return redirect(url_for("curation.promotions"), 303)


# --- synonyms and names ------------------------------------------------------------------------------------------

def _file_name(page: str) -> str:
    name = FILE_PAGES.get(page)
    if name is None:
        raise NotFound()
    return name


def _file_page(page: str, *, errors=None, typed=None, conflict=None, status: int = 200):
    name = _file_name(page)
    tree_file = read_tree_file(name, current_app.config["HELPCENTER_CONTENT_DIR"])
    return _no_store(render_template(
        "curation/file.html", page=page, tree_file=tree_file, entries=tree_file.entries(),
        problems=file_problems(tree_file), history=files.history(name), errors=errors or {}, typed=typed or {},
        conflict=conflict), status)


@bp.get("/<any(synonyme, eigennamen):page>")
def tree_file(page):
    """The synonym groups (or the names list): every entry to edit or delete, a new one to add, the history."""
    return _file_page(page)


@bp.post("/<any(synonyme, eigennamen):page>")
def change_tree_file(page):
    """Add, edit or delete one entry; a stale page is refused with what is stored now."""
    name = _file_name(page)
    typed = {"action": request.form.get("action", ""), "line": request.form.get("line", ""),
             "members": request.form.get("members", "")}
    try:
        data = parse_form_input(FileChangeInput)
        files.apply_change(name, files.Change(data.action, data.line, data.members), data.base_revision,
                           current_user, _settings())
    except InvalidInput as exc:
        db.session.rollback()
        return _file_page(page, errors=exc.errors, typed=typed, status=FORM_ERROR_STATUS)
    except TreeFileConflict as exc:
        db.session.rollback()
        return _file_page(page, typed=typed, conflict=exc, status=409)
    db.session.commit()
    _file_changed()
    flash(_("Gespeichert. Die Suche verwendet die Liste ab sofort."), "success")
    return redirect(url_for("curation.tree_file", page=page), 303)


# --- proposals ---------------------------------------------------------------------------------------------------

def _position(query: str, lang: str, slug: str) -> int | None:
    hits = help_search().search(query, lang=lang, limit=POSITION_CHECKED).hits
    return next((i for i, hit in enumerate(hits, start=1) if hit.slug == slug), None)


def _proposals_page(errors=None, status: int = 200):
    found = proposal_rules.proposals(_library())
    positions = {(p.lang, p.key, p.slug): _position(p.query, p.lang, p.slug) for p in found}
    return _no_store(render_template(
        "curation/proposals.html", proposals=found, positions=positions, errors=errors or {},
        days=proposal_rules.WINDOW_DAYS, min_visits=proposal_rules.MIN_VISITS, checked=POSITION_CHECKED), status)


@bp.get("/vorschlaege")
def proposals():
    """Queries without a result or a click, with the article the same visits opened next."""
    return _proposals_page()


@bp.post("/vorschlaege/uebernehmen")
def accept_proposal():
    """The query becomes a synonym of the article's search word."""
    try:
        data = parse_form_input(ProposalInput)
        group = proposal_rules.accept(_library(), data.lang, data.query, data.slug, data.term, current_user,
                                      _settings())
    except InvalidInput as exc:
        db.session.rollback()
        return _proposals_page(errors=exc.errors, status=FORM_ERROR_STATUS)
    except TreeFileConflict:
        db.session.rollback()
        flash(_("Die Synonymliste wurde gerade geändert. Bitte versuchen Sie es noch einmal."), "error")
        return redirect(url_for("curation.proposals"), 303)
    db.session.commit()
    _file_changed()
    flash(_("Übernommen. Synonymgruppe: %(group)s", group=group), "success")
    return redirect(url_for("curation.proposals"), 303)


@bp.post("/vorschlaege/als-frage")
def question_proposal():
    """The query becomes one of the article's customers' questions (a new version of the article)."""
    try:
        data = parse_form_input(ProposalInput)
        proposal, live = proposal_rules.add_as_question(_library(), data.lang, data.query, data.slug, current_user,
                                                        _settings())
    except InvalidInput as exc:
        db.session.rollback()
        return _proposals_page(errors=exc.errors, status=FORM_ERROR_STATUS)
    except RevisionConflict:
        db.session.rollback()
        flash(_("Der Artikel wurde gerade geändert. Bitte versuchen Sie es noch einmal."), "error")
        return redirect(url_for("curation.proposals"), 303)
    db.session.commit()
    _file_changed()
    if live:
        flash(_("Übernommen: „%(query)s“ ist jetzt eine Kundenfrage von „%(title)s“.", query=proposal.query,
                title=proposal.title), "success")
    else:
        flash(_("Übernommen: Die neue Fassung von „%(title)s“ wartet auf die Freigabe durch eine zweite Person der "
                "Redaktion.", title=proposal.title), "success")
    return redirect(url_for("curation.proposals"), 303)


@bp.post("/vorschlaege/anheften")
def pin_proposal():
    """The article is pinned to the proposal's words instead (a promoted result)."""
    data = parse_form_input(ProposalInput)
    try:
        proposal = proposal_rules.pin_instead(_library(), data.lang, data.query, data.slug, current_user)
    except InvalidInput as exc:
        db.session.rollback()
        return _proposals_page(errors=exc.errors, status=FORM_ERROR_STATUS)
    db.session.commit()
    _pins_changed()
    flash(_("Angeheftet: Wer „%(query)s“ sucht, sieht „%(title)s“ zuerst.", query=proposal.query,
            title=proposal.title), "success")
    return redirect(url_for("curation.proposals"), 303)


@bp.post("/vorschlaege/verwerfen")
def dismiss_proposal():
    """Hide the proposal for good."""
    data = parse_form_input(ProposalInput)
    proposal = proposal_rules.dismiss(_library(), data.lang, data.query, data.slug, current_user)
    db.session.commit()
    flash(_("Verworfen: „%(query)s“ wird nicht mehr vorgeschlagen.", query=proposal.query), "success")
    return redirect(url_for("curation.proposals"), 303)
