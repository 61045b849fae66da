"""DSGVO: the purge keeps the retention promises; export and erasure of one customer, never another's data."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.cases.models import Case, CaseAttachment, CaseEvent, CaseMessage, ContactDeflection
from app.config import ConfigError, config_from_env
from app.core.uploads import check_upload, upload_dir
from app.extensions import db
from app.insights.models import SearchLog
from app.outbox.models import OutboxMessage
from app.privacy import retention
from app.returns.models import ReturnEvent, ReturnItem, ReturnPhoto, ReturnRequest
from app.shop.cli import apply_import
from app.shop.models import Address, Customer, Order
from app.withdrawal.models import Withdrawal
from tests.conftest import login
from tests.shop_factory import customer, document, order, shipment
from tests.test_uploads import image_bytes

NOW = dt.datetime(2026, 12, 1, 12, 0)  # naive UTC, as stored
PNG = image_bytes("PNG")


def ago(**delta) -> dt.datetime:
    return NOW - dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """The purge's and export's clock, moved forward by the tests."""
    state = {"now": NOW}
    monkeypatch.setattr("app.privacy.cli.now", lambda: state["now"])
    return state


@pytest.fixture
def instance(app, tmp_path):
    app.instance_path = str(tmp_path)
    return tmp_path


_numbers = iter(range(1, 10_000_000))


def make_case(**fields) -> Case:
    number = next(_numbers)
    values = {"number": f"NL-2026-{number:06d}", "topic": "sonstiges", "message": "Eine Frage.", "channel": "email",
              "queue": "allgemein", "sla_due_at": NOW, "contact_name": "Gast", "contact_email": "gast@example.com",
              "created_at": ago(days=1)}
    values.update(fields)
    case = Case(**values)
    db.session.add(case)
    db.session.flush()
    return case


def _keep(record, folder: str, legacy: bool) -> str:
    """An upload stored as today (bytes in the row) or as before revision 0020 (bytes only in a file)."""
    if legacy:
        upload_dir(folder).mkdir(parents=True, exist_ok=True)
        (upload_dir(folder) / record.storage_name).write_bytes(record.data)
        record.data = None
    db.session.flush()
    return record.storage_name


def attach(case: Case, name="beleg.png", legacy=False) -> str:
    attachment = CaseAttachment.stored(check_upload(name, PNG))
    case.attachments.append(attachment)
    return _keep(attachment, "attachments", legacy)


def stored_bytes(instance, folder: str, name: str) -> bytes | None:
    """An upload's bytes wherever they are: its row, or its file from before revision 0020."""
    model = {"attachments": CaseAttachment, "return_photos": ReturnPhoto}[folder]
    data = db.session.scalar(select(model.data).where(model.storage_name == name))
    path = instance / folder / name
    return data if data is not None else path.read_bytes() if path.exists() else None


def make_return(order_obj: Order, status="registered", updated=None, comment=None, photo=False, legacy=False,
                **fields):
    number = next(_numbers)
    ret = ReturnRequest(number=f"R-2026-{number:06d}", order_id=order_obj.id, customer_id=order_obj.customer_id,
                        status=status, resolution="refund", refund_cents=7995, created_at=updated or ago(days=1),
                        updated_at=updated or ago(days=1), **fields)
    item = order_obj.items[0]
    ret.items.append(ReturnItem(order_item_id=item.id, sku=item.sku, name=item.name, category=item.category,
                                quantity=1, unit_price_cents=item.unit_price_cents, reason="defekt", comment=comment))
    ret.events.append(ReturnEvent(status=status, source="customer", occurred_at=ret.created_at,
                                  fingerprint=f"created:{status}", note=comment))
    db.session.add(ret)
    db.session.flush()
    storage = None
    if photo:
        stored = ReturnPhoto.stored(check_upload("defekt.png", PNG, allow_pdf=False))
        ret.items[0].photos.append(stored)
        storage = _keep(stored, "return_photos", legacy)
    # updated_at has onupdate: write the time it should have in one more statement.
    db.session.flush()
    db.session.execute(ReturnRequest.__table__.update().where(ReturnRequest.__table__.c.id == ret.id)
                       .values(updated_at=updated or ago(days=1)))
    return ret, storage


