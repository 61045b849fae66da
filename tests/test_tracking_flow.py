"""The tracking pages and API as customers, guests and strangers see them."""
import datetime as dt

from app.shop.cli import apply_import
from app.shop.fields import shop_today
from tests.conftest import csrf_token_from, login
from tests.shop_factory import customer, document, event, order, shipment

TODAY = shop_today()


def _setup(app, make_user):
    with app.app_context():
        apply_import(document(
            [customer(), customer("K-2", "jan.ode@example.com", "Jan", "Ode", "10115")],
            [order("300001", placed=TODAY - dt.timedelta(days=6), status="delivered",
                   shipments=[shipment("00340434160000000001", "delivered",
                                       [event(TODAY - dt.timedelta(days=3), "in_transit", "Im Paketzentrum"),
                                        event(TODAY - dt.timedelta(days=2), "delivered", "Zugestellt beim Nachbarn", location="Hamburg")])]),
             order("300002", placed=TODAY - dt.timedelta(days=12), status="delayed",
                   shipments=[shipment("00340434160000000002", "in_transit",
                                       [event(TODAY - dt.timedelta(days=5), "in_transit")],
                                       promised=(TODAY - dt.timedelta(days=5), TODAY - dt.timedelta(days=4)))]),
             order("300009", cid="K-2", postcode="10115", placed=TODAY - dt.timedelta(days=2), status="processing")],
        ))
    make_user(customer_ref="K-1")
    make_user(email="jan.ode@example.com", name="Jan Ode", customer_ref="K-2")


def test_signed_in_customer_picks_an_order_and_sees_its_status(app, client, make_user):
    _setup(app, make_user)
    login(client)
    start = client.get("/sendungsverfolgung").get_data(as_text=True)
    assert "Bestellung 300001" in start and "Bestellung 300002" in start and "300009" not in start
    page = client.get("/sendungsverfolgung/300001")
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "Zugestellt beim Nachbarn" in html and "Paket nicht erhalten?" in html
    assert "00340434160000000001" in html and "dhl.de" in html
    assert "Lindenstraße 12" in html  # the owner sees the delivery address


def test_another_customers_order_is_a_404_by_url_and_api(app, client, make_user):
    _setup(app, make_user)
    login(client)
    assert client.get("/sendungsverfolgung/300009").status_code == 404
    assert client.get("/sendungsverfolgung/999999").status_code == 404
    response = client.get("/api/orders/300009/tracking")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert b"300009" not in response.data
    assert client.get("/sendungsverfolgung/300009/nicht-erhalten").status_code == 404


def test_api_orders_and_tracking_contract(app, client, make_user):
    _setup(app, make_user)
    assert client.get("/api/orders").status_code == 401
    login(client)
    orders = client.get("/api/orders").get_json()["orders"]
    assert [o["number"] for o in orders] == ["300001", "300002"]
    body = client.get("/api/orders/300002/tracking").get_json()
    assert set(body) == {"order_number", "status", "expected_delivery", "shipments", "advice"}
    assert body["order_number"] == "300002" and body["status"] == "delayed"
    assert body["expected_delivery"] is None  # its window is over: no window that lies in the past
    shipment_json = body["shipments"][0]
    assert set(shipment_json) == {"carrier", "tracking_number", "tracking_url", "status", "events"}
    assert set(shipment_json["events"][0]) == {"time", "status", "location", "text"}
    assert shipment_json["events"][0]["time"].endswith(("+01:00", "+02:00"))
    assert set(body["advice"]) == {"state", "text", "next_step"}
    assert body["advice"]["state"] in ("delayed", "stuck", "overdue")


def test_guest_proves_an_order_with_number_and_postcode(app, client, make_user):
    _setup(app, make_user)
    token = csrf_token_from(client, "/sendungsverfolgung")
    wrong_number = client.post("/sendungsverfolgung", data={"order_number": "399999", "postcode": "20095", "csrf_token": token})
    wrong_postcode = client.post("/sendungsverfolgung", data={"order_number": "300001", "postcode": "20096", "csrf_token": token})
    message = "Zu dieser Bestellnummer und Postleitzahl haben wir keine Bestellung gefunden."
    assert message in wrong_number.get_data(as_text=True) and message in wrong_postcode.get_data(as_text=True)
    assert wrong_number.status_code == wrong_postcode.status_code
    assert client.get("/sendungsverfolgung/300001").status_code == 404
    right = client.post("/sendungsverfolgung", data={"order_number": " 300001 ", "postcode": "20 095", "csrf_token": token})
    assert right.status_code == 302 and right.headers["Location"].endswith("/sendungsverfolgung/300001")
    html = client.get("/sendungsverfolgung/300001").get_data(as_text=True)
    assert "Zugestellt beim Nachbarn" in html
    # A guest never sees the customer's address, e-mail or phone — and only the proven order.
    assert "Lindenstraße" not in html and "kim.berg@example.com" not in html and "555 0101" not in html
    assert client.get("/sendungsverfolgung/300002").status_code == 404


