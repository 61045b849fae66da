"""The DHL Parcel DE Returns adapter against a local fake answering with the examples of DHL's reference."""
from __future__ import annotations

import base64

import pytest

from app.carriers.base import (CarrierNotAuthorised, CarrierRateLimited, CarrierRefused, CarrierUnavailable,
                               LabelRequest)
from app.carriers.dhl_returns import DhlReturns, from_config, split_street
from app.carriers.registry import build_label_adapter, label_adapter_names
from app.config import ConfigError
from app.returns.label import LabelAddress
from tests.dhl_fake import ORDERS, SETTINGS, TOKEN, created, dhl_config, example, label_pdf, qr_png
from tests.fake_http import FakeHTTPService

SENDER = LabelAddress("Kim Berg", "Hauptstraße 12a", "20095", "Hamburg")
SHOP = LabelAddress("Nordlicht Versand GmbH – Retourenabteilung", "Am Retourenzentrum 7", "21079", "Hamburg")


def request(**changes) -> LabelRequest:
    values = dict(reference="R-2026-000042", sender=SENDER, recipient=SHOP, value_cents=7995)
    values.update(changes)
    return LabelRequest(**values)


@pytest.fixture
def fake():
    with FakeHTTPService() as service:
        yield service


def adapter(fake, **extra) -> DhlReturns:
    return from_config(dhl_config(fake.url, **extra))


def test_registered_under_its_name_for_the_policy_file():
    assert "dhl_returns" in label_adapter_names()


def test_the_request_follows_the_documented_contract(fake):
    fake.answer("POST", ORDERS, 201, json=created("999991587211"))

    label = adapter(fake).create_return_label(request())

    [sent] = fake.requests
    assert (sent.method, sent.path, sent.query) == ("POST", ORDERS, {"labelType": ["BOTH"]})
    assert sent.header("dhl-api-key") == "test-api-key"
    user, password = base64.b64decode(sent.header("Authorization").removeprefix("Basic ")).decode().split(":", 1)
    assert (user, password) == ("user-valid", "SandboxPasswort2023!")
    assert sent.header("Content-Type") == "application/json"
    body = sent.json()
    documented = example("order_request_deu.json")
    # Only field names the reference's ReturnOrder example uses, with the same shapes.
    assert set(body) <= set(documented)
    assert set(body["shipper"]) <= set(documented["shipper"])
    assert set(body["itemValue"]) == set(documented["itemValue"])
    assert body == {"receiverId": "deu", "customerReference": "R-2026-000042", "shipmentReference": "R-2026-000042",
                    "shipper": {"name1": "Kim Berg", "addressStreet": "Hauptstraße", "addressHouse": "12a",
                                "postalCode": "20095", "city": "Hamburg"},
                    "itemValue": {"currency": "EUR", "value": 79.95}}
    assert label.shipment_number == "999991587211"
    assert label.label_pdf == label_pdf("999991587211") and label.qr_png == qr_png("999991587211")
    assert label.carrier_reference == "40327653113+99000933090010"


def test_without_qr_only_the_shipment_label_is_ordered(fake):
    fake.answer("POST", ORDERS, 201, json=created(qr=False))

    label = adapter(fake).create_return_label(request(want_qr=False))

    assert fake.requests[0].query == {"labelType": ["SHIPMENT_LABEL"]}
    assert label.qr_png is None and label.label_pdf.startswith(b"%PDF")


@pytest.mark.parametrize("name", ["error_400.json", "error_400_postcode.json", "error_422.json"])
def test_refusals_keep_dhls_words_for_the_agent(fake, name):
    answer = example(name)
    fake.answer("POST", ORDERS, answer["status"], json=answer, headers={"Content-Type": "application/problem+json"})

    with pytest.raises(CarrierRefused) as caught:
        adapter(fake).create_return_label(request())

    assert answer["detail"] in str(caught.value)


@pytest.mark.parametrize("name", ["error_401.json", "error_401_user.json", "error_403.json"])
def test_refused_credentials_are_for_the_operator(fake, name):
    answer = example(name)
    fake.answer("POST", ORDERS, answer["status"], json=answer, headers={"Content-Type": "application/problem+json"})

    with pytest.raises(CarrierNotAuthorised) as caught:
        adapter(fake).create_return_label(request())

    assert "SandboxPasswort" not in str(caught.value)


