"""The agent console (/agent): queues, one case with everything around it, and the actions on it."""
from __future__ import annotations

import json
from functools import partial

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.agent import actions
from app.agent.access import require_agent
from app.agent.actions import ActionRefused, case_by_number
from app.agent.context import customer_context, proven_order, trail_steps
from app.agent.forms import (CallbackForm, ChatForm, ClaimForm, NoteForm, PresenceForm, ReopenForm, ReplyForm,
                             ResolveForm, VerifyForm)
from app.agent.queues import by_channel, callbacks, cases_in_queue, held_by, queue_name, sla_timer
from app.agent.replies import TEMPLATES, fill, placeholder_values, shipment_news, template
from app.agent.schemas import (CallbackInput, ChatLineInput, ClaimInput, NoteInput, PresenceInput, ReopenInput,
                               ReplyInput, ResolveInput, VerifyInput)
from app.agent.suggestions import suggest
from app.agent.vocabulary import PRIORITIES
from app.cases.conversation import (MESSAGE_CHANNEL_LABELS, cases_with_new_customer_message, event_words,
                                    thread_for_agent, unanswered_ids)
from app.cases.routing import CHANNELS
from app.cases.topics import OUTCOMES as CUSTOMER_OUTCOMES
from app.cases.topics import TOPICS
from app.chat.service import messages_after, presence_of, set_presence, waiting_chats
from app.contact import views as contact_views
from app.core.forms import FORM_ERROR_STATUS, parse_form_into
from app.core.requests import form_parsed_by_schema
from app.core.schemas import PrefillQuery, parse_prefill
from app.extensions import db
from app.returns.overlap import complaints_about, refund_returns_for
from app.returns.vocabulary import REASONS, RESOLUTIONS, STATUS_LABELS
from app.shop.fields import SHOP_TIMEZONE
from app.core.responses import never_stored

bp = Blueprint("agent", __name__, url_prefix="/agent")
bp.before_request(require_agent)



def _case_or_404(number: str):
    case = case_by_number(number)
    if case is None:
        abort(404)
    return case


@bp.get("")
def console():
    """The agent's own open cases; the queues per channel with counts, oldest waiting and SLA; callbacks by slot;
    waiting chats. Cases with a new customer message are marked."""
    now = contact_views.now()
    config = contact_views.routing()
    mine, due_callbacks, chats = held_by(current_user), callbacks(), waiting_chats()
    return never_stored(render_template(
        "agent/console.html", channels=by_channel(config, now), channel_order=CHANNELS, callbacks=due_callbacks,
        chats=chats, mine=mine, presence=presence_of(current_user, now), presence_form=PresenceForm(),
        new_messages=cases_with_new_customer_message(c.id for c in (*mine, *due_callbacks, *chats)),
        sla_timer=partial(sla_timer, config=config), now=now, topics=TOPICS, grace_minutes=config.grace_minutes))


@bp.get("/warteschlange/<slug>")
def queue(slug):
    """One queue's open cases in working order with their SLA timers."""
    config = contact_views.routing()
    if slug not in config.queues:
        abort(404)
    now = contact_views.now()
    cases = cases_in_queue(slug)
    return never_stored(render_template("agent/queue.html", queue=config.queues[slug], cases=cases,
                                        new_messages=cases_with_new_customer_message(c.id for c in cases),
                                        sla_timer=partial(sla_timer, config=config), now=now, topics=TOPICS,
                                        presence=presence_of(current_user, now)))


@bp.get("/anfrage/<number>")
def case(number):
    """Everything about one case on one screen, with the suggested solution and the actions."""
    found = _case_or_404(number)
    reply = ReplyForm(formdata=None)
    news = shipment_news(found, contact_views.now().astimezone(SHOP_TIMEZONE).date(), contact_views.federal_state())
    chosen = template(parse_prefill(PrefillQuery).vorlage, news)
    if chosen is not None:
        with force_locale(found.lang):  # the reply is in the customer's language, not the agent's
            reply.body.data = fill(str(chosen.body), placeholder_values(found, current_user.name, news))
    return _case_page(found, {"reply_form": reply}, chosen=chosen)


_FORMS = {"claim_form": ClaimForm, "note_form": NoteForm, "reply_form": ReplyForm, "callback_form": CallbackForm,
          "resolve_form": ResolveForm, "reopen_form": ReopenForm, "chat_form": ChatForm, "verify_form": VerifyForm}


def _case_page(found, forms: dict, chosen=None, status: int = 200):
    """The case screen; `forms` holds the one form shown again with what was typed and its messages."""
    now = contact_views.now()
    config = contact_views.routing()
    skus = json.loads(found.skus) if found.skus else []
    policy = current_app.extensions["helpcenter.returns_policy"]
    thread = thread_for_agent(found)
    shown = {name: forms[name] if name in forms else form_class(formdata=None) for name, form_class in _FORMS.items()}
    context = customer_context(found)
    response = never_stored(render_template(
        "agent/case.html", case=found, order=proven_order(found), topic=TOPICS.get(found.topic), skus=skus,
        context=context, overlaps=refund_returns_for(found),
        return_complaints={r.id: complaints_about(r) for r in context.returns},
        trail=trail_steps(found), suggestions=suggest(found, policy, now.astimezone(SHOP_TIMEZONE).date(), skus),
        sla=sla_timer(found, now, config), presence=presence_of(current_user, now), templates=TEMPLATES, chosen=chosen,
        customer_outcomes=CUSTOMER_OUTCOMES, outcomes=actions.OUTCOMES, callback_outcomes=actions.CALLBACK_OUTCOMES,
        event_kinds=actions.EVENT_KINDS, statuses=actions.STATUSES, return_reasons=REASONS,
        return_statuses=STATUS_LABELS, return_resolutions=RESOLUTIONS, priorities=PRIORITIES, topics=TOPICS,
        queue_name=queue_name(found.queue), messages=messages_after(found) if found.channel == "chat" else [],
        thread=thread, unanswered=unanswered_ids(thread), event_words=event_words,
        message_channels=MESSAGE_CHANNEL_LABELS, **shown))
    response.status_code = status
    return response


