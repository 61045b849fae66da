"""A complaint about an article already in an open refund return: the agent sees it on the case and on the
return, the customer is told the return exists."""
import re

from sqlalchemy import select

from app.extensions import db
from app.returns.models import ReturnItem, ReturnRequest
from app.shop.models import Order
from tests.agent_helpers import agent_client, customer_client, email_case, open_case, shop  # noqa: F401
from tests.agent_helpers import clock  # noqa: F401


def _refund_return(app, status="registered", resolution="refund", number="R-2026-000001"):
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == "500001"))
        jacket = next(i for i in order.items if i.sku == "NL-1")
        db.session.add(ReturnRequest(number=number, order_id=order.id, customer_id=order.customer_id, status=status,
                                     resolution=resolution, carrier="dhl",
                                     items=[ReturnItem(order_item_id=jacket.id, sku="NL-1", name="Steppjacke",
                                                       category="Damenmode", quantity=1, unit_price_cents=7995,
                                                       reason="gefaellt-nicht")]))
        db.session.commit()


def _complaint(app, skus=("NL-1",), topic="reklamation"):
    kim = customer_client(app)
    number = open_case(kim, email_case(topic, order_number="500001", skus=list(skus), desired_outcome="ersatz",
                                       message="Der Reißverschluss ist nach zwei Tagen kaputt."))
    return kim, number


def test_a_complaint_about_an_item_in_an_open_refund_return_is_flagged_on_both_sides(shop):  # noqa: F811
    _refund_return(shop)
    kim, number = _complaint(shop)

    ack = kim.get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    assert ("Für Steppjacke haben Sie bereits die Rücksendung R-2026-000001 angemeldet. Wir prüfen Ihre Reklamation "
            "zusammen mit dieser Rücksendung") in ack
    assert 'href="/retouren/R-2026-000001">Rücksendung R-2026-000001 ansehen</a>' in ack

    agent = agent_client(shop)
    page = agent.get(f"/agent/anfrage/{number}").get_data(as_text=True)
    assert ("Achtung: Für Steppjacke läuft schon die Rücksendung R-2026-000001 mit Erstattung (Angemeldet). "
            "Bitte nicht doppelt erstatten") in page
    # The return, where the agent sees it in the customer's history, names the open complaint.
    assert f'<strong data-return-complaint="{number}">Reklamation {number} zu diesem Artikel offen</strong>' in page


def test_no_flag_for_other_items_other_topics_exchanges_or_finished_returns(shop):  # noqa: F811
    _refund_return(shop, status="refunded")
    _refund_return(shop, resolution="exchange", number="R-2026-000002")
    _refund_return(shop, status="cancelled", number="R-2026-000003")
    kim, number = _complaint(shop)
    assert "bereits die Rücksendung" not in kim.get(f"/kontakt/anfrage/{number}").get_data(as_text=True)
    _refund_return(shop, number="R-2026-000004")
    _, socks = _complaint(shop, skus=("NL-3",))
    _, question = _complaint(shop, topic="sonstiges")
    agent = agent_client(shop)
    for case_number in (socks, question):
        page = agent.get(f"/agent/anfrage/{case_number}").get_data(as_text=True)
        assert "läuft schon die Rücksendung" not in page
        # The open refund return is flagged with the jacket's complaint only, never with these two.
        assert set(re.findall(r'data-return-complaint="([^"]+)"', page)) == {number}