def test_guest_lookup_api_and_its_rate_limit(app, client, make_user):
    _setup(app, make_user)
    ok = client.post("/api/tracking/lookup", json={"order_number": "300001", "postcode": "20095"})
    assert ok.status_code == 200 and ok.get_json()["advice"]["state"] == "delivered"
    wrong = [client.post("/api/tracking/lookup", json={"order_number": "300001", "postcode": "99999"}) for _ in range(3)]
    wrong.append(client.post("/api/tracking/lookup", json={"order_number": "nope", "postcode": "20095"}))
    assert {r.status_code for r in wrong} == {404}
    assert len({r.get_json()["error"]["message"] for r in wrong}) == 1
    assert client.post("/api/tracking/lookup", json={"order_number": 300001, "postcode": None}).status_code == 400
    assert client.post("/api/tracking/lookup", data="x").status_code == 400
    statuses = [client.post("/api/tracking/lookup", json={"order_number": "300001", "postcode": "1"}).status_code
                for _ in range(10)]
    assert statuses[-1] == 429


def _a_day_the_report_is_open(monkeypatch, delivered_on):
    """The parcel was delivered two days ago; on a Sunday or after a holiday the help article still asks to
    wait. The page's clock moves to the first day the report is open, whatever day the suite runs on."""
    from app.tracking.not_received import report_timing

    day = TODAY
    while report_timing(delivered_on, day, "HH").state != "open":
        day += dt.timedelta(days=1)
    monkeypatch.setattr("app.tracking.views.shop_today", lambda: day)


def test_not_received_checklist_walks_through_every_step_to_contact(app, client, make_user, monkeypatch):
    _setup(app, make_user)
    _a_day_the_report_is_open(monkeypatch, TODAY - dt.timedelta(days=2))
    login(client)
    url = "/sendungsverfolgung/300001/nicht-erhalten"
    page = client.get(url).get_data(as_text=True)
    assert "Schritt 1 von 5: Zustellnachweis ansehen" in page and "Zugestellt beim Nachbarn" in page
    token = csrf_token_from(client, url)
    titles = []
    for step in range(1, 6):
        response = client.post(f"{url}?schritt={step}", data={"found": "nein", "csrf_token": token})
        assert response.status_code == 302
        target = response.headers["Location"]
        titles.append(client.get(target).get_data(as_text=True))
    assert "Schritt 2 von 5: Bei den Nachbarn fragen" in titles[0]
    assert "Schritt 3 von 5: Packstation, Filiale oder Paketshop prüfen" in titles[1]
    assert "Schritt 4 von 5: Briefkasten und Ablageort ansehen" in titles[2]
    assert "Schritt 5 von 5: Im Haushalt fragen" in titles[3]
    assert 'href="/kontakt?order=300001&amp;topic=lieferung-nicht-erhalten"' in titles[4]
    with client.session_transaction() as session:
        steps = [(e["flow"], e["step"], e.get("outcome")) for e in session["trail"] if e["kind"] == "flow"]
    assert ("not_received", "neighbour", "not_found") in steps and ("not_received", "report", "contact") in steps


def test_found_in_the_checklist_ends_solved(app, client, make_user, monkeypatch):
    _setup(app, make_user)
    _a_day_the_report_is_open(monkeypatch, TODAY - dt.timedelta(days=2))
    login(client)
    url = "/sendungsverfolgung/300001/nicht-erhalten"
    token = csrf_token_from(client, url)
    page = client.post(f"{url}?schritt=2", data={"found": "ja", "csrf_token": token}).get_data(as_text=True)
    assert "Wie schön, dass Ihr Paket da ist!" in page
    # The checklist belongs to delivered orders only.
    assert client.get("/sendungsverfolgung/300002/nicht-erhalten").status_code == 302


def test_banner_on_home_for_a_late_order(app, client, make_user):
    _setup(app, make_user)
    assert "ist später dran" not in client.get("/").get_data(as_text=True)
    login(client)
    html = client.get("/").get_data(as_text=True)
    assert "Ihre Bestellung 300002 ist später dran als angekündigt." in html
    assert 'href="/sendungsverfolgung/300002"' in html


def test_agents_may_open_any_order_customers_not_staff_pages(app, client, make_user):
    _setup(app, make_user)
    make_user(email="agent@example.com", role="agent", name="Agent")
    login(client, "agent@example.com")
    assert client.get("/sendungsverfolgung/300009").status_code == 200
