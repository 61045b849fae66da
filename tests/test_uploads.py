"""Uploads: type by content, clean names with the real extension, no image metadata, safe downloads."""
from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image
from sqlalchemy import select

from app.cases.models import Case, CaseAttachment
from app.core.uploads import UploadRejected, check_upload, content_disposition
from app.extensions import db
from app.returns.photos import PhotoRejected, check_photo
from tests.agent_helpers import agent_client, clock, customer_client, shop  # noqa: F401
from tests.conftest import csrf_token_from

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def image_bytes(kind="PNG", size=(40, 20), color="red", **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, kind, **save)
    return out.getvalue()


def jpeg_with_metadata(size=(40, 20)) -> bytes:
    """A phone photo: GPS position, a camera serial, orientation 'turn right', XMP, a comment, an ICC profile."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0xA431] = "SERIAL-4711"  # BodySerialNumber
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (53.0, 33.0, 4.5), 3: "E", 4: (9.0, 59.0, 1.5)})
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><geheim>Lindenstrasse 12</geheim></rdf:RDF></x:xmpmeta>'
    from PIL import ImageCms
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return image_bytes("JPEG", size, exif=exif.tobytes(), xmp=xmp, comment=b"geheimer Kommentar", icc_profile=icc)


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo
    info = PngInfo()
    info.add_text("Author", "Kim Berg, Lindenstrasse 12")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>geheim</x:xmpmeta>")
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N"}
    return image_bytes("PNG", pnginfo=info, exif=exif.tobytes())


def _bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")
    return out.getvalue()


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def instance(app, tmp_path):
    """Uploads of this test go to a directory of its own."""
    app.instance_path = str(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("raw", "data", "expected"), [
    ("foto.png", PNG, "foto.png"),
    ("\u202egnp.exe", PNG, "gnp.png"),                       # RTL override: shows as "exe.png" otherwise
    ("rechnung\u202e\u2066fdp.exe", PDF, "rechnungfdp.pdf"),
    ("../../etc/passwd", PNG, "passwd.png"),
    ("..\\..\\windows\\boot.ini", JPEG, "boot.jpg"),
    ("/absolut/pfad/bild.png", PNG, "bild.png"),
    ("a" * 10_000 + ".png", PNG, "a" * 100 + ".png"),
    ("", PNG, "datei.png"),
    (None, PNG, "datei.png"),
    ("...", PNG, "datei.png"),
    (". .", JPEG, "datei.jpg"),
    ("bild\x00\x07\x1b[31m.png", PNG, "bild[31m.png"),
    ("zeile\r\numbruch.png", PNG, "zeileumbruch.png"),
    ("Straße Übersicht.JPG", JPEG, "Straße Übersicht.jpg"),
    ("ohne-endung", PDF, "ohne-endung.pdf"),
    ("doppelt.pdf.png", PNG, "doppelt.pdf.png"),
])
def test_file_names_lose_paths_control_and_bidi_characters_and_get_the_real_extension(app, raw, data, expected):
    with app.test_request_context():
        assert check_upload(raw, data).filename == expected


@pytest.mark.parametrize(("name", "data", "content_type", "suffix", "shown"), [
    ("bild.jpg", PNG, "image/png", ".png", "bild.png"),          # a PNG named .jpg
    ("bild.png", JPEG, "image/jpeg", ".jpg", "bild.jpg"),        # a JPEG named .png
    ("scan.jpg", PDF, "application/pdf", ".pdf", "scan.pdf"),    # a PDF named .jpg
    ("bild.pdf", PNG, "image/png", ".png", "bild.png"),
    ("polyglot.jpg", JPEG + b"<html><script>alert(1)</script></html>", "image/jpeg", ".jpg", "polyglot.jpg"),
    ("polyglot.png", PNG + b"PK\x03\x04zip-inside", "image/png", ".png", "polyglot.png"),
])
def test_type_and_extension_come_from_the_content(app, name, data, content_type, suffix, shown):
    with app.test_request_context():
        checked = check_upload(name, data)
    assert (checked.content_type, checked.suffix, checked.filename) == (content_type, suffix, shown)
    # Whatever rode along behind the image is gone: only what Pillow decoded was written.
    assert b"<script" not in checked.data and b"PK\x03\x04" not in checked.data
    if content_type.startswith("image/"):
        with Image.open(io.BytesIO(checked.data)) as image:
            assert Image.MIME[image.format] == content_type


@pytest.mark.parametrize(("name", "data"), [
    ("seite.html", b"<!doctype html><script>alert(1)</script>"),
    ("bild.png", b"<script>alert(1)</script>"),
    ("bild.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("bild.gif", image_bytes("GIF")),
    ("bild.bmp", image_bytes("BMP")),
    ("bild.webp", image_bytes("WEBP")),
    ("kaputt.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100),           # the JPEG magic and nothing behind it
    ("kaputt.png", PNG[:40]),                                    # a cut-off PNG
    ("leer.png", b""),
    ("programm.exe", b"MZ\x90\x00" + b"\x00" * 60),
    ("archiv.zip", b"PK\x03\x04" + b"\x00" * 30),
    ("riesig.png", _bomb()),                                     # 48 megapixels in a few kilobytes
])
def test_unknown_or_broken_files_are_refused_with_a_clear_message(app, name, data):
    with app.test_request_context():
        with pytest.raises(UploadRejected, match="kein Foto"):
            check_upload(name, data)
        with pytest.raises(PhotoRejected, match="kein Foto im Format JPEG oder PNG"):
            check_photo(name, data)


def test_return_photos_take_no_pdf(app):
    with app.test_request_context():
        with pytest.raises(PhotoRejected, match="scan.pdf ist kein Foto"):
            check_photo("scan.pdf", PDF)


@pytest.mark.parametrize("check", [check_upload, check_photo], ids=["contact", "return"])
def test_every_image_loses_its_metadata_after_turning_it_upright(app, check):
    with app.test_request_context():
        checked = check("handy.jpg", jpeg_with_metadata(size=(40, 20)))
        png = check("screenshot.png", png_with_text())
    with Image.open(io.BytesIO(checked.data)) as image:
        assert image.size == (20, 40)                           # orientation 6 applied, then dropped
        assert not image.getexif() and "exif" not in image.info and "xmp" not in image.info
        assert "icc_profile" not in image.info and "comment" not in image.info
    for secret in (b"SERIAL-4711", b"Lindenstrasse", b"geheim", b"Exif"):
        assert secret not in checked.data and secret not in png.data
    with Image.open(io.BytesIO(png.data)) as image:
        assert not image.getexif() and not getattr(image, "text", {})


def test_content_disposition_carries_the_exact_name_as_rfc_5987():
    header = content_disposition("Übersicht \"neu\";.pdf")
    assert header.startswith('attachment; filename="_bersicht _neu__.pdf"; ')
    assert header.endswith("filename*=UTF-8''" + quote("Übersicht \"neu\";.pdf", safe=""))


def _post_contact(client, files):
    token = csrf_token_from(client, "/kontakt")
    data = {"csrf_token": token, "topic": "reklamation", "order_number": "500001", "skus": "NL-1",
            "message": "Der Reißverschluss ist nach zwei Tagen kaputt.", "channel": "email",
            "desired_outcome": "ersatz", "attachments": files}
    return client.post("/kontakt", data=data, content_type="multipart/form-data")


def test_contact_attachments_are_stored_and_served_as_what_they_are(shop, instance):
    customer = customer_client(shop)
    response = _post_contact(customer, [(io.BytesIO(PNG), "\u202egnp.jpg"), (io.BytesIO(jpeg_with_metadata()),
                                                                             "../../handy.jpeg")])
    assert response.status_code == 302
    with shop.app_context():
        case = db.session.scalar(select(Case))
        number = case.number
        rows = [(a.id, a.filename, a.content_type, a.storage_name) for a in case.attachments]
    assert [(name, ctype) for _, name, ctype, _ in rows] == [("gnp.png", "image/png"), ("handy.jpg", "image/jpeg")]
    assert [Path(storage).suffix for *_, storage in rows] == [".png", ".jpg"]
    with shop.app_context():
        stored = db.session.get(CaseAttachment, rows[1][0]).data
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif() and image.size == (20, 40)
    assert not (instance / "attachments").exists()  # the bytes are in the database, no file on this node

    agent = agent_client(shop)
    download = agent.get(f"/agent/anfrage/{number}/anhang/{rows[0][0]}")
    assert download.status_code == 200 and download.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert download.mimetype == "image/png"
    assert download.headers["Content-Disposition"] == "attachment; filename=\"gnp.png\"; filename*=UTF-8''gnp.png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Cache-Control"] == "no-store"
    download.close()
    photo = agent.get(f"/agent/anfrage/{number}/anhang/{rows[1][0]}")
    assert photo.status_code == 200 and b"GPS" not in photo.data and b"Exif" not in photo.data
    photo.close()

    # Bytes nowhere (in the row nor on disk) is a 404, not a 500; another case's attachment id is a 404.
    with shop.app_context():
        db.session.get(CaseAttachment, rows[1][0]).data = None
        db.session.commit()
    assert agent.get(f"/agent/anfrage/{number}/anhang/{rows[1][0]}").status_code == 404
    assert agent.get(f"/agent/anfrage/{number}/anhang/999999").status_code == 404


@pytest.mark.parametrize(("files", "message"), [
    ([(b"<html>", "bild.png")], "bild.png ist kein Foto (JPEG, PNG) und kein PDF."),
    ([(b"GIF89a" + b"\x00" * 20, "\u202egnp.exe")], "gnp.exe ist kein Foto (JPEG, PNG) und kein PDF."),
    ([(PNG, "gut.png"), (b"%PDF", "kurz.pdf")], "kurz.pdf ist kein Foto (JPEG, PNG) und kein PDF."),
    ([(PNG, f"{i}.png") for i in range(4)], "höchstens 3 Dateien"),
])
def test_refused_contact_attachments_write_nothing(shop, instance, files, message):
    response = _post_contact(customer_client(shop), [(io.BytesIO(data), name) for data, name in files])
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with shop.app_context():
        assert db.session.scalar(select(Case)) is None
    assert not any((instance / "attachments").glob("*")) if (instance / "attachments").exists() else True


def test_an_attachment_uploaded_on_one_node_is_downloaded_on_another(shop, make_app, fixture_index, tmp_path):
    """Each node has its own instance directory (bench/cluster.py, deploy/): the bytes travel in the database."""
    shop.instance_path = str(tmp_path / "node-a")
    node_b = make_app(index_dir=fixture_index)
    node_b.instance_path = str(tmp_path / "node-b")
    (tmp_path / "node-b").mkdir()
    response = _post_contact(customer_client(shop), [(io.BytesIO(PDF), "Rechnung März.pdf"),
                                                     (io.BytesIO(JPEG), "riss.jpg")])
    assert response.status_code == 302
    with shop.app_context():
        case = db.session.scalar(select(Case))
        number, ids = case.number, [a.id for a in case.attachments]
    assert not (tmp_path / "node-a").exists()  # no file on the node that took the upload

    agent = agent_client(node_b)
    page = agent.get(f"/agent/anfrage/{number}").get_data(as_text=True)
    assert "Rechnung März.pdf" in page and "riss.jpg" in page
    download = agent.get(f"/agent/anfrage/{number}/anhang/{ids[0]}")
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"Rechnung M_rz.pdf\"; filename*=UTF-8''" + quote("Rechnung März.pdf", safe=""))
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Cache-Control"] == "no-store"
    download.close()
    photo = agent.get(f"/agent/anfrage/{number}/anhang/{ids[1]}")
    assert photo.status_code == 200 and photo.data[:3] == b"\xff\xd8\xff"
    photo.close()
    assert list((tmp_path / "node-b").iterdir()) == []  # served from the database, nothing cached on node B


def test_lists_of_attachments_never_load_their_bytes(shop):
    from sqlalchemy import inspect

    _post_contact(customer_client(shop), [(io.BytesIO(PNG), "a.png")])
    with shop.app_context():
        attachment = db.session.scalar(select(Case)).attachments[0]
        assert "data" in inspect(attachment).unloaded
        assert attachment.data.startswith(b"\x89PNG") and len(attachment.data) == attachment.size  # when asked
