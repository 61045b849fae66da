"""The returns center (/retouren): pick an order, choose items and reasons, print the label or show the QR."""
from __future__ import annotations

import datetime as dt
import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.cases.access import remember_case
from app.core.errors import InvalidInput
from app.core.requests import form_parsed_by_schema
from app.core.schemas import PrefillQuery, parse_data, parse_prefill, parse_query
from app.extensions import db, limiter
from app.i18n import current_language
from app.idempotency import IdempotencyConflict
from app.returns.access import may_download_label, returnable_order, visible_return
from app.returns.documents import LabelPending, NoLabel, label_pdf, qr_png, qr_svg
from app.returns.labels import label_status, order_now
from app.returns.eligibility import item_eligibility, return_window_ends
from app.returns.forms import CancelReturnForm, ReturnForm
from app.returns.listing import returns_of
from app.returns.photos import PhotoRejected, check_photos
from app.returns.schemas import LinkQuery, ReturnFormInput
from app.returns.service import ReturnInput, ReturnInvalid, ReturnLine, exchange_options, submit_and_commit
from app.returns.status import TransitionRefused, advance
from app.returns.variants import exchange_texts, size_doubt, variant_text
from app.returns.vocabulary import PHOTO_REASONS, REASONS, STATUS_LABELS
from app.selfservice.guest import GUEST_LOOKUP_LIMITS, GUEST_LOOKUP_SCOPE, prove_guest_order
from app.selfservice.trail import current_trail, record
from app.shop.fields import SHOP_TIMEZONE
from app.shop.orders import orders_of
from app.tracking.forms import GuestLookupForm
from app.core.responses import never_stored

bp = Blueprint("returns", __name__, url_prefix="/retouren")


def policy():
    return current_app.extensions["helpcenter.returns_policy"]


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def today() -> dt.date:
    return now().astimezone(SHOP_TIMEZONE).date()


def _order_summaries(orders):
    """Per order: can anything still go back, and until when."""
    summaries = []
    for order in orders:
        eligibility = item_eligibility(order, policy(), today())
        summaries.append({"order": order, "eligible": any(e.eligible for e in eligibility),
                          "window_ends": return_window_ends(eligibility)})
    return summaries


def _start_page(form, status=200):
    orders = orders_of(current_user)
    return never_stored(current_app.make_response((render_template(
        "returns/start.html", summaries=_order_summaries(orders), form=form,
        returns=returns_of(current_user), policy=policy()), status)))


@bp.get("")
def start():
    """Signed in: pick one of your orders. Guest: order number and postcode."""
    prefill = parse_prefill(PrefillQuery)
    wanted = prefill.order or ""
    if wanted and returnable_order(wanted, current_user) is not None:
        # The articles named in the link (e.g. from a withdrawal's receipt) arrive ticked.
        return redirect(url_for("returns.choose", number=wanted, sku=prefill.sku or None))
    record("flow", flow="returns", step="start")
    form = GuestLookupForm()
    if wanted and not current_user.is_authenticated:
        form.order_number.data = wanted
    return _start_page(form)


@bp.post("")
@form_parsed_by_schema
@limiter.shared_limit(GUEST_LOOKUP_LIMITS, scope=GUEST_LOOKUP_SCOPE)
def guest_lookup():
    """Prove an order as a guest; every wrong pair gets the same message."""
    form = GuestLookupForm()
    order = prove_guest_order(form, "returns")
    if order is not None:
        return redirect(url_for("returns.choose", number=order.number))
    return _start_page(form)


def _variant_label(variant) -> str:
    parts = [p for p in (variant.size and _("Größe %(size)s", size=variant.size), variant.colour) if p]
    label = ", ".join(parts) or variant.name
    return label if variant.stock > 0 else _("%(variant)s – ausverkauft", variant=label)


def _prepare(form: ReturnForm, eligibility) -> dict:
    by_sku = {e.item.sku: e for e in eligibility if e.eligible}
    entries = {}
    for entry in form.items:
        found = by_sku.get(entry.sku.data)
        if found is None:
            continue
        entries[entry.sku.data] = entry
        entry.quantity.choices = [(str(n), str(n)) for n in range(1, found.returnable_quantity + 1)]
        options = exchange_options(found.item.sku)
        entry.exchange_for.choices = [("", _("Bitte wählen …"))] + [(v.sku, _variant_label(v)) for v in options]
        entry.exchange_for.render_kw = {"data-in-stock": ",".join(v.sku for v in options if v.stock > 0)}
    form.carrier.choices = [(c.code, c.name) for c in policy().carriers.values()]
    return entries


