"""The one-question satisfaction survey after a resolution: a signed link by e-mail, answerable once."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import update

from app.cases.availability import to_utc_naive
from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.privacy.redaction import mask_card_numbers

SALT = "case-survey"
VALID_DAYS = 30
MAX_COMMENT = 2000


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def survey_token(case: Case) -> str:
    return _serializer().dumps(case.number)


def survey_url(case: Case) -> str:
    return f"{current_app.config['HELPCENTER_BASE_URL'].rstrip('/')}/kontakt/umfrage/{survey_token(case)}"


def case_for_token(token: str) -> Case | None:
    """The case of a genuine, unexpired survey link; None for anything else."""
    from app.agent.actions import case_by_number

    try:
        number = _serializer().loads(token, max_age=VALID_DAYS * 86400)
    except BadSignature:
        return None
    return case_by_number(number) if isinstance(number, str) else None


def queue_survey(case: Case) -> None:
    """The survey e-mail in the resolution's transaction; one per case, however often it is resolved."""
    from app.cases.mail_thread import new_message_id, thread_headers
    from app.outbox.service import queue_email

    if case.survey_answered_at is not None:
        return
    shop = current_app.config["HELPCENTER_SHOP_NAME"]
    with force_locale(case.lang):
        subject = _("Ihre Anfrage %(number)s ist erledigt – wie war es?", number=case.number)
        body = _("Hallo %(name)s,\n\nwir haben Ihre Anfrage %(number)s erledigt. Wie zufrieden sind Sie mit unserer "
                 "Hilfe? Eine Frage, eine Minute:\n\n%(link)s\n\nDer Link gilt %(days)d Tage und lässt sich einmal "
                 "verwenden.\n\nIhr Kundenservice von %(shop)s",
                 name=case.contact_name, number=case.number, link=survey_url(case), days=VALID_DAYS, shop=shop)
    queue_email(case.contact_email, subject, body, dedupe_key=f"case-survey:{case.number}",
                thread=thread_headers(case, new_message_id()))


def answer_survey(case: Case, score: int, comment: str, now: dt.datetime, recommend: int | None = None) -> bool:
    """Store the answer (parsed by app/agent/schemas.py SurveyInput); False when the link was already used.

    `recommend` is the optional 0–10 answer to "would you recommend us?" (only asked with HELPCENTER_SURVEY_NPS=on)."""
    text = comment.strip()
    moment = to_utc_naive(now)
    # The condition in the UPDATE makes the link single-use even for two answers sent at once.
    stored = db.session.execute(
        update(Case).where(Case.id == case.id, Case.survey_answered_at.is_(None))
        .values(survey_score=score, survey_comment=mask_card_numbers(text) or None, survey_answered_at=moment,
                survey_nps=recommend)
        .execution_options(synchronize_session=False)).rowcount
    if not stored:
        return False
    db.session.add(CaseEvent(case_id=case.id, kind="survey", outcome=str(score), created_at=moment))
    db.session.flush()
    db.session.refresh(case)
    return True
