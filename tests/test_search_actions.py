"""Shortcuts from a search into the flows, on /suche and in /api/search, for guests, owners and other customers —
and the way on into the contact form with the query carried in."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.shop.cli import apply_import
from app.shop.fields import shop_today
from tests.conftest import csrf_token_from, login, without_csrf_token
from tests.shop_factory import customer, document, event, order, shipment

TODAY = shop_today()


def _shop(app, make_user):
    """Kim (K-1) owns 300001; Jan (K-2) owns 300009."""
    with app.app_context():
        apply_import(document(
            [customer(), customer("K-2", "jan.ode@example.com", "Jan", "Ode", "10115")],
            [order("300001", placed=TODAY - dt.timedelta(days=6), status="delivered",
                   shipments=[shipment("00340434160000000001", "delivered",
                                       [event(TODAY - dt.timedelta(days=2), "delivered", "Zugestellt")])]),
             order("300009", cid="K-2", postcode="10115", placed=TODAY - dt.timedelta(days=2), status="processing")],
        ))
    make_user(customer_ref="K-1")
    make_user(email="jan.ode@example.com", name="Jan Ode", customer_ref="K-2")


def _actions(client, query: str, lang: str = "de") -> list[dict]:
    body = client.get("/api/search", query_string={"q": query, "lang": lang, "log": 0}).get_json()
    return body["actions"]


def _page_actions(client, query: str) -> list[tuple[str, str, str]]:
    html = client.get("/suche", query_string={"q": query}).get_data(as_text=True)
    return [(kind, url.replace("&amp;", "&"), label)
            for kind, url, label in re.findall(r'data-action="([a-z]+)" href="([^"]*)">([^<]*)</a>', html)]


def test_a_guest_typing_an_order_number_gets_the_tracking_entry_with_the_number(app, client, make_user):
    _shop(app, make_user)
    assert _actions(client, "300001") == [
        {"kind": "tracking", "label": "Bestellung 300001 verfolgen", "url": "/sendungsverfolgung?order=300001"}]
    assert _page_actions(client, "wo ist 300001") == [
        ("tracking", "/sendungsverfolgung?order=300001", "Bestellung 300001 verfolgen")]
    page = client.get("/sendungsverfolgung?order=300001").get_data(as_text=True)
    assert 'name="order_number" required type="text" value="300001"' in page
    assert "Zugestellt" not in page  # the number alone shows nothing of the order


def test_the_owner_goes_straight_to_the_orders_page(app, client, make_user):
    _shop(app, make_user)
    login(client)
    assert _actions(client, "wo ist meine Bestellung 300001")[0]["url"] == "/sendungsverfolgung/300001"
    assert _page_actions(client, "300001")[0][1] == "/sendungsverfolgung/300001"
    # The entry page with the owner's number opens the order too.
    response = client.get("/sendungsverfolgung?order=300001")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sendungsverfolgung/300001")


def test_another_customers_number_looks_like_any_unknown_number(app, client, make_user):
    _shop(app, make_user)
    login(client)
    theirs, unknown = _actions(client, "300009"), _actions(client, "399999")
    assert theirs == [{"kind": "tracking", "label": "Bestellung 300009 verfolgen",
                       "url": "/sendungsverfolgung?order=300009"}]
    assert unknown == [{"kind": "tracking", "label": "Bestellung 399999 verfolgen",
                        "url": "/sendungsverfolgung?order=399999"}]
    other = client.get("/sendungsverfolgung?order=300009")
    missing = client.get("/sendungsverfolgung?order=399999")
    assert other.status_code == missing.status_code == 200
    assert "Jan" not in other.get_data(as_text=True) and "10115" not in other.get_data(as_text=True)
    assert (without_csrf_token(other.get_data(as_text=True)).replace("300009", "N")
            == without_csrf_token(missing.get_data(as_text=True)).replace("399999", "N"))


def test_a_guest_who_proved_the_order_goes_straight_to_it(app, client, make_user):
    _shop(app, make_user)
    token = csrf_token_from(client, "/sendungsverfolgung")
    client.post("/sendungsverfolgung", data={"order_number": "300001", "postcode": "20095", "csrf_token": token})
    assert _actions(client, "300001")[0]["url"] == "/sendungsverfolgung/300001"
    assert _actions(client, "300009")[0]["url"] == "/sendungsverfolgung?order=300009"


def test_the_other_flows_carry_the_number_into_their_entry_pages(app, client, make_user):
    _shop(app, make_user)
    assert _actions(client, "300001 zurückschicken") == [
        {"kind": "return", "label": "Rücksendung für Bestellung 300001 starten", "url": "/retouren?order=300001"}]
    assert _actions(client, "Widerruf 300001") == [
        {"kind": "withdrawal", "label": "Bestellung 300001 widerrufen", "url": "/widerruf?order=300001"}]
    address = _actions(client, "Lieferadresse ändern 300001")
    assert [a["kind"] for a in address] == ["address"]
    assert address[0]["url"].startswith("/kontakt?topic=bestellung-aendern&order=300001&frage=")
    contact = _actions(client, "Rückruf")
    assert contact == [{"kind": "contact", "label": "Rückruf vereinbaren",
                        "url": "/kontakt?kanal=phone&frage=R%C3%BCckruf"}]
    refund = _actions(client, "wo bleibt mein Geld")
    assert refund == [{"kind": "refund", "label": "Nach Ihrer Erstattung fragen",
                       "url": "/kontakt?topic=erstattung&frage=wo+bleibt+mein+Geld"}]


def test_a_signed_in_customer_sees_the_state_of_their_refund(app, client, make_user):
    from app.returns.models import ReturnRequest
    from app.shop.models import Customer, Order

    _shop(app, make_user)
    login(client)
    assert _actions(client, "wo bleibt meine Erstattung")[0]["url"].startswith("/kontakt?topic=erstattung")
    with app.app_context():
        kim = db.session.scalar(sa.select(Customer).where(Customer.external_id == "K-1"))
        placed = db.session.scalar(sa.select(Order).where(Order.number == "300001"))
        db.session.add(ReturnRequest(number="R-300001-1", order_id=placed.id, customer_id=kim.id, resolution="refund",
                                     status="received"))
        db.session.commit()
    refund = _actions(client, "wo bleibt meine Erstattung")
    assert refund == [{"kind": "refund", "label": "Stand Ihrer Erstattung ansehen", "url": "/retouren#returns-title"}]
    assert _actions(client, "Erstattung für 300001 fehlt noch")[0]["url"] == "/retouren/R-300001-1"
    # Someone else asking about that order's refund is sent to the contact form, not to Kim's return.
    client.post("/abmelden", data={"csrf_token": csrf_token_from(client, "/")})
    login(client, "jan.ode@example.com")
    assert _actions(client, "Erstattung für 300001 fehlt noch")[0]["url"].startswith("/kontakt?topic=erstattung")


def test_actions_come_before_the_articles_and_questions_get_none(app, client):
    html = client.get("/suche?q=Rücksendung starten").get_data(as_text=True)
    assert html.index('data-action="return"') < html.index('class="results"')
    assert "Direkt erledigen" in html
    for question in ("was kostet die Rücksendung", "Rückgabefrist"):
        page = client.get("/suche", query_string={"q": question}).get_data(as_text=True)
        assert "data-action=" not in page and "Direkt erledigen" not in page
        assert client.get("/api/search", query_string={"q": question}).get_json()["actions"] == []


def test_english_shortcuts(app, client, make_user):
    _shop(app, make_user)
    client.get("/?lang=en")
    tracking = _actions(client, "where is order 300001", lang="en")
    assert tracking[0]["kind"] == "tracking" and tracking[0]["url"] == "/sendungsverfolgung?order=300001"
    assert [a["kind"] for a in _actions(client, "i want to return my shoes", lang="en")] == ["return"]
    assert _actions(client, "return policy", lang="en") == []
    html = client.get("/suche?q=withdraw+from+contract").get_data(as_text=True)
    assert 'data-action="withdrawal" href="/widerruf">Withdraw from contract</a>' in html
    assert 'data-action="tracking" href="/sendungsverfolgung">Track order</a>' in \
        client.get("/suche?q=track+my+order").get_data(as_text=True)


@pytest.mark.parametrize("query", ["Drachenfutter", "Rücksendung", "wo ist mein Paket 300001", "a&b=c?#d"])
def test_every_results_page_ends_with_the_way_on_carrying_the_query(client, query):
    html = client.get("/suche", query_string={"q": query}).get_data(as_text=True)
    assert "Nicht gefunden, was Sie suchen?" in html and "Kontakt aufnehmen" in html
    link = re.search(r'<a class="button" href="(/kontakt\?frage=[^"]*)">Kontakt aufnehmen</a>', html).group(1)
    form = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    message = re.search(r'<textarea[^>]*name="message"[^>]*>\s*([^<]*)</textarea>', form).group(1)
    assert message.replace("&amp;", "&").replace("&#34;", '"') == query
    # The way on comes after the articles.
    assert html.rindex("Kontakt aufnehmen") > html.rfind('<li class="result">')


def test_the_way_on_is_on_every_page(make_app):
    client = make_app().test_client()
    for page in ("/suche?q=Paket", "/suche?q=Paket&seite=2", "/suche?q=Paket&seite=9"):
        assert "Kontakt aufnehmen" in client.get(page).get_data(as_text=True)


@pytest.mark.parametrize("value", ["x" * 201, "erste\tzweite", "<script>alert(1)</script>"])
def test_the_contact_form_takes_only_a_clean_query(client, value):
    response = client.get("/kontakt", query_string={"frage": value})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "x" * 201 not in html and "erste\tzweite" not in html


def test_the_contact_form_preselects_the_channel_named_in_the_search(client):
    html = client.get("/kontakt?kanal=phone&frage=R%C3%BCckruf").get_data(as_text=True)
    assert 'id="channel-phone" checked' in html
    assert 'checked' not in re.search(r'<input[^>]*id="channel-email"[^>]*>', html).group(0)
    assert client.get("/kontakt?kanal=fax").status_code == 200


def test_a_card_number_in_the_search_does_not_travel_into_the_contact_form(client):
    html = client.get("/suche", query_string={"q": "Kontakt Karte 4111 1111 1111 1111"}).get_data(as_text=True)
    links = re.findall(r'href="(/kontakt\?[^"]*frage=[^"]*)"', html)
    assert len(links) == 2  # the shortcut and the way on
    assert all("4111+1111+1111+1111" not in link and "411111" in link for link in links)
