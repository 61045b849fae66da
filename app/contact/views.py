"""The contact form (/kontakt), the acknowledgement and the customer's view of a case."""
from __future__ import annotations

import datetime as dt
import json
import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from app.cases.access import ACCESS_PARAM, open_with_link, remember_case, visible_case
from app.cases.attachments import UploadRejected, check_uploads
from app.cases.availability import callback_slots, chat_available, next_opening
from app.cases.models import ContactDeflection
from app.cases.routing import RoutingConfig
from app.cases.schemas import ContactFormInput
from app.cases.service import expected_response, input_context, request_from, submit_and_commit
from app.cases.topics import OUTCOMES, TOPICS, resolve_topic
from app.chat.service import chat_state
from app.contact.forms import CaseReplyForm, ContactForm
from app.contact.schemas import SuggestionOpened
from app.core.errors import IdempotencyConflict, InvalidInput, NotFound
from app.core.forms import FORM_ERROR_STATUS, parse_form_into
from app.core.requests import form_parsed_by_schema, json_route
from app.core.responses import never_stored
from app.core.schemas import PrefillQuery, parse_form, parse_json, parse_prefill
from app.extensions import db, limiter
from app.i18n import current_language, date_pattern
from app.returns.overlap import refund_returns_for
from app.selfservice.guest import guest_posts_form, guest_proof_limit
from app.selfservice.trail import current_trail, current_visit, record, visit_id
from app.shop.orders import orders_of
from app.tracking.notices import notices_for

bp = Blueprint("contact", __name__, url_prefix="/kontakt")


def routing() -> RoutingConfig:
    return current_app.extensions["helpcenter.routing"]


def federal_state() -> str:
    return current_app.config["HELPCENTER_FEDERAL_STATE"]


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _prepare(form: ContactForm, orders) -> None:
    slots = callback_slots(routing(), now(), federal_state())
    # Babel formats each day once; a slot's time is its local clock time. About 160 slots formatted
    # one by one, three labels each, took 40-60 ms of a 100 ms page (and three times that under load).
    zone = get_timezone()
    # "14:00 Uhr": translated once, filled in per slot (a gettext per slot cost another 10 ms).
    clock = _("%(time)s Uhr", time="\x00")
    day_labels: dict[dt.date, tuple[str, str]] = {}
    choices, days = [], {}
    for s in slots:
        local = s.start.astimezone(zone)
        if local.date() not in day_labels:
            day_labels[local.date()] = (format_datetime(s.start, date_pattern("day")),
                                        format_datetime(s.start, date_pattern("short_day")))
        day, short_day = day_labels[local.date()]
        time = local.strftime("%H:%M")
        choices.append((s.key, f"{short_day}, {time}"))  # the "short_day_time" pattern, assembled
        # Day first, then its times: a phone shows one short list per day instead of one long one.
        days.setdefault(day, []).append((s.key, clock.replace("\x00", time)))
    form.callback_slot.choices = choices
    form.slot_days = list(days.items())
    form.skus.choices = [(i.sku, i.name) for o in orders for i in o.items]


def _form_page(form: ContactForm, orders, status: int, notice: str | None = None):
    return render_template(
        "contact/form.html", form=form, orders=orders, topics=TOPICS, outcomes=OUTCOMES, config=routing(),
        chat_open=chat_available(routing(), now(), federal_state()),
        chat_opening=next_opening(routing(), now(), federal_state()),
        notices=notices_for(current_user, orders) if orders else [], notice=notice,
        topics_json=json.dumps({slug: {"order": t.needs_order, "items": t.needs_items, "outcome": t.asks_outcome}
                                for slug, t in TOPICS.items()}),
    ), status


def _keep_form_when_limited(limit):
    """Too many sends: the form comes back with everything typed and says when it can go again."""
    orders = orders_of(current_user)
    form = ContactForm()
    _prepare(form, orders)
    again = dt.datetime.fromtimestamp(limit.reset_at, dt.timezone.utc)
    notice = _("Sie haben in kurzer Zeit viele Anfragen gesendet. Ihre Angaben sind unten noch da – bitte senden "
               "Sie das Formular ab %(time)s Uhr noch einmal.", time=format_datetime(again, "HH:mm"))
    if any(f.filename for f in request.files.getlist(form.attachments.name)):
        notice += " " + _("Dateien kann der Browser nicht aufbewahren: Bitte wählen Sie sie dann noch einmal aus.")
    html, status = _form_page(form, orders, 429, notice)
    response = current_app.make_response((html, status))
    response.headers["Retry-After"] = str(max(1, int(limit.reset_at - now().timestamp())))
    return response