def outbox(recipient, sent_at=None, pending=False, body="Hallo"):
    message = OutboxMessage(kind="email", recipient=recipient, subject="Ihre Anfrage", body=body,
                            created_at=sent_at or NOW, sent_at=None if pending else sent_at,
                            next_attempt_at=NOW)
    db.session.add(message)
    db.session.flush()
    if not pending:
        message.next_attempt_at = None  # finished (None on insert would take the column default)
        db.session.flush()
    return message


# --- purge ---------------------------------------------------------------------------------------

@pytest.fixture
def aged(app, instance):
    """Records on both sides of every retention period (defaults: phone 30, search/trail/files 90, outbox 30,
    cases 1095 days)."""
    with app.app_context():
        apply_import(document([customer()], [order("100001")]))
        the_order = db.session.scalar(select(Order))
        ids = {
            "phone_due": make_case(contact_phone="040 111", status="resolved", resolved_at=ago(days=30, minutes=1)).id,
            "phone_kept": make_case(contact_phone="040 222", status="resolved", resolved_at=ago(days=29, hours=23)).id,
            "phone_open": make_case(contact_phone="040 333", status="open", created_at=ago(days=400)).id,
            "trail_due": make_case(trail='[{"kind": "search"}]', created_at=ago(days=91)).id,
            "trail_kept": make_case(trail='[{"kind": "search"}]', created_at=ago(days=89)).id,
        }
        files_due = attach(make_case(status="resolved", resolved_at=ago(days=91)))
        files_kept = attach(make_case(status="resolved", resolved_at=ago(days=89)), legacy=True)
        files_open = attach(make_case(status="open", created_at=ago(days=300)))
        old_case = make_case(status="resolved", resolved_at=ago(days=1096), created_at=ago(days=1100))
        old_case_file = attach(old_case, legacy=True)
        db.session.add_all([CaseMessage(case_id=old_case.id, author="customer", channel="chat", body="Hallo"),
                            CaseEvent(case_id=old_case.id, kind="resolve", note="erledigt")])
        ids["old_case"] = old_case.id
        ids["recent_case"] = make_case(status="resolved", resolved_at=ago(days=1094)).id
        _, photo_due = make_return(the_order, status="refunded", updated=ago(days=91), photo=True, legacy=True,
                                   complaint_case_id=old_case.id)
        _, photo_kept = make_return(the_order, status="registered", updated=ago(days=200), photo=True)
        db.session.add_all([SearchLog(query="retoure", lang="de", result_count=3, created_at=ago(days=91)),
                            SearchLog(query="paket", lang="de", result_count=1, created_at=ago(days=89)),
                            ContactDeflection(visit="v1", slug="paypal", opened_at=ago(days=91)),
                            ContactDeflection(visit="v2", slug="paypal", opened_at=ago(days=89))])
        outbox("alt@example.com", sent_at=ago(days=31))
        outbox("neu@example.com", sent_at=ago(days=29))
        outbox("wartet@example.com", pending=True)
        db.session.commit()
    # Some uploads as before revision 0020 (bytes only in a file), the others with their bytes in the row.
    orphan_old = instance / "attachments" / "verwaist.png"
    orphan_old.write_bytes(PNG)
    os.utime(orphan_old, (time.time() - 2 * 86400,) * 2)
    orphan_new = instance / "attachments" / "gerade-hochgeladen.png"
    orphan_new.write_bytes(PNG)
    return {"ids": ids, "files_due": [("attachments", files_due), ("return_photos", photo_due),
                                      ("attachments", old_case_file)],
            "files_kept": [("attachments", files_kept), ("attachments", files_open), ("return_photos", photo_kept)],
            "orphan_old": orphan_old, "orphan_new": orphan_new}


def _state(app):
    with app.app_context():
        cases = {c.id: c for c in db.session.scalars(select(Case))}
        return {
            "phones": {i: c.contact_phone for i, c in cases.items()},
            "trails": {i: c.trail for i, c in cases.items()},
            "cases": set(cases),
            "searches": sorted(db.session.scalars(select(SearchLog.query))),
            "deflections": sorted(db.session.scalars(select(ContactDeflection.visit))),
            "attachments": db.session.scalar(select(func.count()).select_from(CaseAttachment)),
            "photos": db.session.scalar(select(func.count()).select_from(ReturnPhoto)),
            "chat": db.session.scalar(select(func.count()).select_from(CaseMessage)
                                      .where(CaseMessage.channel == "chat")),
            "recipients": sorted(db.session.scalars(select(OutboxMessage.recipient))),
            "complaint_links": sorted(map(str, db.session.scalars(select(ReturnRequest.complaint_case_id)))),
        }


