"""'Vertrag widerrufen' (/widerruf): name the contract, check the declaration, confirm it."""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from flask import Blueprint, abort, current_app, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.core.errors import InvalidInput
from app.core.forms import FORM_ERROR_STATUS, parse_form_input, parse_form_into, show_errors
from app.core.requests import form_parsed_by_schema
from app.core.schemas import PrefillQuery, parse_prefill
from app.extensions import limiter
from app.i18n import current_language
from app.selfservice.guest import guest_posts_form, guest_proof_limit
from app.shop.orders import orders_of
from app.withdrawal.forms import ConfirmForm, WithdrawalForm
from app.withdrawal.schemas import LIMITS, DraftInput, WithdrawalInput
from app.withdrawal.service import (Declaration, WithdrawalConflict, WithdrawalInvalid, WithdrawalRequest,
                                    declared_at_text, items_of, key_taken_by_other, next_step, prepare,
                                    submit_and_commit, withdrawal_by_number)
from app.core.responses import never_stored

bp = Blueprint("withdrawal", __name__, url_prefix="/widerruf")

WITHDRAWAL_LIMITS = "10 per minute;30 per hour"
DRAFT_MAX_AGE = 24 * 3600
_SESSION_KEY = "withdrawals"


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="withdrawal-draft")


def _sign(req: WithdrawalRequest, declaration: Declaration) -> str:
    return _serializer().dumps({"request": req.to_dict(), "text_sha256": declaration.text_sha256})


def _posted_draft() -> tuple[WithdrawalRequest, str] | None:
    """Step 1's input and the hash of the declaration shown for it, if the posted draft is ours and fresh."""
    try:
        data = _serializer().loads(parse_form_input(DraftInput).draft, max_age=DRAFT_MAX_AGE)
        return WithdrawalRequest.from_dict(data["request"]), str(data["text_sha256"])
    except (BadSignature, InvalidInput, KeyError, TypeError, ValueError):
        return None


def _form_from(req: WithdrawalRequest) -> WithdrawalForm:
    return WithdrawalForm(formdata=None, **{k: v for k, v in req.to_dict().items() if k != "lang"})


def _step1(form: WithdrawalForm, orders, status: int = 200):
    return never_stored(render_template("withdrawal/start.html", form=form, orders=orders), status)


def _step2(req: WithdrawalRequest, declaration: Declaration, notice: str | None = None):
    form = ConfirmForm(formdata=None, draft=_sign(req, declaration))
    return never_stored(render_template("withdrawal/confirm.html", form=form, declaration=declaration, notice=notice))


@bp.get("")
def start():
    """Step 1: which contract — order number, name, e-mail, optionally items and a reason."""
    orders = orders_of(current_user)
    form = WithdrawalForm()
    wanted = parse_prefill(PrefillQuery).order or ""
    form.order_number.data = wanted if not orders or any(o.number == wanted for o in orders) else ""
    if current_user.is_authenticated:
        form.name.data, form.email.data = current_user.name, current_user.email
    form.submission_id.data = uuid.uuid4().hex
    return _step1(form, orders)


@bp.post("")
@form_parsed_by_schema
@limiter.limit(WITHDRAWAL_LIMITS)
@guest_proof_limit(lambda: guest_posts_form("order_number", "email"))
def review():
    """Step 2: show exactly what will be declared; nothing is stored yet."""
    orders = orders_of(current_user)
    form = WithdrawalForm()
    given = parse_form_into(WithdrawalInput, form)
    if given is None:
        return _step1(form, orders, FORM_ERROR_STATUS)
    req = WithdrawalRequest.from_input(given, current_language())
    try:
        declaration = prepare(req, current_user)
    except WithdrawalInvalid as exc:
        show_errors(form, exc.errors)
        return _step1(form, orders, FORM_ERROR_STATUS)
    if key_taken_by_other(req, declaration):
        # Back to step 1, changed and sent again: a new declaration, so a new submission id.
        req = dataclasses.replace(req, submission_id=uuid.uuid4().hex)
    return _step2(req, declaration)


@bp.post("/bestellung")
@form_parsed_by_schema
@limiter.limit(WITHDRAWAL_LIMITS)
def choose_order():
    """Without JavaScript: step 1 again with the chosen order's articles listed, everything kept as typed."""
    form = WithdrawalForm()
    try:
        parse_form_input(WithdrawalInput)
    except InvalidInput as exc:
        # Nothing is sent yet: only what is wrong with the entered values is said, not what is missing.
        typed = {name for name in LIMITS if (getattr(form, name).data or "").strip()}
        show_errors(form, {key: message for key, message in exc.errors.items() if key in typed})
    return _step1(form, orders_of(current_user))


@bp.get("/bestaetigen")
def confirm_get():
    return redirect(url_for("withdrawal.start"))


@bp.post("/bestaetigen")
@form_parsed_by_schema
@limiter.limit(WITHDRAWAL_LIMITS)
def confirm():
    """Store the declaration once, queue its confirmation e-mail and show the receipt."""
    draft = _posted_draft()
    if draft is None:
        abort(400)
    req, shown_sha256 = draft
    try:
        declaration = prepare(req, current_user)
        if declaration.text_sha256 != shown_sha256:
            # The order's data changed since step 2 was shown: the customer confirms only what they saw.
            return _step2(req, declaration, _("Bitte prüfen Sie Ihre Erklärung noch einmal und bestätigen Sie dann."))
        submission = submit_and_commit(req, current_user, now())
    except WithdrawalInvalid as exc:
        retry = _form_from(req)
        show_errors(retry, exc.errors)
        return _step1(retry, orders_of(current_user), FORM_ERROR_STATUS)
    except WithdrawalConflict:
        req = dataclasses.replace(req, submission_id=uuid.uuid4().hex)
        return _step2(req, declaration, _("Bitte prüfen Sie Ihre Erklärung noch einmal und bestätigen Sie dann."))
    numbers = [n for n in session.get(_SESSION_KEY, []) if n != submission.withdrawal.number][-9:]
    session[_SESSION_KEY] = numbers + [submission.withdrawal.number]
    return redirect(url_for("withdrawal.receipt", number=submission.withdrawal.number), code=303)


@bp.post("/aendern")
@form_parsed_by_schema
@limiter.limit(WITHDRAWAL_LIMITS)
def change():
    """Back from step 2 to step 1 with everything filled in as it was."""
    draft = _posted_draft()
    if draft is None:
        return redirect(url_for("withdrawal.start"))
    return _step1(_form_from(draft[0]), orders_of(current_user))


def _visible(number: str):
    withdrawal = withdrawal_by_number(number)
    if withdrawal is None:
        return None
    if withdrawal.number in session.get(_SESSION_KEY, []):
        return withdrawal
    if getattr(current_user, "is_authenticated", False):
        if withdrawal.user_id == current_user.id:
            return withdrawal
        if withdrawal.order is not None and current_user.customer_id == withdrawal.order.customer_id:
            return withdrawal
    return None


@bp.get("/eingang/<number>")
def receipt(number):
    """The receipt: number, time of receipt, the declaration and the next step (the return's label)."""
    withdrawal = _visible(number)
    if withdrawal is None:
        abort(404)
    return never_stored(render_template(
        "withdrawal/receipt.html", withdrawal=withdrawal, declared_at=declared_at_text(withdrawal),
        items=items_of(withdrawal), next_step=next_step(withdrawal, current_user)))
