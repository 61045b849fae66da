"""Returns in the agent console: the queue, one return with items, reasons and photos, and each step by form."""
import io
import re

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.returns.models import ProductVariant, ReturnRequest
from tests.conftest import login
from tests.test_returns import _form, _photo, jacket, post_return, shop  # noqa: F401  (fixture)


def _agent(shop):
    agent = shop.test_client()
    login(agent, "agent@example.com")
    return agent


def _start(client, **extra):
    login(client)
    return post_return(client, jacket(**extra)).get_json()["return_number"]


def _step(agent, number, status, note="", seen=None):
    page = agent.get(f"/agent/retouren/{number}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    if seen is None:
        seen = re.search(r'name="seen_status" type="hidden" value="([^"]*)"', page).group(1)
    return agent.post(f"/agent/retouren/{number}/status", follow_redirects=True,
                      data={"csrf_token": token, "status": status, "note": note, "seen_status": seen})


def _mail(shop, number, status):
    with shop.app_context():
        return db.session.scalar(select(OutboxMessage)
                                 .where(OutboxMessage.dedupe_key == f"return-status:{number}:{status}"))


def test_the_agent_works_a_return_from_received_to_refunded_and_the_customer_hears_each_step(shop, client):
    number = _start(client)
    agent = _agent(shop)
    listing = agent.get("/agent/retouren").get_data(as_text=True)
    assert f'href="/agent/retouren/{number}"' in listing and "Angemeldet" in listing and "Steppjacke Hamburg" in listing
    page = agent.get(f"/agent/retouren/{number}").get_data(as_text=True)
    assert "Zu groß" in page and "Geld zurück auf das ursprüngliche Zahlungsmittel" in page and "zu-gross" not in page
    assert "Als „Eingegangen“ markieren" in page and "Als „Erstattet“ markieren" not in page
    done = _step(agent, number, "received")
    assert "Rücksendung %s: Eingegangen" % number in done.get_data(as_text=True)
    assert _step(agent, number, "inspected", note="Etikett dran, ungetragen").status_code == 200
    refunded = _step(agent, number, "refunded").get_data(as_text=True)
    assert 'data-return-status="refunded">Erstattet' in refunded and "Etikett dran, ungetragen" in refunded
    assert "Kundenservice" in refunded and "Als „" not in refunded  # a closed return offers no step
    assert "bei uns eingegangen" in _mail(shop, number, "received").body
    assert "geprüft" in _mail(shop, number, "inspected").body
    assert "79,95\xa0€" in _mail(shop, number, "refunded").body
    with shop.app_context():
        trail = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "return.status",
                                                            AuditEvent.object_ref == number)).all()
        assert len(trail) == 3 and all(e.actor_id for e in trail)


def test_refusing_needs_a_reason_that_the_customer_reads_and_an_exchange_frees_its_stock(shop, client):
    number = _start(client, resolution="exchange", exchange_for="NL-JKT-L-NAVY")
    agent = _agent(shop)
    assert "Rücksendung ablehnen" not in agent.get(f"/agent/retouren/{number}").get_data(as_text=True)
    _step(agent, number, "received")
    missing = _step(agent, number, "refused", note=" ")
    assert missing.status_code == 422
    assert "Bitte geben Sie an, warum die Rücksendung abgelehnt wird." in missing.get_data(as_text=True)
    refused = _step(agent, number, "refused", note="Die Jacke wurde getragen und ist verschmutzt.")
    assert 'data-return-status="refused">Abgelehnt' in refused.get_data(as_text=True)
    mail = _mail(shop, number, "refused")
    assert "Abgelehnt" in mail.subject and "Die Jacke wurde getragen und ist verschmutzt." in mail.body
    assert "/kontakt" in mail.body
    with shop.app_context():
        assert db.session.scalar(select(ProductVariant.stock).where(ProductVariant.sku == "NL-JKT-L-NAVY")) == 1
    customer_page = client.get(f"/retouren/{number}").get_data(as_text=True)
    assert "Abgelehnt" in customer_page


def test_a_step_on_a_return_a_colleague_moved_meanwhile_is_refused_with_what_happened(shop, client):
    number = _start(client)
    agent = _agent(shop)
    _step(agent, number, "received")
    late = _step(agent, number, "received", seen="registered").get_data(as_text=True)
    assert "inzwischen von jemand anderem auf „Eingegangen“ gesetzt" in late
    with shop.app_context():
        assert db.session.scalar(select(ReturnRequest.status).where(ReturnRequest.number == number)) == "received"