def test_purge_removes_exactly_what_has_expired_and_a_second_run_nothing(app, aged, instance, clock, caplog):
    runner = app.test_cli_runner()
    ids = aged["ids"]
    with caplog.at_level(logging.INFO, logger="app.privacy"):
        result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert ("purged: phone_numbers=1 search_logs=1 trails=1 suggestions=1 attachments=2 photos=1 outbox_messages=1 "
            "cases=1 orphan_files=1") in result.output
    log_text = " ".join(r.getMessage() for r in caplog.records)
    assert "phone_numbers=1" in log_text
    for personal in ("040 111", "alt@example.com", "retoure", ".png"):
        assert personal not in log_text

    state = _state(app)
    assert state["phones"][ids["phone_due"]] is None
    assert state["phones"][ids["phone_kept"]] == "040 222" and state["phones"][ids["phone_open"]] == "040 333"
    assert state["trails"][ids["trail_due"]] is None and state["trails"][ids["trail_kept"]] is not None
    assert ids["old_case"] not in state["cases"] and ids["recent_case"] in state["cases"]
    assert state["chat"] == 0 and state["complaint_links"] == ["None", "None"]
    assert state["searches"] == ["paket"] and state["deflections"] == ["v2"]
    assert (state["attachments"], state["photos"]) == (2, 1)
    assert state["recipients"] == ["[gelöscht]", "neu@example.com", "wartet@example.com"]
    with app.app_context():
        for folder, name in aged["files_due"]:
            assert stored_bytes(instance, folder, name) is None and not (instance / folder / name).exists()
        for folder, name in aged["files_kept"]:
            assert stored_bytes(instance, folder, name) == PNG
    assert not aged["orphan_old"].exists() and aged["orphan_new"].exists()

    again = runner.invoke(args=["privacy", "purge"])
    assert again.exit_code == 0 and "phone_numbers=0 search_logs=0 trails=0 suggestions=0 attachments=0 photos=0 " \
                                    "outbox_messages=0 cases=0 orphan_files=0" in again.output
    assert _state(app) == state

    # The clock moves on: the kept phone number's 30 days are over two hours later.
    clock["now"] = NOW + dt.timedelta(hours=2)
    later = runner.invoke(args=["privacy", "purge"])
    assert "phone_numbers=1 " in later.output
    assert _state(app)["phones"][ids["phone_kept"]] is None


def test_parallel_purges_remove_everything_once(app, aged, instance):
    reports, errors = [], []

    def run():
        try:
            with app.app_context():
                reports.append(retention.purge(NOW, retention.periods(app)))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for kind, expected in {"phone_numbers": 1, "search_logs": 1, "trails": 1, "attachments": 2, "photos": 1,
                           "outbox_messages": 1, "cases": 1}.items():
        assert sum(getattr(r, kind) for r in reports) == expected, kind
    with app.app_context():
        for folder, name in aged["files_due"]:
            assert stored_bytes(instance, folder, name) is None and not (instance / folder / name).exists()


@pytest.mark.parametrize(("days", "resolved_ago", "removed"), [
    (7, dt.timedelta(days=7, minutes=1), True),
    (7, dt.timedelta(days=6, hours=23), False),
    (60, dt.timedelta(days=59), False),
    (60, dt.timedelta(days=61), True),
])
def test_the_phone_period_the_form_promises_is_the_one_the_purge_keeps(make_app, fixture_index, instance, days,
                                                                        resolved_ago, removed):
    app = make_app(index_dir=fixture_index, HELPCENTER_RETENTION_PHONE_DAYS=days)
    app.instance_path = str(instance)
    page = app.test_client().get("/kontakt").get_data(as_text=True)
    assert f"löschen sie {days} Tage nach Abschluss Ihrer Anfrage" in page
    with app.app_context():
        case_id = make_case(contact_phone="0170 1234567", status="resolved", resolved_at=NOW - resolved_ago).id
        db.session.commit()
        report = retention.purge(NOW, retention.periods())
        assert (report.phone_numbers == 1) is removed
        assert (db.session.get(Case, case_id).contact_phone is None) is removed


def test_without_an_override_the_routing_file_sets_the_promise(app):
    page = app.test_client().get("/kontakt").get_data(as_text=True)
    with app.app_context():
        assert retention.periods().phone_days == app.extensions["helpcenter.routing"].phone_retention_days == 30
    assert "löschen sie 30 Tage nach Abschluss" in page


