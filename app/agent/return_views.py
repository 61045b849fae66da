"""Returns in the agent console (/agent/retouren): the queue, one return with items and photos, its steps."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.agent.access import require_agent
from app.agent.forms import ReturnRefuseForm, ReturnStepForm
from app.agent.returns import SOURCES, STEPS, may_refuse, move_on, next_steps, open_returns, return_for_agent
from app.agent.schemas import ReturnActionInput, ReturnsQuery
from app.contact import views as contact_views
from app.core.forms import FORM_ERROR_STATUS, parse_form_into
from app.core.requests import form_parsed_by_schema
from app.core.schemas import parse_prefill
from app.core.uploads import send_upload
from app.extensions import db
from app.returns.photos import PHOTO_FOLDER
from app.returns.status import TransitionRefused
from app.returns.vocabulary import REASONS, RESOLUTIONS, STATUS_LABELS
from app.core.responses import never_stored

bp = Blueprint("agent_returns", __name__, url_prefix="/agent/retouren")
bp.before_request(require_agent)


def _return_or_404(number: str):
    ret = return_for_agent(number)
    if ret is None:
        abort(404)
    return ret


@bp.get("")
def returns():
    """The returns still to work on, those in hand first; ?status= shows one status."""
    status = parse_prefill(ReturnsQuery).status
    return never_stored(render_template("agent/returns.html", returns=open_returns(status), status=status,
                                     statuses=STATUS_LABELS, resolutions=RESOLUTIONS))


def _page(ret, step_form=None, refuse_form=None, status: int = 200):
    step_form = step_form or ReturnStepForm(formdata=None, seen_status=ret.status)
    refuse_form = refuse_form or ReturnRefuseForm(formdata=None, seen_status=ret.status)
    response = never_stored(render_template(
        "agent/return.html", ret=ret, statuses=STATUS_LABELS, reasons=REASONS, resolutions=RESOLUTIONS,
        sources=SOURCES, steps=STEPS, next_steps=next_steps(ret), may_refuse=may_refuse(ret),
        step_form=step_form, refuse_form=refuse_form))
    response.status_code = status
    return response


@bp.get("/<number>")
def detail(number):
    """One return: items, reasons, photos, its history and the next steps."""
    return _page(_return_or_404(number))


@bp.post("/<number>/status")
@form_parsed_by_schema
def step(number):
    """Move the return on (eingegangen, geprüft, erstattet, umgetauscht) or refuse it with a reason."""
    ret = _return_or_404(number)
    refusing = request.form.get("status") == "refused"
    form = ReturnRefuseForm() if refusing else ReturnStepForm()
    given = parse_form_into(ReturnActionInput, form)
    if given is None:
        for field in form:
            for message in field.errors:
                flash(message, "error")
        for message in form.form_errors:
            flash(message, "error")
        forms = {"refuse_form": form} if refusing else {"step_form": form}
        return _page(ret, status=FORM_ERROR_STATUS, **forms)
    try:
        move_on(ret, given.status, current_user, given.note, given.seen_status, contact_views.now())
        db.session.commit()
    except TransitionRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("Rücksendung %(number)s: %(status)s. Die Kundin/der Kunde wird per E-Mail informiert.",
                number=ret.number, status=STATUS_LABELS[given.status]), "success")
    return redirect(url_for("agent_returns.detail", number=number))


@bp.get("/<number>/foto/<int:photo_id>")
def photo(number, photo_id):
    """A photo of the return in full size, shown in the browser: staff only (the blueprint checks)."""
    ret = _return_or_404(number)
    found = next((p for item in ret.items for p in item.photos if p.id == photo_id), None)
    if found is None:
        abort(404)
    # Re-encoded JPEG/PNG only (app/returns/photos.py), so showing it inline is safe; never cached.
    return send_upload(PHOTO_FOLDER, found, inline=True)