def _show_errors(form: ContactForm, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        field = getattr(form, name.split(".")[0], None)
        if field is not None and not field.errors:
            field.errors = [message]


@bp.route("", methods=["GET", "POST"])
@form_parsed_by_schema
@limiter.limit("20 per hour", methods=["POST"], on_breach=_keep_form_when_limited)
@guest_proof_limit(lambda: guest_posts_form("order_number", "postcode"))
def contact():
    """One structured form: topic, order and items, what happened, and how we answer."""
    orders = orders_of(current_user)
    form = ContactForm()
    if request.method == "GET":
        prefill = parse_prefill(PrefillQuery)
        topic = resolve_topic(prefill.topic)
        form.topic.data = topic.slug if topic else ""
        wanted_order = prefill.order or ""
        form.order_number.data = wanted_order if any(o.number == wanted_order for o in orders) or not orders else ""
        form.article.data = prefill.article or ""
        # From a search without the answer: the query starts the message, so it need not be typed again.
        form.message.data = prefill.frage or ""
        if prefill.kanal and (prefill.kanal != "chat" or chat_available(routing(), now(), federal_state())):
            form.channel.data = prefill.kanal
        form.submission_id.data = uuid.uuid4().hex
        # No channel is chosen for the customer unless they named one (?kanal=): how we answer is theirs to say.
        if current_user.is_authenticated and current_user.customer is not None:
            form.phone.data = current_user.customer.phone or ""
        record("flow", flow="contact", step="form", outcome=form.topic.data or None,
               order=form.order_number.data or None)
    _prepare(form, orders)
    if request.method == "POST" and form.validate_on_submit():
        try:
            # WTForms rendered the form and checked CSRF; the one case schema reads what was sent.
            uploads = check_uploads(request.files.getlist(form.attachments.name))
            data = parse_form(ContactFormInput, context=input_context(current_user))
            key = f"form:{data.submission_id}" if data.submission_id else None
            submission = submit_and_commit(request_from(data, current_language(), current_trail(), key),
                                           current_user, routing(), now(), federal_state(),
                                           visit=current_visit(), uploads=uploads)
        except UploadRejected as exc:
            form.attachments.errors = [str(exc)]
        except InvalidInput as exc:
            _show_errors(form, exc.errors)
        except IdempotencyConflict:
            form.message.errors = [_("Dieses Formular wurde schon mit anderem Inhalt gesendet. Bitte laden Sie die "
                                     "Seite neu.")]
        else:
            remember_case(submission.case.number)
            record("flow", flow="contact", step="sent", outcome=submission.case.channel)
            return redirect(url_for("contact.case", number=submission.case.number))
    return _form_page(form, orders, 422 if request.method == "POST" else 200)


def _link_failed(response) -> bool:
    return response.status_code == 404


@bp.get("/anfrage/<number>")
# Only guesses at a mail's link count; the page itself is read as often as the customer likes.
@limiter.limit("30 per hour", exempt_when=lambda: ACCESS_PARAM not in request.args, deduct_when=_link_failed)
def case(number):
    """The case for the customer who sent it: status, the whole public thread and a reply box.

    With the link from a mail (?zugang=…) the case is remembered for this visit, then the page is shown at its
    plain address, so the token stays neither in the address bar nor in a Referer.
    """
    if ACCESS_PARAM in request.args:
        if open_with_link(number, request.args.get(ACCESS_PARAM)) is None and visible_case(number) is None:
            abort(404)
        return never_stored(redirect(url_for("contact.case", number=number), 303))
    found = visible_case(number)
    if found is None:
        abort(404)
    form = CaseReplyForm(formdata=None)
    form.submission_id.data = uuid.uuid4().hex
    return _case_page(found, form)


def _case_page(found, form, status: int = 200):
    from app.cases.conversation import CUSTOMER_STATUSES, event_words, promise_still_open, reply_state
    from app.cases.conversation import thread_for_customer

    thread = thread_for_customer(found)
    expected = expected_response(found) if promise_still_open(found, now(), routing().slot_minutes) else None
    response = current_app.make_response((render_template(
        "contact/case.html", case=found, expected=expected,
        topic=TOPICS.get(found.topic), skus=json.loads(found.skus) if found.skus else [],
        items=_item_names(found), outcome=OUTCOMES.get(found.desired_outcome) if found.desired_outcome else None,
        overlaps=refund_returns_for(found),
        chat=chat_state(found, 0, "customer") if found.channel == "chat" else None, thread=thread,
        event_words=event_words, statuses=CUSTOMER_STATUSES, reply_state=reply_state(found, now()), form=form,
        answered=any(m.author != "customer" for m in thread)), status))
    response.headers["Cache-Control"] = "no-store"
    return response


def _item_names(found) -> list[str]:
    """The articles the case is about, as the customer knows them (name, size, colour), in the order sent."""
    skus = json.loads(found.skus) if found.skus else []
    known = {i.sku: i for i in found.order.items} if found.order is not None else {}
    return [", ".join(filter(None, [known[s].name, known[s].size, known[s].colour])) if s in known else s
            for s in skus]


@bp.post("/anfrage/<number>/antwort")
@form_parsed_by_schema
@limiter.limit("30 per hour")
def reply(number):
    """The customer's reply on the case page (with attachments checked as on the contact form)."""
    from app.cases.conversation import CannotReply, customer_reply
    from app.cases.schemas import CaseReplyFormInput
    from app.idempotency import commit_with_retries

    found = visible_case(number)
    if found is None:
        abort(404)
    form = CaseReplyForm()
    if not form.validate_on_submit():
        return _case_page(found, form, FORM_ERROR_STATUS)
    given = parse_form_into(CaseReplyFormInput, form)
    if given is None:
        return _case_page(found, form, FORM_ERROR_STATUS)
    try:
        uploads = check_uploads(request.files.getlist(form.attachments.name))
    except UploadRejected as exc:
        form.attachments.errors = [str(exc)]
        return _case_page(found, form, FORM_ERROR_STATUS)
    key = f"reply:{found.number}:{given.submission_id}" if given.submission_id else None
    result = _store_reply(found, given.body, uploads, key, customer_reply, commit_with_retries)
    if isinstance(result, CannotReply):
        flash(result.message, "error")
        return redirect(url_for("contact.case", number=number))
    if result.started_new_case:
        remember_case(result.case.number)
        flash(_("Ihre Anfrage %(old)s war schon länger erledigt. Ihre Nachricht ist deshalb eine neue Anfrage "
                "(%(new)s), die auf die alte verweist.", old=found.number, new=result.case.number), "success")
    elif result.reopened:
        flash(_("Danke! Ihre Anfrage ist wieder geöffnet, wir melden uns."), "success")
    else:
        flash(_("Danke! Ihre Nachricht ist bei uns."), "success")
    return redirect(url_for("contact.case", number=result.case.number))


def _store_reply(found, body, uploads, key, customer_reply, commit_with_retries):
    """Store the reply, its files' bytes included, and commit."""
    from app.cases.conversation import CannotReply, earlier_reply, reply_fingerprint

    fingerprint = reply_fingerprint(body, uploads)

    def submit():
        return customer_reply(found, body, uploads, now(), routing(), user=current_user if
                              current_user.is_authenticated else None, idempotency_key=key,
                              fingerprint=fingerprint)

    try:
        # A double submit that raced ours to the unique key: its reply is ours.
        return commit_with_retries(submit, lambda: earlier_reply(key, fingerprint) if key else None)
    except CannotReply as exc:
        return exc


@bp.post("/vorschlag-geoeffnet")
@json_route
def suggestion_opened():
    """The customer opened a suggested article from the form (counted as deflected unless they send)."""
    data = parse_json(SuggestionOpened)
    if current_app.extensions["helpcenter.library"].article(data.slug) is None:
        raise NotFound(_("Unbekannter Artikel."))
    db.session.add(ContactDeflection(visit=visit_id(), slug=data.slug))
    db.session.commit()
    return "", 204


@bp.route("/umfrage/<token>", methods=["GET", "POST"])
@form_parsed_by_schema
@limiter.limit("30 per hour", methods=["POST"])
def survey(token):
    """The one-question survey after a resolution, from the e-mail link; answerable once."""
    from app.agent.schemas import SurveyInput
    from app.agent.survey import answer_survey, case_for_token
    from app.contact.forms import SurveyForm

    found = case_for_token(token)
    if found is None:
        abort(404)
    form = SurveyForm()
    status = 200
    if found.survey_answered_at is None and request.method == "POST":
        given = parse_form_into(SurveyInput, form)
        if given is None:
            status = FORM_ERROR_STATUS
        else:
            # The recommendation is kept only when the survey asks it (a crafted post cannot add one).
            recommend = given.recommend if current_app.config.get("HELPCENTER_SURVEY_NPS") else None
            stored = answer_survey(found, given.score, given.comment, now(), recommend)
            db.session.commit()
            return render_template("contact/survey_done.html", case=found, already=not stored), 200 if stored else 410
    if found.survey_answered_at is not None:
        return render_template("contact/survey_done.html", case=found, already=True), 410
    response = current_app.make_response((render_template("contact/survey.html", case=found, form=form,
                                                                  ask_recommend=current_app.config.get(
                                                                      "HELPCENTER_SURVEY_NPS")), status))
    response.headers["Cache-Control"] = "no-store"
    return response