def _posted_choice(form: ReturnForm, chosen) -> ReturnFormInput | None:
    """The ticked rows and the choices as posted, through the form's schema; None with messages on the fields."""
    # WTForms only splits the numbered rows (items-<n>-…) and keeps the posted text as it is; the schema parses it.
    data = {"items": [{name: entry[name].data for name in ("sku", "quantity", "reason", "comment", "exchange_for")}
                      for entry in chosen],
            **{name: form[name].data for name in ("resolution", "carrier", "submission_id", "sizes_confirmed")}}
    try:
        return parse_data(ReturnFormInput, data)
    except InvalidInput as exc:
        _show_errors(form, chosen, exc.errors)
        return None


def _input_from(given: ReturnFormInput, order_number: str) -> ReturnInput:
    lines = tuple(ReturnLine(sku=item.sku, quantity=item.quantity, reason=item.reason, comment=item.comment,
                             exchange_for=item.exchange_for) for item in given.items)
    return ReturnInput(order_number=order_number, lines=lines, resolution=given.resolution, carrier=given.carrier,
                       lang=current_language(), trail=current_trail(),
                       idempotency_key=f"form:{given.submission_id}" if given.submission_id else None)


def _show_errors(form: ReturnForm, chosen, errors: dict) -> None:
    form.form_errors = []
    for key, message in errors.items():
        parts = key.split(".")
        if parts[0] == "items" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(chosen):
            field = getattr(chosen[int(parts[1])], parts[2])
        elif key in ("resolution", "carrier"):
            field = getattr(form, key)
        else:
            form.form_errors.append(message)
            continue
        field.errors = [message]
        if isinstance(field.data, str) and not field.data.isprintable():
            # Shown again without the refused control characters.
            field.data = "".join(ch for ch in field.data if ch.isprintable() or ch in "\n\t")


@bp.route("/bestellung/<number>", methods=["GET", "POST"])
@form_parsed_by_schema
@limiter.limit("30 per hour", methods=["POST"])
def choose(number):
    """Items with what can go back (and why not), reasons, refund or exchange, carrier — one page."""
    order = returnable_order(number, current_user)
    if order is None:
        abort(404)
    eligibility = item_eligibility(order, policy(), today())
    form = ReturnForm()
    if request.method == "GET":
        wanted = set(parse_prefill(PrefillQuery).sku)
        for e in eligibility:
            if e.eligible:
                form.items.append_entry({"sku": e.item.sku, "selected": e.item.sku in wanted, "quantity": "1"})
        form.submission_id.data = uuid.uuid4().hex
        record("flow", flow="returns", step="items", order=order.number)
    entries = _prepare(form, eligibility)
    form.form_errors = []
    if request.method == "POST":
        chosen = [entry for entry in form.items if entry.selected.data]
        given = _posted_choice(form, chosen)
        if given is not None and _asked_about_sizes(form, chosen, given, eligibility):
            given = None
        ret = _submit(form, chosen, given, order) if given is not None else None
        if ret is not None:
            if ret.complaint_case is not None:
                remember_case(ret.complaint_case.number)
            record("flow", flow="returns", step="sent", order=order.number,
                   outcome="returnless" if ret.returnless else ret.status)
            return redirect(url_for("returns.status", number=ret.number))
    status = 422 if request.method == "POST" else 200
    return never_stored(current_app.make_response((render_template(
        "returns/choose.html", order=order, form=form, entries=entries, policy=policy(),
        eligibility=eligibility, reasons=REASONS, photo_reasons=PHOTO_REASONS), status)))


def _asked_about_sizes(form: ReturnForm, chosen, given: ReturnFormInput, eligibility) -> bool:
    """Ask once whether a size wanted in exchange that contradicts the reason ('zu groß', then L for M) is meant."""
    if given.resolution != "exchange" or given.sizes_confirmed:
        return False
    ordered = {e.item.sku: e.item.size for e in eligibility}
    asked = False
    for item, entry in zip(given.items, chosen):
        question = size_doubt(item.reason, ordered.get(item.sku), item.exchange_for)
        if question:
            entry.exchange_for.errors = [question]
            asked = True
    form.sizes_confirmed.data = "1" if asked else ""
    return asked