def test_the_privacy_page_states_the_configured_periods(make_app, shipped_index):
    from tests.conftest import SHIPPED_CONTENT
    app = make_app(SHIPPED_CONTENT, shipped_index, HELPCENTER_RETENTION_PHONE_DAYS=14,
                   HELPCENTER_RETENTION_SEARCH_LOG_DAYS=45, HELPCENTER_RETENTION_ATTACHMENT_DAYS=0)
    page = app.test_client().get("/datenschutz").get_data(as_text=True)
    assert "Wir löschen sie 14 Tage nach Abschluss Ihrer Anfrage." in page
    assert "Suchanfragen (ohne Bezug zu Ihrer Person): 45 Tage." in page
    assert "Anhänge und Fotos" not in page  # 0 = kept: no period is promised


@pytest.mark.parametrize(("env", "message"), [
    ({"HELPCENTER_RETENTION_PHONE_DAYS": "0"}, "HELPCENTER_RETENTION_PHONE_DAYS must be 1 or more days"),
    ({"HELPCENTER_RETENTION_PHONE_DAYS": "dreißig"}, "must be a whole number"),
    ({"HELPCENTER_RETENTION_SEARCH_LOG_DAYS": "-1"}, "HELPCENTER_RETENTION_SEARCH_LOG_DAYS must be 0 or more"),
    ({"HELPCENTER_RETENTION_CASE_DAYS": "1.5"}, "must be a whole number"),
])
def test_retention_settings_are_checked_at_start(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        config_from_env(tmp_path, env={"SECRET_KEY": "x", **env})


@pytest.mark.parametrize(("env", "expected"), [
    ({}, {"HELPCENTER_RETENTION_PHONE_DAYS": None, "HELPCENTER_RETENTION_SEARCH_LOG_DAYS": 90,
          "HELPCENTER_RETENTION_CASE_DAYS": 1095}),
    ({"HELPCENTER_RETENTION_PHONE_DAYS": "14", "HELPCENTER_RETENTION_CASE_DAYS": "0"},
     {"HELPCENTER_RETENTION_PHONE_DAYS": 14, "HELPCENTER_RETENTION_CASE_DAYS": 0}),
])
def test_retention_settings_from_the_environment(tmp_path, env, expected):
    config = config_from_env(tmp_path, env={"SECRET_KEY": "x", **env})
    assert {key: config[key] for key in expected} == expected


# --- export and erasure ----------------------------------------------------------------------------

KIM = "kim.berg@example.com"
JAN = "jan.ode@example.com"
PASSWORD = "richtig-gutes-passwort"


def _person(cid, email, first, last, street, postcode, phone):
    doc = customer(cid, email, first, last, postcode)
    doc["phone"] = phone
    doc["addresses"][0]["street"] = street
    return doc


def _order(number, cid, name, street, postcode, tracking):
    doc = order(number, cid=cid, status="delivered", postcode=postcode,
                shipments=[shipment(tracking, "delivered", [])])
    doc["shipping_address"].update(name=name, street=street)
    return doc


@pytest.fixture
def two_customers(app, make_user, instance):
    """Kim and Jan, each with account, order, case (chat, attachment, survey), return with photo, withdrawal."""
    with app.app_context():
        apply_import(document(
            [_person("K-1", KIM, "Kim", "Berg", "Lindenstraße 12", "20095", "+49 40 555 0101"),
             _person("K-2", JAN, "Jan", "Ode", "Birkenweg 7", "10115", "+49 30 777 0202")],
            [_order("500001", "K-1", "Kim Berg", "Lindenstraße 12", "20095", "00340434165000000001"),
             _order("500009", "K-2", "Jan Ode", "Birkenweg 7", "10115", "00340434165000000009")]))
    make_user(KIM, PASSWORD, customer_ref="K-1", name="Kim Berg")
    make_user(JAN, PASSWORD, customer_ref="K-2", name="Jan Ode")
    files = {}
    with app.app_context():
        for email, cid, number, secret, phone in ((KIM, "K-1", "500001", "Kims Geheimnis", "0170 1111111"),
                                                  (JAN, "K-2", "500009", "Jans Geheimnis", "0160 9999999")):
            user = db.session.scalar(select(User).where(User.email == email))
            the_order = db.session.scalar(select(Order).where(Order.number == number))
            user.notify_status_changes = True
            case = make_case(contact_email=email, contact_name=user.name, contact_phone=phone, user_id=user.id,
                             customer_id=user.customer_id, order_id=the_order.id, message=f"{secret} in der Nachricht",
                             trail=json.dumps([{"kind": "search", "query": f"{secret} Suche"}]),
                             survey_score=5, survey_comment=f"{secret} Umfrage", survey_answered_at=NOW)
            case.messages.append(CaseMessage(author="customer", channel="chat", body=f"{secret} im Chat"))
            case.events.append(CaseEvent(kind="note", note=f"{secret} Notiz"))
            attachment = attach(case, f"{secret}.png")  # bytes in the row
            _, photo = make_return(the_order, status="refunded", comment=f"{secret} Rücksendung", photo=True,
                                   legacy=True, user_id=user.id)  # bytes in a file from before revision 0020
            db.session.add(Withdrawal(number=f"W-{number}", order_number_given=number, order_id=the_order.id,
                                      user_id=user.id, matched=True, contact_name=user.name, contact_email=email,
                                      items="[]", reason=f"{secret} Widerruf",
                                      declaration_text=f"Ich widerrufe {number}",
                                      declaration_sha256="0" * 64))
            outbox(email, sent_at=NOW, body=f"{secret} in der E-Mail")
            files[email] = [("attachments", attachment), ("return_photos", photo)]
        # A guest who typed Jan's order number on a case of Kim's must not see Jan's order in Kim's export.
        make_case(contact_email=KIM, contact_name="Kim Berg", order_number_given="500009",
                  order_id=db.session.scalar(select(Order.id).where(Order.number == "500009")),
                  message="Kims zweite Frage")
        db.session.commit()
    return files


JAN_VALUES = ("Jan", "Ode", JAN, "Birkenweg", "10115", "+49 30 777 0202", "0160 9999999", "Jans Geheimnis",
              "K-2", "00340434165000000009", "W-500009")


def _export(app, email, tmp_path=None):
    runner = app.test_cli_runner()
    if tmp_path is None:
        result = runner.invoke(args=["privacy", "export", email])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)
    target = tmp_path / "export.json"
    result = runner.invoke(args=["privacy", "export", email, "--output", str(target)])
    assert result.exit_code == 0, result.output
    return json.loads(target.read_text(encoding="utf-8"))


