"""Agent presence drives the chat; customers wait with a position, an agent accepts, messages flow both ways
in order and the transcript stays on the case."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.cases.models import AgentPresence, Case, CaseMessage
from app.extensions import db
from tests.agent_helpers import (OTHER_AGENT, agent_client, clock, customer_client, open_case,  # noqa: F401
                                 post_json, shop)
from tests.conftest import csrf_token_from

CHAT = {"topic": "sonstiges", "message": "Kurze Frage zum Versand bitte.", "channel": "chat"}


def chat_available(client) -> bool:
    return client.get("/api/contact/availability").get_json()["chat"]["available"]


@pytest.fixture
def online(shop):
    """The demo agent online in the console, and Kim signed in: (agent client, Kim's client)."""
    agent = agent_client(shop)
    post_json(agent, "/api/agent/presence", {"status": "online"})
    return agent, customer_client(shop)


def poll(client, number, after=0):
    response = client.get(f"/kontakt/anfrage/{number}/chat?after={after}")
    assert response.status_code == 200
    return response.get_json()


def test_presence_set_in_the_console_drives_chat_availability(shop, clock):
    visitor = shop.test_client()
    agent = agent_client(shop)
    assert not chat_available(visitor)
    assert post_json(agent, "/api/agent/presence", {"status": "online"}).get_json() == {"status": "online"}
    assert chat_available(visitor)
    assert "Ihr Status: online" in agent.get("/agent").get_data(as_text=True)
    number = open_case(customer_client(shop), CHAT)
    # Every agent page keeps reporting while it is open, not only the console.
    assert 'data-agent-presence="online"' in agent.get(f"/agent/anfrage/{number}").get_data(as_text=True)
    assert 'data-agent-presence="online"' in agent.get("/agent/warteschlange/chat").get_data(as_text=True)
    clock.advance(minutes=3)  # the console stopped reporting: the agent counts as away
    assert not chat_available(visitor)
    assert "Ihr Status: abwesend" in agent.get("/agent").get_data(as_text=True)
    post_json(agent, "/api/agent/presence", {"status": "online"})
    assert chat_available(visitor)
    token = csrf_token_from(agent, "/agent")
    assert agent.post("/agent/anwesenheit", data={"csrf_token": token, "status": "away"}).status_code == 302
    assert not chat_available(visitor)
    assert post_json(agent, "/api/agent/presence", {"status": "busy"}).status_code == 422
    assert agent.post("/api/agent/presence", json={"status": "online"}).status_code == 400  # CSRF
    assert post_json(customer_client(shop), "/api/agent/presence", {"status": "online"}).status_code == 403
    with shop.app_context():
        assert db.session.scalar(select(AgentPresence.status)) == "away"
    clock.moment = dt.datetime(2026, 11, 16, 21, 0, tzinfo=clock.moment.tzinfo)  # after service hours
    post_json(agent, "/api/agent/presence", {"status": "online"})
    assert not chat_available(visitor)


def test_chat_waiting_line_accept_messages_and_transcript(shop, clock, online):
    agent, kim = online
    first = open_case(kim, CHAT)
    jan = customer_client(shop, "jan.ode@example.com")
    clock.advance(seconds=20)
    second = open_case(jan, dict(CHAT, message="Ich warte auch auf den Chat."))
    assert poll(kim, first)["position"] == 1 and poll(jan, second)["position"] == 2
    page = kim.get(f"/kontakt/anfrage/{first}").get_data(as_text=True)
    assert "Sie sind an Position 1 in der Warteschlange." in page and 'data-chat-url="/kontakt/anfrage/' in page
    console = agent.get("/agent").get_data(as_text=True).split("data-chats")[1]
    assert console.index(first) < console.index(second)

    assert post_json(kim, f"/kontakt/anfrage/{first}/chat", {"body": "Hallo, ist da jemand?"}).status_code == 201
    clock.advance(seconds=10)
    accepted = post_json(agent, f"/api/agent/cases/{first}/claim")
    assert accepted.status_code == 200
    assert post_json(agent_client(shop, OTHER_AGENT), f"/api/agent/cases/{first}/chat", {"body": "Ich auch"}).status_code == 409
    state = poll(kim, first)
    assert state["position"] is None and state["agent"] == "Jonas Weber" and poll(jan, second)["position"] == 1
    clock.advance(seconds=5)
    assert post_json(agent, f"/api/agent/cases/{first}/chat", {"body": "Guten Tag, wie kann ich helfen?"}).status_code == 201
    clock.advance(seconds=5)
    post_json(kim, f"/kontakt/anfrage/{first}/chat", {"body": "Wann kommt <b>mein</b> Paket?"})
    clock.advance(seconds=5)
    post_json(agent, f"/api/agent/cases/{first}/chat", {"body": "Morgen."})

    state = poll(kim, first)
    assert [(m["sender"], m["mine"], m["body"]) for m in state["messages"]] == [
        ("customer", True, "Hallo, ist da jemand?"), ("agent", False, "Guten Tag, wie kann ich helfen?"),
        ("customer", True, "Wann kommt <b>mein</b> Paket?"), ("agent", False, "Morgen.")]
    second_id = state["messages"][1]["id"]
    assert [m["body"] for m in poll(kim, first, after=second_id)["messages"]] == ["Wann kommt <b>mein</b> Paket?",
                                                                                  "Morgen."]
    agent_view = agent.get(f"/api/agent/cases/{first}/chat?after={second_id}").get_json()
    assert [m["mine"] for m in agent_view["messages"]] == [False, True]
    page = agent.get(f"/agent/anfrage/{first}").get_data(as_text=True)
    assert "Wann kommt &lt;b&gt;mein&lt;/b&gt; Paket?" in page and "<b>mein</b>" not in page
    with shop.app_context():
        case = db.session.scalar(select(Case).where(Case.number == first))
        assert case.first_response_at == dt.datetime(2026, 11, 16, 9, 0, 35)
        assert [m.sender for m in case.chat_messages] == ["customer", "agent", "customer", "agent"]

    post_json(agent, f"/api/agent/cases/{first}/resolve", {"outcome": "information"})
    state = poll(kim, first)
    assert state["closed"] is True and state["status"] == "resolved"
    ended = post_json(kim, f"/kontakt/anfrage/{first}/chat", {"body": "Noch was"})
    assert ended.status_code == 409
    with shop.app_context():
        # The transcript is kept, nothing added after the end.
        assert db.session.query(CaseMessage).filter_by(channel="chat").count() == 4


def test_chat_is_private_csrf_protected_and_checks_input(shop, clock, online):
    agent, kim = online
    number = open_case(kim, CHAT)
    jan = customer_client(shop, "jan.ode@example.com")
    assert jan.get(f"/kontakt/anfrage/{number}/chat").status_code == 404
    assert post_json(jan, f"/kontakt/anfrage/{number}/chat", {"body": "Hallo"}).status_code == 404
    assert shop.test_client().get(f"/kontakt/anfrage/{number}/chat").status_code == 404
    assert kim.post(f"/kontakt/anfrage/{number}/chat", json={"body": "ohne Token"}).status_code == 400
    for bad in ({"body": ""}, {"body": "   "}, {"body": 5}, {"body": "x" * 2001}, {}):
        assert post_json(kim, f"/kontakt/anfrage/{number}/chat", bad).status_code == 422, bad
    # Control characters are refused at the door (one error shape), not silently dropped.
    refused = post_json(kim, f"/kontakt/anfrage/{number}/chat", {"body": "Karte 4111 1111 1111 1111\x07 bitte"})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "bad_characters"
    assert poll(kim, number)["messages"] == []
    post_json(kim, f"/kontakt/anfrage/{number}/chat", {"body": "Karte 4111 1111 1111 1111 bitte"})
    assert poll(kim, number)["messages"][0]["body"] == "Karte 411111******1111 bitte"
    email = open_case(kim, {"topic": "sonstiges", "message": "Bitte per E-Mail antworten.", "channel": "email"})
    assert kim.get(f"/kontakt/anfrage/{email}/chat").status_code == 404
    assert post_json(agent, f"/api/agent/cases/{email}/chat", {"body": "Hallo"}).status_code == 409


def test_chat_works_without_javascript(shop, clock, online):
    agent, kim = online
    number = open_case(kim, CHAT)
    token = csrf_token_from(kim, f"/kontakt/anfrage/{number}")
    sent = kim.post(f"/kontakt/anfrage/{number}/chat", data={"csrf_token": token, "body": "Per Formular"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/kontakt/anfrage/{number}#chat")
    token = csrf_token_from(agent, f"/agent/anfrage/{number}")
    assert agent.post(f"/agent/anfrage/{number}/chat", data={"csrf_token": token, "body": "Antwort per Formular"}
                      ).status_code == 302
    page = kim.get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    assert "Per Formular" in page and "Antwort per Formular" in page and "Jonas Weber ist für Sie da." in page
