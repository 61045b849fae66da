"""Agents read words, not codes: queues, priorities, topics, trail steps and outcomes, on the page and in JSON."""
from sqlalchemy import select

from app.cases.models import Case
from app.extensions import db
from tests.agent_helpers import clock, shop  # noqa: F401  (fixtures)
from tests.agent_helpers import agent_client, customer_client, email_case, open_case, post_json


def test_the_case_page_names_queue_priority_topic_and_trail_steps_in_words(shop):
    kim = customer_client(shop)
    kim.get("/sendungsverfolgung/500001")
    kim.get("/sendungsverfolgung/500002")
    earlier = open_case(kim, email_case("zahlung", message="Wurde meine Zahlung verbucht?"))
    number = open_case(kim, email_case("lieferung-verloren", message="Wo bleibt mein Paket eigentlich?",
                                       order_number="500002"))
    with shop.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        assert case.priority == "high"
    page = agent_client(shop).get(f"/agent/anfrage/{number}").get_data(as_text=True)
    status_line = page.split('data-case-status="')[1].split("</p>")[0]
    assert "Priorität: hoch" in status_line and "high" not in status_line
    trail = page.split("data-trail")[1].split("data-customer")[0]
    assert "Sendungsverfolgung: Sendungsstatus angesehen → zugestellt" in trail
    assert "→ verloren gemeldet" in trail and "→ delivered" not in trail and ": status" not in trail
    earlier_line = page.split(f'data-earlier="{earlier}"')[1].split("</li>")[0]
    assert "zahlung" not in earlier_line and "Zahlung" in earlier_line


def test_the_breadcrumb_shows_the_queue_name_not_its_slug(shop):
    number = open_case(customer_client(shop), email_case())
    page = agent_client(shop).get(f"/agent/anfrage/{number}").get_data(as_text=True)
    crumb = page.split('class="breadcrumb"')[1].split("</nav>")[0]
    assert ">E-Mail</a>" in crumb and ">email</a>" not in crumb


def test_agent_json_keeps_the_codes_and_adds_their_labels(shop):
    number = open_case(customer_client(shop), email_case())
    agent = agent_client(shop)
    claimed = post_json(agent, f"/api/agent/cases/{number}/claim").get_json()
    assert claimed["queue"] == "email" and claimed["queue_label"] == "E-Mail"
    assert claimed["channel"] == "email" and claimed["channel_label"] == "E-Mail"
    assert claimed["status"] == "open" and claimed["status_label"] == "In Bearbeitung"
    assert claimed["priority_label"] == "normal" and claimed["topic"] == "sonstiges"
    assert claimed["topic_label"] not in ("", "sonstiges") and claimed["outcome_label"] is None
    done = post_json(agent, f"/api/agent/cases/{number}/resolve", {"outcome": "solved"}).get_json()
    assert done["outcome"] == "solved" and done["outcome_label"] not in (None, "solved")
    listed = agent.get("/api/agent/cases?queue=email").get_json()
    assert all(c["queue_label"] == "E-Mail" for c in listed["cases"])


def test_agent_json_labels_follow_the_agents_language(shop):
    number = open_case(customer_client(shop), email_case())
    agent = agent_client(shop)
    agent.get("/agent?lang=en")  # the agent switches the console to English
    claimed = post_json(agent, f"/api/agent/cases/{number}/claim").get_json()
    assert claimed["status"] == "open" and claimed["status_label"] == "Processing"
    assert claimed["channel_label"] == "E-mail"