def test_export_holds_everything_about_the_customer_and_nothing_about_another(app, two_customers, clock, tmp_path):
    data = _export(app, "Kim.Berg@Example.com")
    text = json.dumps(data, ensure_ascii=False)
    for value in JAN_VALUES:
        assert value not in text, value
    assert [a["email"] for a in data["accounts"]] == [KIM]
    assert data["accounts"][0]["notification_settings"] == {"status_changes_by_email": True}
    record = data["customer_records"][0]
    assert (record["customer_number"], record["phone"], record["addresses"][0]["street"]) == \
        ("K-1", "+49 40 555 0101", "Lindenstraße 12")
    assert [o["number"] for o in data["orders"]] == ["500001"]
    assert data["orders"][0]["shipments"][0]["tracking_number"] == "00340434165000000001"
    first, second = data["cases"]
    assert first["message"] == "Kims Geheimnis in der Nachricht" and first["contact"]["phone"] == "0170 1111111"
    assert first["chat"][0]["text"] == "Kims Geheimnis im Chat"
    assert first["history"][0]["note"] == "Kims Geheimnis Notiz"
    assert first["attachments"][0]["filename"] == "Kims Geheimnis.png"
    assert first["survey"]["comment"] == "Kims Geheimnis Umfrage"
    assert first["self_service_trail"] == [{"kind": "search", "query": "Kims Geheimnis Suche"}]
    # What Kim typed stays hers; nothing of the order it named (Jan's) comes along.
    assert first["order_number"] == "500001" and second["order_number"] == "500009"
    assert data["returns"][0]["items"][0]["comment"] == "Kims Geheimnis Rücksendung"
    assert data["returns"][0]["items"][0]["photos"][0]["content_type"] == "image/png"
    assert data["returns"][0]["refund_cents"] == 7995
    assert [w["number"] for w in data["withdrawals"]] == ["W-500001"]
    assert data["emails"][0]["text"] == "Kims Geheimnis in der E-Mail"
    assert data["exported_at"] == NOW.isoformat()

    assert _export(app, KIM, tmp_path) == data
    jan = json.dumps(_export(app, JAN), ensure_ascii=False)
    for value in ("Lindenstraße", "20095", "+49 40 555 0101", "0170 1111111", "Kims Geheimnis", KIM, "500001"):
        assert value not in jan, value