def _submit(form: ReturnForm, chosen, given: ReturnFormInput, order):
    """Check the photos and store the return; None with the messages on the form when it cannot be stored."""
    try:
        photos = {item.sku: check_photos(entry.photos.data or [])
                  for item, entry in zip(given.items, chosen) if item.reason in PHOTO_REASONS}
        submission = submit_and_commit(_input_from(given, order.number), order, current_user, policy(),
                                       current_app.extensions["helpcenter.routing"], now(), photos)
    except PhotoRejected as exc:
        form.form_errors = [str(exc)]
    except ReturnInvalid as exc:
        _show_errors(form, chosen, exc.errors)
    except IdempotencyConflict:
        form.form_errors = [_("Dieses Formular wurde schon mit anderem Inhalt gesendet. Bitte laden Sie die "
                              "Seite neu.")]
    else:
        if submission.created:
            order_now(submission.return_request, now())
        return submission.return_request
    return None


def _token() -> str | None:
    """The signed e-mail link's token (?t=…), parsed like every other input."""
    return parse_query(LinkQuery).t


def _visible_or_404(number):
    ret = visible_return(number, current_user, _token())
    if ret is None:
        abort(404)
    return ret


@bp.get("/<number>")
def status(number):
    """Confirmation and status: number, label, QR for the parcel shop, what happens next."""
    ret = _visible_or_404(number)
    return never_stored(current_app.make_response(render_template(
        "returns/status.html", ret=ret, carrier=policy().carriers.get(ret.carrier) if ret.carrier else None,
        qr=qr_svg(ret) if ret.carrier else None, label_state=label_status(ret), status_labels=STATUS_LABELS,
        reasons=REASONS,
        label_allowed=may_download_label(ret, current_user, _token()),
        token=_token(), cancel_form=CancelReturnForm(), exchanges=exchange_texts(ret), variant_text=variant_text)))


@bp.get("/<number>/etikett.pdf")
def label(number):
    """The label and packing slip as a PDF download."""
    ret = _visible_or_404(number)
    if not may_download_label(ret, current_user, _token()):
        abort(404)
    try:
        return label_download(ret)
    except LabelPending:
        # The mail's label link before the carrier issued it: the status page says what is happening.
        return redirect(url_for("returns.status", number=ret.number, t=_token()))
    except NoLabel:
        abort(404)


def label_download(ret):
    """The label PDF as a download that no cache keeps (it shows the address); NoLabel without a parcel."""
    response = current_app.response_class(label_pdf(ret), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="Ruecksendeetikett-{ret.number}.pdf"'
    return never_stored(response)


def qr_download(ret):
    """The QR code as a PNG; NoLabel without a parcel."""
    return never_stored(current_app.response_class(qr_png(ret), mimetype="image/png"))


@bp.get("/<number>/qr.png")
def qr(number):
    """The QR code as an image, to save on the phone."""
    ret = _visible_or_404(number)
    try:
        return qr_download(ret)
    except NoLabel:
        abort(404)


@bp.get("/<number>/stornieren")
def cancel_confirm(number):
    """Ask before cancelling: the label stops being valid and a reserved exchange is released."""
    ret = _visible_or_404(number)
    if ret.status != "registered":
        return redirect(url_for("returns.status", number=ret.number, t=_token()))
    return never_stored(current_app.make_response(render_template(
        "returns/cancel.html", ret=ret, token=_token(), cancel_form=CancelReturnForm())))


@bp.post("/<number>/stornieren")
def cancel(number):
    """Withdraw a return that has not been sent yet (the exchange stock is released).

    The form carries nothing but its CSRF token (checked for every post); the return comes from the URL.
    """
    ret = _visible_or_404(number)
    try:
        advance(ret, "cancelled", "customer", now().replace(tzinfo=None),
                actor_id=current_user.id if current_user.is_authenticated else None)
    except TransitionRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Ihre Rücksendung %(number)s ist storniert.", number=ret.number), "success")
    return redirect(url_for("returns.status", number=ret.number, t=_token()))
