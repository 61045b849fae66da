"""Staff actions land in the audit trail with the right actor and object, in the transaction of the change,
and without the text that was written (messages, notes) in the trail."""
from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from tests.agent_helpers import (AGENT, OTHER_AGENT, agent_client, clock, customer_client, email_case,  # noqa: F401
                                 open_case, post_json, shop)
from tests.conftest import csrf_token_from

CHAT = {"topic": "sonstiges", "message": "Kurze Frage zum Versand bitte.", "channel": "chat"}


def form_post(client, number, action, **data):
    token = csrf_token_from(client, f"/agent/anfrage/{number}")
    return client.post(f"/agent/anfrage/{number}/{action}", data={"csrf_token": token, **data})


def trail(app):
    with app.app_context():
        return [(e.actor_label, e.action, e.object_type, e.object_ref, e.detail)
                for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_case_actions_are_in_the_trail_with_the_agent_and_without_the_text(shop, clock):
    # A guest with a postcode that does not match: the agent has to verify who wrote.
    number = open_case(shop.test_client(), email_case(name="Kim Berg", email="k.berg@example.org",
                                                      order_number="500001", postcode="99999"))
    agent = agent_client(shop)
    other = agent_client(shop, OTHER_AGENT)
    assert form_post(agent, number, "uebernehmen").status_code == 302
    assert form_post(agent, number, "notiz", note="Geheime interne Notiz").status_code == 302
    assert form_post(agent, number, "antwort", subject="", body="Hallo Kim, Ihre Antwort.").status_code == 302
    assert form_post(agent, number, "verifizieren", note="Rückruf auf Bestellnummer").status_code == 302
    assert form_post(agent, number, "erledigen", outcome="information").status_code == 302
    assert form_post(other, number, "wieder-oeffnen", note="Kundin hat nachgefragt").status_code == 302
    assert trail(shop) == [
        (AGENT[0], "case.claim", "case", number, ""),
        (AGENT[0], "case.note", "case", number, ""),
        (AGENT[0], "case.reply", "case", number, ""),
        (AGENT[0], "case.verify", "case", number, ""),
        (AGENT[0], "case.resolve", "case", number, "outcome: information"),
        (OTHER_AGENT[0], "case.reopen", "case", number, "status: resolved → open"),
    ]
    with shop.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
        assert event.actor.email == AGENT[0]
        # The trail's time is the action's time (the clock the case uses).
        assert event.created_at.isoformat().startswith("2026-11-16T09:0")


def test_a_refused_action_leaves_no_trail(shop, clock):
    number = open_case(customer_client(shop), email_case())
    agent = agent_client(shop)
    form_post(agent, number, "erledigen", outcome="solved")
    before = trail(shop)
    form_post(agent, number, "antwort", body="Zu spät, schon erledigt.")  # refused: the case is resolved
    assert trail(shop) == before


def test_chat_answers_and_the_api_are_in_the_trail(shop, clock):
    agent = agent_client(shop)
    post_json(agent, "/api/agent/presence", {"status": "online"})
    number = open_case(customer_client(shop), CHAT)
    assert post_json(agent, f"/api/agent/cases/{number}/claim").status_code == 200
    assert post_json(agent, f"/api/agent/cases/{number}/chat", {"body": "Guten Tag, wie kann ich helfen?"}
                     ).status_code == 201
    assert post_json(agent, f"/api/agent/cases/{number}/resolve", {"outcome": "solved"}).status_code == 200
    rows = trail(shop)
    assert [(label, action, ref) for label, action, _type, ref, _detail in rows] == [
        (AGENT[0], "case.claim", number), (AGENT[0], "case.chat_reply", number), (AGENT[0], "case.resolve", number)]
    assert all("helfen" not in detail for *_, detail in rows)


def test_privacy_export_and_erase_are_in_the_trail_without_the_address(shop, clock, tmp_path):
    open_case(customer_client(shop), email_case())
    runner = shop.test_cli_runner()
    assert runner.invoke(args=["privacy", "export", "kim.berg@example.com", "-o", str(tmp_path / "kim.json")]
                         ).exit_code == 0
    assert runner.invoke(args=["accounts", "sign-out", "kim.berg@example.com"]).exit_code == 0
    assert runner.invoke(args=["privacy", "erase", "kim.berg@example.com", "--yes"]).exit_code == 0
    rows = trail(shop)
    assert [(label, action, kind, ref) for label, action, kind, ref, _ in rows] == [
        ("cli", "customer.export", "customer", "K-1"),
        ("cli", "account.sign_out", "account", "[gelöscht]"),  # the erasure reaches the trail too
        ("cli", "customer.erase", "customer", "K-1"),
    ]
    assert rows[0][4] == "cases=1 returns=0 orders=2"
    assert rows[2][4].startswith("accounts=1 customer_records=1")
    assert not any("kim" in str(cell).lower() for row in rows for cell in row)


def test_every_recorded_action_has_a_name_on_the_admin_pages():
    """The trail shows "Passwort gewählt", never a bare code, for every action the code records."""
    import re
    from pathlib import Path

    from app.admin.vocabulary import ACTION_LABELS

    root = Path(__file__).resolve().parent.parent / "app"
    recorded = set()
    for path in root.rglob("*.py"):
        recorded |= set(re.findall(r'record\(\s*"((?:account|case|return|article|withdrawal|order|customer)\.[a-z_]+)"',
                                   path.read_text(encoding="utf-8")))
    recorded |= set(re.findall(r'"((?:case)\.[a-z_]+)"', (root / "agent" / "actions.py").read_text(encoding="utf-8")))
    assert recorded and recorded <= set(ACTION_LABELS), recorded - set(ACTION_LABELS)
