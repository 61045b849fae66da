"""Staff of every role for the insights tests, signed in, and rows placed on Berlin days."""
from __future__ import annotations

import datetime as dt

import pytest

from app.insights.dates import BERLIN, berlin_today
from tests.conftest import login

PASSWORD = "richtig-gutes-passwort"
PEOPLE = {"editor": "lena.text@example.com", "lead": "tara.lead@example.com", "agent": "jonas.agent@example.com",
          "admin": "ada.admin@example.com", "customer": "kim.berg@example.com"}


@pytest.fixture
def insights(make_app, fixture_index, make_user):
    from tests.conftest import FIXTURE_CONTENT

    app = make_app(FIXTURE_CONTENT, fixture_index, HELPCENTER_STAFF_2FA="optional")
    for role, email in PEOPLE.items():
        make_user(email=email, role=role, name=role.title())
    return app


def signed_in(app, role: str):
    client = app.test_client()
    if role != "anonymous":
        response = login(client, PEOPLE[role], PASSWORD)
        assert response.status_code == 302, role
    return client


def today() -> dt.date:
    return berlin_today(dt.datetime.now(dt.timezone.utc))


def moment(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A Berlin wall-clock time as the naive UTC the tables store."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).astimezone(
        dt.timezone.utc).replace(tzinfo=None)
