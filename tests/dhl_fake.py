"""DHL Parcel DE Returns answers for the fake (tests/fake_http.py), from the reference's examples.

The examples are in tests/fixtures/carriers/dhl_returns (SOURCES.md names where each one comes from)."""
from __future__ import annotations

import base64
import copy
import io
import json
from pathlib import Path

import segno
from reportlab.pdfgen.canvas import Canvas

EXAMPLES = Path(__file__).resolve().parent / "fixtures" / "carriers" / "dhl_returns"
ORDERS = "/parcel/de/shipping/returns/v1/orders"
TOKEN = "/parcel/de/account/auth/ropc/v1/token"
SETTINGS = {"HELPCENTER_DHL_API_KEY": "test-api-key", "HELPCENTER_DHL_RETURNS_USER": "user-valid",
            "HELPCENTER_DHL_RETURNS_PASSWORD": "SandboxPasswort2023!", "HELPCENTER_DHL_RETURNS_RECEIVER_ID": "deu"}


def example(name: str):
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def label_pdf(shipment_no: str) -> bytes:
    """A one-page PDF standing in for DHL's label (the reference's example carries only placeholder bytes)."""
    out = io.BytesIO()
    canvas = Canvas(out, invariant=1)
    canvas.drawString(72, 720, f"DHL Retoure {shipment_no}")
    canvas.save()
    return out.getvalue()


def qr_png(shipment_no: str) -> bytes:
    out = io.BytesIO()
    segno.make(f"DHL-RETOURE-{shipment_no}", error="m").save(out, kind="png", scale=4)
    return out.getvalue()


def created(shipment_no: str = "999991587211", qr: bool = True) -> dict:
    """The reference's 201 example with a real PDF label and, for labelType=BOTH, a real QR PNG."""
    body = copy.deepcopy(example("order_created.json"))
    body["shipmentNo"] = shipment_no
    body["label"]["b64"] = base64.b64encode(label_pdf(shipment_no)).decode()
    if qr:
        body["qrLabel"] = {"b64": base64.b64encode(qr_png(shipment_no)).decode()}
    return body


def dhl_config(fake_url: str, **extra) -> dict:
    return {"HELPCENTER_DHL_RETURNS_BASE_URL": fake_url + "/parcel/de/shipping/returns/v1", **SETTINGS, **extra}
