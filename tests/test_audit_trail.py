"""/admin/protokoll and its CSV: newest first, 50 a page, filters, Berlin days, Excel-safe CSV; retention."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import SsoTokenUse
from app.audit.models import AuditEvent
from app.core.csv_export import safe_cell
from app.extensions import db
from tests.admin_helpers import ADMIN, AGENT, OTHER_ADMIN, signed_in, team  # noqa: F401


def add_events(app, *events):
    """(created_at UTC, actor_label, action, object_type, object_ref, detail) rows."""
    with app.app_context():
        for created_at, label, action, kind, ref, detail in events:
            db.session.add(AuditEvent(created_at=created_at, actor_label=label, action=action, object_type=kind,
                                      object_ref=ref, detail=detail))
        db.session.commit()


def shown(html) -> list[tuple[str, ...]]:
    """The trail table's rows as the admin reads them."""
    rows = re.findall(r'<tr data-event="[^"]*">(.*?)</tr>', html, re.S)
    return [tuple(cell.strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)) for row in rows]


def csv_rows(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # Excel reads UTF-8 only with the BOM
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


T = dt.datetime(2026, 11, 16, 9, 30)  # 10:30 in Berlin

SAMPLE = [
    (T, AGENT, "case.reply", "case", "NL-2026-000001", ""),
    (T + dt.timedelta(minutes=5), AGENT, "case.resolve", "case", "NL-2026-000001", "outcome: solved"),
    (T + dt.timedelta(hours=1), "cli", "account.create", "account", "neu@example.com", "role=agent"),
    (T + dt.timedelta(days=1), OTHER_ADMIN, "return.status", "return", "R-2026-000007", "status: received → refunded"),
    # 23:30 UTC on the 17th is already the 18th in Berlin.
    (dt.datetime(2026, 11, 17, 23, 30), AGENT, "case.note", "case", "NL-2026-000002", ""),
]


def test_the_trail_shows_newest_first_in_berlin_time(app, team):
    add_events(app, *SAMPLE)
    response = signed_in(app, ADMIN).get("/admin/protokoll")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "5 Einträge" in html
    assert shown(html) == [
        ("18.11.2026, 00:30:00", AGENT, "Interne Notiz", "Anfrage", "NL-2026-000002", ""),
        ("17.11.2026, 10:30:00", OTHER_ADMIN, "Rücksendestatus geändert", "Rücksendung", "R-2026-000007",
         "status: received → refunded"),
        ("16.11.2026, 11:30:00", "cli", "Konto angelegt", "Konto", "neu@example.com", "role=agent"),
        ("16.11.2026, 10:35:00", AGENT, "Anfrage erledigt", "Anfrage", "NL-2026-000001", "outcome: solved"),
        ("16.11.2026, 10:30:00", AGENT, "Antwort per E-Mail", "Anfrage", "NL-2026-000001", ""),
    ]


@pytest.mark.parametrize(("query", "refs"), [
    ("person=AGENT@example.com", ["NL-2026-000002", "NL-2026-000001", "NL-2026-000001"]),
    ("person=cli", ["neu@example.com"]),
    ("art=return", ["R-2026-000007"]),
    ("aktion=case.resolve", ["NL-2026-000001"]),
    ("objekt=nl-2026-000001", ["NL-2026-000001", "NL-2026-000001"]),
    ("art=case&person=agent@example.com&objekt=NL-2026-000002", ["NL-2026-000002"]),
    ("von=2026-11-17", ["NL-2026-000002", "R-2026-000007"]),
    ("bis=2026-11-17", ["R-2026-000007", "neu@example.com", "NL-2026-000001", "NL-2026-000001"]),
    ("von=2026-11-18&bis=2026-11-18", ["NL-2026-000002"]),
    ("von=2026-11-16&bis=2026-11-16", ["neu@example.com", "NL-2026-000001", "NL-2026-000001"]),
    ("person=niemand@example.com", []),
    ("person=&art=&aktion=&objekt=&von=&bis=", ["NL-2026-000002", "R-2026-000007", "neu@example.com",
                                                "NL-2026-000001", "NL-2026-000001"]),
])
def test_the_filters_and_the_csv_show_exactly_the_same_rows(app, team, query, refs):
    add_events(app, *SAMPLE)
    client = signed_in(app, ADMIN)
    html = client.get(f"/admin/protokoll?{query}").get_data(as_text=True)
    assert [row[4] for row in shown(html)] == refs
    if not refs:
        assert "Keine Einträge für diesen Filter." in html
    # The page's CSV link carries the same filter.
    link = re.search(r'href="(/admin/protokoll\.csv[^"]*)"', html).group(1).replace("&amp;", "&")
    rows = csv_rows(client.get(link))
    assert rows[0] == ["Zeit (Europe/Berlin)", "Person", "Aktion", "Art", "Objekt", "Details"]
    assert [row[4] for row in rows[1:]] == refs


def test_the_action_filter_offers_the_actions_in_the_trail(app, team):
    add_events(app, *SAMPLE)
    html = signed_in(app, ADMIN).get("/admin/protokoll?aktion=case.reply").get_data(as_text=True)
    assert '<option selected value="case.reply">Antwort per E-Mail</option>' in html
    assert '<option value="return.status">Rücksendestatus geändert</option>' in html


def test_fifty_a_page_with_links_that_keep_the_filter(app, team):
    add_events(app, *[(T + dt.timedelta(minutes=n), AGENT, "case.note", "case", f"NL-2026-{n:06d}", "")
                      for n in range(120)],
               (T, "cli", "account.create", "account", "x@example.com", ""))
    client = signed_in(app, ADMIN)
    first = client.get("/admin/protokoll?art=case").get_data(as_text=True)
    assert "120 Einträge" in first and "Seite 1 von 3" in first
    assert [row[4] for row in shown(first)] == [f"NL-2026-{n:06d}" for n in range(119, 69, -1)]
    next_link = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "art=case" in next_link and "seite=2" in next_link
    third = client.get("/admin/protokoll?art=case&seite=3").get_data(as_text=True)
    assert [row[4] for row in shown(third)] == [f"NL-2026-{n:06d}" for n in range(19, -1, -1)]
    assert 'rel="next"' not in third and 'rel="prev"' in third
    # A page past the end shows the last one rather than nothing.
    assert "Seite 3 von 3" in client.get("/admin/protokoll?art=case&seite=99").get_data(as_text=True)
    # The CSV is not paginated: every filtered row.
    assert len(csv_rows(client.get("/admin/protokoll.csv?art=case"))) == 121


@pytest.mark.parametrize("query", [
    "seite=0", "seite=abc", "seite=-1", "seite=99999999999999999999", "von=13.11.2026", "bis=gestern",
    "von=2026-11-18&bis=2026-11-17", "art=kunde", "von=0001-01-01", "von=9999-12-31", "person=" + "x" * 255,
    "aktion=" + "y" * 61,
])
@pytest.mark.parametrize("path", ["/admin/protokoll", "/admin/protokoll.csv"])
def test_odd_filter_values_get_a_422_page_never_a_500(app, team, query, path):
    response = signed_in(app, ADMIN).get(f"{path}?{query}")
    assert response.status_code == 422
    assert "Bitte prüfen Sie die Angaben." in response.get_data(as_text=True)


def test_odd_filter_values_as_json_get_the_error_shape(app, team):
    response = signed_in(app, ADMIN).get("/admin/protokoll?seite=0", headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_request"
    assert "seite" in response.get_json()["error"]["fields"]


def test_control_characters_in_the_filter_are_refused(app, team):
    assert signed_in(app, ADMIN).get("/admin/protokoll?person=a%01b").status_code == 400


def test_the_csv_is_for_german_excel_and_neutralises_formulas(app, team):
    add_events(app,
               (T, "=cmd|' /C calc'!A0", "case.note", "case", "+49 40 123", "-2+3"),
               (T + dt.timedelta(minutes=1), "@SUM(A1)", "case.note", "case", "NL;2026", 'Zitat "so"\nzweite Zeile'))
    response = signed_in(app, ADMIN).get("/admin/protokoll.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="protokoll.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.is_streamed
    rows = csv_rows(response)
    assert rows[1] == ["16.11.2026 10:31:00", "'@SUM(A1)", "case.note", "case", "NL;2026", 'Zitat "so"\nzweite Zeile']
    assert rows[2] == ["16.11.2026 10:30:00", "'=cmd|' /C calc'!A0", "case.note", "case", "'+49 40 123", "'-2+3"]
    assert ";" in response.get_data(as_text=True).splitlines()[0]


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("a=1", "a=1"), ("", ""), (None, ""), (42, "42"),
])
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell


def test_the_member_page_links_to_the_trail_of_the_account(app, team):
    add_events(app, (T, "cli", "account.role", "account", AGENT, "editor → agent"))
    client = signed_in(app, ADMIN)
    html = client.get(f"/admin/team/{team[AGENT]}").get_data(as_text=True)
    assert "Rolle geändert (editor → agent)" in html
    link = re.search(r'href="(/admin/protokoll\?[^"]+)"', html).group(1).replace("&amp;", "&")
    assert [row[4] for row in shown(client.get(link).get_data(as_text=True))] == [AGENT]


# --- retention ----------------------------------------------------------------------------------

@pytest.fixture
def aged_trail(app):
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    add_events(app, (now - dt.timedelta(days=731), "cli", "account.create", "account", "alt@example.com", ""),
               (now - dt.timedelta(days=729), "cli", "account.create", "account", "neu@example.com", ""))
    with app.app_context():
        db.session.add_all([SsoTokenUse(jti_hash="a" * 64, expires_at=now - dt.timedelta(minutes=5)),
                            SsoTokenUse(jti_hash="b" * 64, expires_at=now + dt.timedelta(minutes=4)),
                            # Expired 10 s ago: still accepted within the allowed clock skew, so still
                            # remembered, or it could be replayed.
                            SsoTokenUse(jti_hash="c" * 64, expires_at=now - dt.timedelta(seconds=10))])
        db.session.commit()
    return now


def _left(app):
    with app.app_context():
        return (sorted(db.session.scalars(select(AuditEvent.object_ref))),
                sorted(h[0] for h in db.session.scalars(select(SsoTokenUse.jti_hash))))


def test_purge_removes_audit_events_past_their_period_and_expired_sso_token_ids(app, aged_trail):
    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "audit_events=1 sso_tokens=1" in result.output
    assert _left(app) == (["neu@example.com"], ["b", "c"])
    again = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert "audit_events=0 sso_tokens=0" in again.output


def test_an_audit_period_of_0_keeps_the_trail(make_app, fixture_index, aged_trail):
    app = make_app(index_dir=fixture_index, HELPCENTER_RETENTION_AUDIT_DAYS=0)
    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert "audit_events=0 sso_tokens=1" in result.output
    assert _left(app) == (["alt@example.com", "neu@example.com"], ["b", "c"])


def test_a_shorter_audit_period_from_the_settings(make_app, fixture_index, aged_trail):
    app = make_app(index_dir=fixture_index, HELPCENTER_RETENTION_AUDIT_DAYS=30)
    app.test_cli_runner().invoke(args=["privacy", "purge"])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


@pytest.mark.parametrize(("days", "promise"), [
    (365, "Protokoll, wer aus unserem Team wann Ihre Anfrage oder Rücksendung bearbeitet hat (ohne Ihre "
          "Nachrichten): 365 Tage."),
    (0, None),
])
def test_the_privacy_page_states_the_audit_period_the_purge_keeps(make_app, shipped_index, days, promise):
    from tests.conftest import SHIPPED_CONTENT

    app = make_app(SHIPPED_CONTENT, shipped_index, HELPCENTER_RETENTION_AUDIT_DAYS=days)
    page = app.test_client().get("/datenschutz").get_data(as_text=True)
    if promise:
        assert promise in page
    else:
        assert "Protokoll, wer aus unserem Team" not in page  # 0 = kept: no period is promised