def test_english_returns_get_the_mail_in_english(shop, client):
    number = _start(client)
    with shop.app_context():
        db.session.execute(ReturnRequest.__table__.update().where(ReturnRequest.number == number).values(lang="en"))
        db.session.commit()
    _step(_agent(shop), number, "received")
    assert _mail(shop, number, "received").subject.startswith(f"Return {number}: ")


def test_steps_need_an_agent_and_a_csrf_token(shop, client):
    number = _start(client)
    assert client.get(f"/agent/retouren/{number}").status_code == 403
    assert client.get("/agent/retouren").status_code == 403
    anonymous = shop.test_client()
    assert anonymous.get(f"/agent/retouren/{number}").status_code in (302, 401)
    agent = _agent(shop)
    no_token = agent.post(f"/agent/retouren/{number}/status", data={"status": "received"})
    assert no_token.status_code == 400
    assert agent.get("/agent/retouren/R-2026-999999").status_code == 404
    odd = _step(agent, number, "cancelled")
    assert odd.status_code == 422 and "Bitte wählen Sie einen Schritt." in odd.get_data(as_text=True)


def test_photos_of_a_complaint_are_shown_full_size_to_staff_only_and_the_case_links_the_return(shop, client):
    login(client)
    _, token, submission, skus = _form(client)
    prefix = skus["NL-LMP"]
    posted = client.post("/retouren/bestellung/600001", content_type="multipart/form-data", data={
        "csrf_token": token, "submission_id": submission, f"{prefix}-sku": "NL-LMP", f"{prefix}-selected": "y",
        f"{prefix}-quantity": "1", f"{prefix}-reason": "defekt", f"{prefix}-comment": "Fuß abgebrochen",
        "resolution": "refund", "carrier": "dhl", f"{prefix}-photos": (io.BytesIO(_photo()), "lampe.jpg")})
    assert posted.status_code == 302
    with shop.app_context():
        ret = db.session.scalar(select(ReturnRequest))
        number, photo_id = ret.number, ret.items[0].photos[0].id
        case_number = db.session.scalar(select(Case.number))
    agent = _agent(shop)
    page = agent.get(f"/agent/retouren/{number}").get_data(as_text=True)
    assert "Defekt oder beschädigt" in page and "Fuß abgebrochen" in page and "Wird vom Kundenservice geprüft" in page
    assert f'href="/agent/retouren/{number}/foto/{photo_id}"' in page and "Rücksendung ablehnen" in page
    photo = agent.get(f"/agent/retouren/{number}/foto/{photo_id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and photo.data.startswith(b"\xff\xd8")
    assert "attachment" not in photo.headers.get("Content-Disposition", "")
    assert photo.headers["Cache-Control"] == "no-store"
    photo.close()
    assert client.get(f"/agent/retouren/{number}/foto/{photo_id}").status_code == 403
    assert agent.get(f"/agent/retouren/{number}/foto/{photo_id + 1}").status_code == 404
    case_page = agent.get(f"/agent/anfrage/{case_number}").get_data(as_text=True)
    assert f'href="/agent/retouren/{number}"' in case_page


def test_a_photo_uploaded_on_one_node_is_shown_on_another(shop, client, make_app, fixture_index, tmp_path):
    """Each node has its own instance directory: the photo's bytes travel in the database."""
    shop.instance_path = str(tmp_path / "node-a")
    node_b = make_app(index_dir=fixture_index)
    node_b.instance_path = str(tmp_path / "node-b")
    login(client)
    _, token, submission, skus = _form(client)
    prefix = skus["NL-LMP"]
    posted = client.post("/retouren/bestellung/600001", content_type="multipart/form-data", data={
        "csrf_token": token, "submission_id": submission, f"{prefix}-sku": "NL-LMP", f"{prefix}-selected": "y",
        f"{prefix}-quantity": "1", f"{prefix}-reason": "defekt", "resolution": "refund", "carrier": "dhl",
        f"{prefix}-photos": (io.BytesIO(_photo()), "lampe.jpg")})
    assert posted.status_code == 302
    assert not (tmp_path / "node-a").exists()
    with shop.app_context():
        ret = db.session.scalar(select(ReturnRequest))
        number, photo_id = ret.number, ret.items[0].photos[0].id
    agent = _agent(node_b)
    photo = agent.get(f"/agent/retouren/{number}/foto/{photo_id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and photo.data.startswith(b"\xff\xd8")
    assert b"PhoneMaker" not in photo.data
    assert photo.headers["X-Content-Type-Options"] == "nosniff" and photo.headers["Cache-Control"] == "no-store"
    assert "attachment" not in photo.headers.get("Content-Disposition", "")
    photo.close()
