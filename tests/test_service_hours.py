"""Answer times count service hours only (hours and public holidays from the routing file and
HELPCENTER_FEDERAL_STATE); the acknowledgement (page and e-mail) names a time inside them; the footer shows the
same hours."""
import datetime as dt
import re

import pytest
from sqlalchemy import select

from app.cases.availability import answer_due, hours_by_days
from app.cases.routing import DEFAULT_FILE, load_routing, parse_routing
from app.config import config_from_env
from app.outbox.models import OutboxMessage
from app.extensions import db
from app.shop.fields import SHOP_TIMEZONE
from tests.agent_helpers import Clock, post_json

# Weekdays only, a two-hour target for e-mail, five minutes for chat.
WEEKDAYS_ONLY = DEFAULT_FILE.read_text(encoding="utf-8").replace(
    'hours = { mo = "08:00-20:00", di = "08:00-20:00", mi = "08:00-20:00", do = "08:00-20:00", fr = "08:00-20:00", '
    'sa = "09:00-16:00" }',
    'hours = { mo = "08:00-20:00", di = "08:00-20:00", mi = "08:00-20:00", do = "08:00-20:00", fr = "08:00-18:00" }'
).replace("sla_minutes = 1440", "sla_minutes = 120")  # e-mail and unverified e-mail

FRIDAY_EVENING = dt.datetime(2026, 11, 20, 21, 0, tzinfo=SHOP_TIMEZONE)


def berlin(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHOP_TIMEZONE)


def test_the_test_file_really_changes_the_hours_and_target():
    config = parse_routing(WEEKDAYS_ONLY)
    assert config.queues["email"].sla_minutes == config.queues["unverifiziert"].sla_minutes == 120
    assert 5 not in config.service_hours


def test_answer_time_counts_service_hours_and_skips_weekends_and_holidays():
    config = parse_routing(WEEKDAYS_ONLY)
    assert answer_due(config, FRIDAY_EVENING, 120, "HH") == berlin(2026, 11, 23, 10, 0)  # Monday 10:00
    assert answer_due(config, berlin(2026, 11, 20, 17, 0), 120, "HH") == berlin(2026, 11, 23, 9, 0)  # 1 h + 1 h
    assert answer_due(config, berlin(2026, 11, 18, 10, 0), 120, "HH") == berlin(2026, 11, 18, 12, 0)
    # Thursday 24 December evening: Christmas (Friday) closed, weekend closed, Monday 28th from 08:00.
    assert answer_due(config, berlin(2026, 12, 24, 21, 0), 120, "HH") == berlin(2026, 12, 28, 10, 0)
    # Buß- und Bettag (Wednesday 18 November) is a holiday in Saxony only.
    assert answer_due(config, berlin(2026, 11, 17, 19, 0), 120, "SN") == berlin(2026, 11, 19, 9, 0)
    assert answer_due(config, berlin(2026, 11, 17, 19, 0), 120, "HH") == berlin(2026, 11, 18, 9, 0)
    # Chat: five minutes just before closing run on at the next opening.
    assert answer_due(config, berlin(2026, 11, 19, 19, 58), 5, "HH") == berlin(2026, 11, 20, 8, 3)
    shipped = load_routing()
    assert answer_due(shipped, FRIDAY_EVENING, 1440, "HH") == berlin(2026, 11, 24, 13, 0)  # Sa 7 h, Mo 12 h, Tu 5 h
    assert answer_due(parse_routing(WEEKDAYS_ONLY.replace("hours = {", "# hours = {")),
                      FRIDAY_EVENING, 120, "HH") == berlin(2026, 11, 20, 23, 0)  # no hours: every minute counts


@pytest.fixture
def weekday_app(make_app, fixture_index, tmp_path, monkeypatch):
    routing = tmp_path / "routing.toml"
    routing.write_text(WEEKDAYS_ONLY, encoding="utf-8")
    monkeypatch.setattr("app.contact.views.now", Clock(FRIDAY_EVENING))
    return make_app(index_dir=fixture_index, HELPCENTER_ROUTING_FILE=str(routing))


def test_friday_evening_request_is_promised_for_monday_on_the_page_and_in_the_mail(weekday_app):
    guest = weekday_app.test_client()
    answer = post_json(guest, "/api/cases", {"topic": "sonstiges", "message": "Eine Frage am Freitagabend.",
                                             "channel": "email", "name": "Kim Berg", "email": "kim@example.com"})
    assert answer.status_code == 201, answer.get_json()
    number = answer.get_json()["case_number"]
    promise = "Sie erhalten unsere Antwort per E-Mail bis spätestens Montag, 23. November, 10:00 Uhr."
    page = guest.get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    assert promise in page
    with weekday_app.app_context():
        mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"case-ack:{number}"))
        assert promise in mail.body
    assert "Mo–Fr" not in page  # Friday closes earlier here: the footer says so
    assert "Mo–Do 08:00–20:00 Uhr, Fr 08:00–18:00 Uhr, an Feiertagen geschlossen" in page


def test_footer_shows_the_routing_files_hours(app, client):
    page = client.get("/").get_data(as_text=True)
    assert "Mo–Fr 08:00–20:00 Uhr, Sa 09:00–16:00 Uhr, an Feiertagen geschlossen" in page
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Mon–Fri 08:00–20:00" in english
    assert hours_by_days(load_routing()) == [(0, 4, dt.time(8), dt.time(20)), (5, 5, dt.time(9), dt.time(16))]


def test_the_old_footer_variable_is_ignored_with_a_warning(tmp_path, caplog):
    # An installation that still sets it keeps starting; the footer cannot disagree with the answer times.
    with caplog.at_level("WARNING", logger="helpcenter.config"):
        config = config_from_env(tmp_path, {"HELPCENTER_SERVICE_HOURS": "Mo–Fr 8–20 Uhr"})
    assert "HELPCENTER_SERVICE_HOURS" not in config
    assert re.search(r"HELPCENTER_SERVICE_HOURS is no longer used.*\[service\] hours", caplog.text)
