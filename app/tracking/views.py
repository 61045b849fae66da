"""'Wo ist meine Bestellung?': pick or prove an order, see where it is, and take the next step."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from app.core.forms import FORM_ERROR_STATUS, parse_form_into
from app.core.requests import form_parsed_by_schema
from app.core.schemas import PrefillQuery, parse_prefill, parse_query
from app.extensions import limiter
from app.selfservice.guest import GUEST_LOOKUP_LIMITS, GUEST_LOOKUP_SCOPE, prove_guest_order
from app.selfservice.trail import record
from app.shop.fields import shop_today
from app.shop.orders import is_owner, orders_of, visible_order
from app.tracking.forms import GuestLookupForm, NotReceivedStepForm
from app.tracking.not_received import STEPS, report_timing, step_by_number
from app.tracking.schemas import NotReceivedAnswer, StepQuery
from app.tracking.status import build_tracking

bp = Blueprint("tracking", __name__, url_prefix="/sendungsverfolgung")



def _tracking_or_404(number: str):
    order = visible_order(number, current_user)
    if order is None:
        abort(404)
    return build_tracking(order, shop_today(), current_app.config["HELPCENTER_FEDERAL_STATE"])


@bp.get("")
def start():
    """Signed in: pick one of your orders. Guest: order number and postcode (?order= fills the number in)."""
    wanted = parse_prefill(PrefillQuery).order or ""
    if wanted and visible_order(wanted, current_user) is not None:
        return redirect(url_for("tracking.status", number=wanted))
    record("flow", flow="tracking", step="start")
    form = GuestLookupForm()
    # Any other number is only filled in: whether it exists is told after number and postcode, as always.
    form.order_number.data = wanted
    return render_template("tracking/start.html", orders=orders_of(current_user), form=form)


@bp.post("")
@form_parsed_by_schema
@limiter.shared_limit(GUEST_LOOKUP_LIMITS, scope=GUEST_LOOKUP_SCOPE)
def guest_lookup():
    """Prove an order as a guest; every wrong pair gets the same message."""
    form = GuestLookupForm()
    order = prove_guest_order(form, "tracking")
    if order is not None:
        return redirect(url_for("tracking.status", number=order.number))
    return render_template("tracking/start.html", orders=orders_of(current_user), form=form), 200


@bp.get("/<number>")
def status(number):
    """Timeline, expected delivery, carrier link and one clear next step."""
    view = _tracking_or_404(number)
    record("flow", flow="tracking", step="status", outcome=view.advice.state, order=number)
    response = current_app.make_response(render_template(
        "tracking/status.html", view=view, owner=is_owner(view.order, current_user)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<number>/nicht-erhalten", methods=["GET", "POST"])
@form_parsed_by_schema
def not_received(number):
    """'Zugestellt', but not there: neighbour, Packstation, mailbox, household — then report it."""
    view = _tracking_or_404(number)
    if view.advice.state != "delivered":
        return redirect(url_for("tracking.status", number=number))
    step = parse_query(StepQuery)
    current = step_by_number(step.number)
    form = NotReceivedStepForm()
    if request.method == "POST":
        answer = parse_form_into(NotReceivedAnswer, form)
        if answer is None:
            return render_template("tracking/not_received_step.html", view=view, step=current, steps=STEPS,
                                   form=form), FORM_ERROR_STATUS
        if answer.found == "ja":
            record("flow", flow="not_received", step=current.key, outcome="found", order=number)
            return render_template("tracking/not_received_solved.html", view=view)
        record("flow", flow="not_received", step=current.key, outcome="not_found", order=number)
        if current.number < len(STEPS):
            return redirect(url_for("tracking.not_received", number=number, schritt=current.number + 1))
        return redirect(url_for("tracking.not_received", number=number, schritt="ende"))
    if step.at_end:
        record("flow", flow="not_received", step="report", outcome="contact", order=number)
        timing = report_timing(view.delivered_on, shop_today(), current_app.config["HELPCENTER_FEDERAL_STATE"])
        return render_template("tracking/not_received_report.html", view=view, timing=timing)
    return render_template("tracking/not_received_step.html", view=view, step=current, steps=STEPS, form=form)