def _act(number: str, form_name: str, model, run, done: str):
    """Parse the action's form; a refusal shows the case again with the message at the field (422)."""
    found = _case_or_404(number)
    form = _FORMS[form_name]()
    given = parse_form_into(model, form)
    if given is None:
        # A summary above the case as well as the message at the field: the form may sit further down,
        # or not be shown at all any more (a callback form on a case that is no longer a callback).
        for field in form:
            for message in field.errors:
                flash(f"{field.label.text}: {message}", "error")
        for message in form.form_errors:
            flash(message, "error")
        return _case_page(found, {form_name: form}, status=FORM_ERROR_STATUS)
    try:
        run(found, given, contact_views.now())
        db.session.commit()
    except ActionRefused as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("agent.case", number=number))


@bp.post("/anfrage/<number>/uebernehmen")
def claim(number):
    """Take the case (for a chat: accept it)."""
    return _act(number, "claim_form", ClaimInput, lambda c, f, now: actions.claim(c, current_user, now),
                _("Sie bearbeiten die Anfrage jetzt."))


@bp.post("/anfrage/<number>/rueckruf")
@form_parsed_by_schema
def callback(number):
    """'Rückruf erledigt' with the outcome of the call."""
    return _act(number, "callback_form", CallbackInput,
                lambda c, f, now: actions.callback_done(c, current_user, f.outcome, f.note, now),
                _("Rückruf eingetragen."))


@bp.post("/anfrage/<number>/antwort")
@form_parsed_by_schema
def reply(number):
    """Answer the customer by e-mail (through the outbox)."""
    return _act(number, "reply_form", ReplyInput,
                lambda c, f, now: actions.reply_by_email(c, current_user, f.subject, f.body, now),
                _("Antwort ist unterwegs."))


@bp.post("/anfrage/<number>/notiz")
@form_parsed_by_schema
def note(number):
    """An internal note for the team."""
    return _act(number, "note_form", NoteInput, lambda c, f, now: actions.add_note(c, current_user, f.note, now),
                _("Notiz gespeichert."))


@bp.post("/anfrage/<number>/erledigen")
@form_parsed_by_schema
def resolve(number):
    """Close the case with its outcome (the customer gets the survey)."""
    return _act(number, "resolve_form", ResolveInput,
                lambda c, f, now: actions.resolve(c, current_user, f.outcome, f.note, now),
                _("Anfrage erledigt."))


@bp.post("/anfrage/<number>/verifizieren")
@form_parsed_by_schema
def verify(number):
    """'Kunde verifiziert': after checking who wrote, show the case's order and history."""
    return _act(number, "verify_form", VerifyInput,
                lambda c, f, now: actions.verify_customer(c, current_user, f.note, now),
                _("Kunde verifiziert. Bestelldaten und Verlauf sind jetzt sichtbar."))


@bp.post("/anfrage/<number>/wieder-oeffnen")
@form_parsed_by_schema
def reopen(number):
    """Open a resolved case again."""
    return _act(number, "reopen_form", ReopenInput, lambda c, f, now: actions.reopen(c, current_user, f.note, now),
                _("Anfrage wieder geöffnet."))


@bp.post("/anfrage/<number>/chat")
@form_parsed_by_schema
def chat_message(number):
    """A chat line from the agent without JavaScript (the console's script uses the JSON API)."""
    from app.chat.service import post_message

    return _act(number, "chat_form", ChatLineInput,
                lambda c, f, now: post_message(c, "agent", current_user, f.body, now),
                _("Nachricht gesendet."))


@bp.post("/anwesenheit")
@form_parsed_by_schema
def presence():
    """Online or away: online agents open the chat for customers."""
    form = PresenceForm()
    given = parse_form_into(PresenceInput, form)
    if given is None:
        for message in form.status.errors + form.form_errors:
            flash(message, "error")
        response = console()
        response.status_code = FORM_ERROR_STATUS
        return response
    set_presence(current_user, given.status, contact_views.now())
    db.session.commit()
    return redirect(url_for("agent.console"))


@bp.get("/anfrage/<number>/anhang/<int:attachment_id>")
def attachment(number, attachment_id):
    """A file the customer attached, always as a download."""
    from app.cases.attachments import ATTACHMENT_FOLDER
    from app.core.uploads import send_upload

    found = _case_or_404(number)
    item = next((a for a in found.attachments if a.id == attachment_id), None)
    if item is None:
        abort(404)
    return send_upload(ATTACHMENT_FOLDER, item)