def test_rate_limit_says_when_to_come_back(fake):
    fake.answer("POST", ORDERS, 429, json=example("error_429.json"), headers={"Retry-After": "120"})

    with pytest.raises(CarrierRateLimited) as caught:
        adapter(fake).create_return_label(request())

    assert caught.value.retry_after == 120


def test_server_error_is_retried_later(fake):
    fake.answer("POST", ORDERS, 500, json={"title": "Internal Server Error", "status": 500})

    with pytest.raises(CarrierUnavailable) as caught:
        adapter(fake).create_return_label(request())

    assert not isinstance(caught.value, CarrierRateLimited)


def test_no_answer_within_the_timeout_is_retried_later(fake):
    fake.answer("POST", ORDERS, 201, json=created(), delay=1.5)
    quick = adapter(fake)
    quick.timeout = (1.0, 0.3)

    with pytest.raises(CarrierUnavailable, match="no answer"):
        quick.create_return_label(request())


@pytest.mark.parametrize("body", [
    {"sstatus": {"title": "Created", "status": 201}},
    {"shipmentNo": "1", "label": {"b64": "not base64!"}},
    {"shipmentNo": "1", "label": {"b64": base64.b64encode(b"<html>").decode()}},
    ["not", "an", "object"],
])
def test_a_garbled_confirmation_is_not_stored_as_a_label(fake, body):
    fake.answer("POST", ORDERS, 201, json=body)

    with pytest.raises(CarrierUnavailable):
        adapter(fake).create_return_label(request())


def test_a_street_without_house_number_is_refused_before_calling_dhl(fake):
    with pytest.raises(CarrierRefused) as caught:
        adapter(fake).create_return_label(request(sender=LabelAddress("Kim Berg", "Hauptstraße", "20095", "Hamburg")))

    assert fake.requests == [] and "shipper.addressHouse" in caught.value.details


@pytest.mark.parametrize("line, expected", [
    ("Hauptstraße 12a", ("Hauptstraße", "12a")), ("Am Hang 3-5", ("Am Hang", "3-5")),
    ("Straße des 17. Juni 135", ("Straße des 17. Juni", "135")), ("Allee 7 / 2", ("Allee", "7/2")),
    ("Charles-de-Gaulle Str. 20", ("Charles-de-Gaulle Str.", "20")), ("Hauptstraße", ("Hauptstraße", "")),
])
def test_street_and_house_number_apart(line, expected):
    assert split_street(line) == expected


def test_oauth2_password_flow_when_a_secret_is_set(fake):
    fake.answer("POST", TOKEN, 200, json={"access_token": "tok-123", "token_type": "Bearer", "expires_in": 1799})
    fake.answer("POST", ORDERS, 201, json=created())
    dhl = adapter(fake, HELPCENTER_DHL_API_SECRET="client-secret")

    dhl.create_return_label(request())
    dhl.create_return_label(request(reference="R-2026-000043"))

    token_calls, orders = fake.requests_to("POST", TOKEN), fake.requests_to("POST", ORDERS)
    assert len(token_calls) == 1 and len(orders) == 2  # the token is kept until it expires
    form = dict(pair.split("=", 1) for pair in token_calls[0].body.decode().split("&"))
    assert form == {"grant_type": "password", "username": "user-valid", "password": "SandboxPasswort2023%21",
                    "client_id": "test-api-key", "client_secret": "client-secret"}
    assert all(r.header("Authorization") == "Bearer tok-123" for r in orders)


def test_cancel_is_a_no_op_because_the_api_has_none(fake):
    adapter(fake).cancel_return_label(None)
    assert fake.requests == []


@pytest.mark.parametrize("missing", list(SETTINGS))
def test_missing_credentials_name_the_variable(missing):
    config = {**dhl_config("http://127.0.0.1:9"), missing: ""}
    with pytest.raises(ConfigError, match=missing):
        build_label_adapter("dhl_returns", config)