def test_export_of_an_unknown_address_is_empty(app, two_customers, clock):
    data = _export(app, "niemand@example.com")
    assert all(data[key] == [] for key in ("accounts", "customer_records", "orders", "cases", "returns",
                                           "withdrawals", "emails"))


def test_erase_anonymises_the_customer_keeps_what_the_law_requires_and_is_idempotent(app, two_customers, clock,
                                                                                   instance):
    client = app.test_client()
    assert login(client, KIM, PASSWORD).status_code == 302
    assert client.get("/konto").status_code == 200

    runner = app.test_cli_runner()
    refused = runner.invoke(args=["privacy", "erase", KIM], input="n\n")
    assert refused.exit_code == 1
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == KIM)) is not None

    result = runner.invoke(args=["privacy", "erase", KIM, "--yes"])
    assert result.exit_code == 0, result.output
    assert "erased: accounts=1 customer_records=1 addresses=1 orders=1 cases=2 chat_messages=1 attachments=1 " \
           "photos=1 returns=1 emails=1 kept_withdrawals=1" in result.output

    # Every upload of Kim's is gone, from the database and from disk; Jan's are untouched.
    with app.app_context():
        for folder, name in two_customers[KIM]:
            assert stored_bytes(instance, folder, name) is None and not (instance / folder / name).exists()
        for folder, name in two_customers[JAN]:
            assert stored_bytes(instance, folder, name) == PNG

    # No sign-in any more, and the old session is over.
    assert client.get("/konto").status_code == 302
    fresh = app.test_client()
    login(fresh, KIM, PASSWORD)
    assert fresh.get("/konto").status_code == 302

    with app.app_context():
        dump = _database_text()
        for value in ("Kims Geheimnis", KIM, "0170 1111111", "+49 40 555 0101", "Lindenstraße 12"):
            hits = [hit for hit in dump if value in hit]
            # Only the withdrawal declaration keeps name and address (proof under § 356a BGB).
            assert all(hit.startswith("withdrawal.") for hit in hits), (value, hits)
        kept = db.session.scalar(select(Withdrawal).where(Withdrawal.number == "W-500001"))
        assert (kept.contact_email, kept.reason) == (KIM, "Kims Geheimnis Widerruf")
        refund = db.session.scalar(select(ReturnRequest).join(Order).where(Order.number == "500001"))
        assert (refund.refund_cents, refund.status, refund.items[0].sku, refund.items[0].unit_price_cents) == \
            (7995, "refunded", "NL-1", 7995)
        assert refund.items[0].comment is None and refund.items[0].photos == []
        kim_order = db.session.scalar(select(Order).where(Order.number == "500001"))
        assert (kim_order.total_cents, kim_order.ship_name, kim_order.ship_street) == (8490, "", "")
        assert db.session.scalar(select(func.count()).select_from(Address)) == 1
        jan = db.session.scalar(select(Customer).where(Customer.email == JAN))
        assert (jan.first_name, jan.phone) == ("Jan", "+49 30 777 0202")

    again = runner.invoke(args=["privacy", "erase", KIM, "--yes"])
    assert again.exit_code == 0
    assert "Nothing left to erase. Kept by law: 1 withdrawal declaration(s)." in again.output
    assert _export(app, KIM)["cases"] == []
    assert "Jans Geheimnis in der Nachricht" in json.dumps(_export(app, JAN), ensure_ascii=False)


def test_erase_of_an_unknown_address_changes_nothing(app, two_customers):
    result = app.test_cli_runner().invoke(args=["privacy", "erase", "niemand@example.com", "--yes"])
    assert result.exit_code == 0 and "Nothing stored about this address." in result.output


def _database_text() -> list[str]:
    """Every text value in the database as 'table.column=value'."""
    hits = []
    for table in db.metadata.sorted_tables:
        text_columns = [c for c in table.columns if isinstance(c.type, (db.String, db.Text))]
        if not text_columns:
            continue
        for row in db.session.execute(select(*text_columns)):
            for column, value in zip(text_columns, row, strict=True):
                if value:
                    hits.append(f"{table.name}.{column.name}={value}")
    return hits
