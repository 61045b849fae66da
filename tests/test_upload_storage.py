"""Customers' uploads across nodes: bytes in the database, files from before revision 0020 still served and
imported by `flask uploads import-files`, bytes nowhere a 404, the purge's sweep of legacy files."""
from __future__ import annotations

import hashlib
import os
import threading
import time

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import select, update

from app import create_app
from app.cases.models import CaseAttachment
from app.extensions import db
from app.privacy import retention
from app.shop.cli import apply_import
from app.shop.models import Order
from tests.conftest import FIXTURE_CONTENT, _base_config, login
from tests.shop_factory import customer, document, order
from tests.test_privacy import PNG, attach, instance, make_case, make_return, stored_bytes  # noqa: F401

AGENT = ("agent@example.com", "agenten-passwort-1")


@pytest.fixture
def agent(app, make_user):
    make_user(email=AGENT[0], password=AGENT[1], role="agent", name="Jonas Weber")
    client = app.test_client()
    login(client, *AGENT)
    return client


@pytest.fixture
def uploads(app, instance):
    """A case with an attachment as today and one from before revision 0020, and a return with an old photo."""
    with app.app_context():
        apply_import(document([customer()], [order("100001")]))
        case = make_case(status="open")
        new = attach(case, "neu.png")
        old = attach(case, "alt.png", legacy=True)
        ret, photo = make_return(db.session.scalar(select(Order)), photo=True, legacy=True)
        db.session.commit()
        ids = {a.storage_name: a.id for a in case.attachments}
        result = {"case": case.number, "return": ret.number, "new": (ids[new], new), "old": (ids[old], old),
                  "photo": (ret.items[0].photos[0].id, photo)}
    return result


def _attachment_url(uploads, which):
    return f"/agent/anfrage/{uploads['case']}/anhang/{uploads[which][0]}"


def test_an_upload_from_before_the_move_is_still_served_from_its_file(app, agent, uploads, instance):
    old = agent.get(_attachment_url(uploads, "old"))
    assert old.status_code == 200 and old.data == PNG and old.mimetype == "image/png"
    assert old.headers["Content-Disposition"] == "attachment; filename=\"alt.png\"; filename*=UTF-8''alt.png"
    assert old.headers["X-Content-Type-Options"] == "nosniff" and old.headers["Cache-Control"] == "no-store"
    old.close()
    new = agent.get(_attachment_url(uploads, "new"))
    assert new.status_code == 200 and new.data == PNG
    new.close()
    photo = agent.get(f"/agent/retouren/{uploads['return']}/foto/{uploads['photo'][0]}")
    assert photo.status_code == 200 and photo.data == PNG and photo.headers["Cache-Control"] == "no-store"
    photo.close()


def test_bytes_neither_in_the_database_nor_on_disk_are_a_404_page_not_a_500(app, agent, uploads, instance):
    (instance / "attachments" / uploads["old"][1]).unlink()
    (instance / "return_photos" / uploads["photo"][1]).unlink()
    for url in (_attachment_url(uploads, "old"), f"/agent/retouren/{uploads['return']}/foto/{uploads['photo'][0]}"):
        missing = agent.get(url)
        assert missing.status_code == 404
        assert "Diese Seite gibt es nicht (mehr)." in missing.get_data(as_text=True)
    # A row never names a path outside its folder, whatever is written in it.
    (instance / "secret").write_bytes(b"geheim")
    with app.app_context():
        db.session.execute(update(CaseAttachment).where(CaseAttachment.id == uploads["old"][0])
                           .values(storage_name="../secret"))
        db.session.commit()
    assert agent.get(_attachment_url(uploads, "old")).status_code == 404


def test_another_node_serves_old_uploads_only_after_the_import(app, make_app, fixture_index, agent, uploads, instance,
                                                              tmp_path):
    node_b = make_app(index_dir=fixture_index)
    node_b.instance_path = str(tmp_path / "node-b")
    agent_b = node_b.test_client()
    login(agent_b, *AGENT)
    assert agent_b.get(_attachment_url(uploads, "new")).status_code == 200
    assert agent_b.get(_attachment_url(uploads, "old")).status_code == 404  # its file is on node A

    result = app.test_cli_runner().invoke(args=["uploads", "import-files"])
    assert result.exit_code == 0, result.output
    served = agent_b.get(_attachment_url(uploads, "old"))
    assert served.status_code == 200 and served.data == PNG
    served.close()
    assert not (tmp_path / "node-b").exists()


def test_import_files_moves_bytes_into_rows_counts_and_can_run_again(app, uploads, instance):
    with app.app_context():
        case = make_case(status="open")
        lost = attach(case, "verloren.png", legacy=True)
        changed = attach(case, "veraendert.png", legacy=True)
        db.session.commit()
    (instance / "attachments" / lost).unlink()
    (instance / "attachments" / changed).write_bytes(PNG + b"angehaengt")
    # A file an earlier run imported but did not remove (it stopped in between).
    (instance / "attachments" / uploads["new"][1]).write_bytes(PNG)

    runner = app.test_cli_runner()
    first = runner.invoke(args=["uploads", "import-files"])
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        "attachments: 1 imported, 1 left over from an earlier run removed, 1 not on this node, "
        "1 not matching their checksum (kept)",
        "return_photos: 1 imported, 0 left over from an earlier run removed, 0 not on this node, "
        "0 not matching their checksum (kept)"]
    with app.app_context():
        for folder, key in (("attachments", "old"), ("return_photos", "photo"), ("attachments", "new")):
            name = uploads[key][1]
            assert not (instance / folder / name).exists()
            assert stored_bytes(instance, folder, name) == PNG  # now from the row
        assert db.session.scalar(select(CaseAttachment.data).where(CaseAttachment.storage_name == changed)) is None
    assert sorted(p.name for p in (instance / "attachments").iterdir()) == [changed]

    again = runner.invoke(args=["uploads", "import-files"])
    assert again.output.splitlines() == [
        "attachments: 0 imported, 0 left over from an earlier run removed, 1 not on this node, "
        "1 not matching their checksum (kept)",
        "return_photos: 0 imported, 0 left over from an earlier run removed, 0 not on this node, "
        "0 not matching their checksum (kept)"]


def test_import_files_on_several_nodes_sharing_a_directory_imports_each_file_once(app, instance):
    from app.core.uploads import import_legacy_files

    with app.app_context():
        case = make_case(status="open")
        names = [attach(case, f"{i}.png", legacy=True) for i in range(12)]
        db.session.commit()
    reports, errors = [], []

    def run():
        try:
            with app.app_context():
                reports.append(import_legacy_files("attachments", CaseAttachment))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(repr(exc))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.imported for r in reports) == 12 and sum(r.mismatched for r in reports) == 0
    assert list((instance / "attachments").iterdir()) == []
    with app.app_context():
        assert all(stored_bytes(instance, "attachments", name) == PNG for name in names)


def test_the_purge_sweeps_legacy_files_no_row_needs_and_never_creates_folders(app, uploads, instance):
    stale = instance / "attachments" / uploads["new"][1]  # the row has the bytes: the file is a leftover
    stale.write_bytes(PNG)
    day_old = time.time() - 2 * 86400
    for path in (stale, instance / "attachments" / uploads["old"][1]):
        os.utime(path, (day_old, day_old))
    with app.app_context():
        assert retention.sweep_orphan_files() == 1
    assert not stale.exists() and (instance / "attachments" / uploads["old"][1]).exists()

    empty = instance / "elsewhere"
    app.instance_path = str(empty)
    with app.app_context():
        assert retention.sweep_orphan_files() == 0
    assert not empty.exists()



def test_upgrading_keeps_old_rows_which_import_files_then_fills(tmp_path):
    """Migration 0020 on a database with uploads (SQLite rebuilds the table for it), then the import."""
    app = create_app(_base_config(f"sqlite:///{tmp_path / 'old.db'}", FIXTURE_CONTENT, tmp_path / "index"))
    app.instance_path = str(tmp_path / "instance")
    name = "0123456789abcdef0123456789abcdef.png"
    (tmp_path / "instance" / "attachments").mkdir(parents=True)
    (tmp_path / "instance" / "attachments" / name).write_bytes(PNG)
    with app.app_context():
        upgrade(revision="0019")
        db.engine.dispose()
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO support_case (id, number, topic, message, channel, status, queue, priority, sla_due_at, "
                "verified, contact_name, contact_email, lang, created_at) VALUES (7, 'NL-2026-000007', 'sonstiges', "
                "'Foto anbei', 'email', 'open', 'allgemein', 'normal', :t, 0, 'Kim', 'kim@example.com', 'de', :t)"),
                {"t": "2026-11-16 09:00:00"})
            conn.execute(sa.text(
                "INSERT INTO case_attachment (id, case_id, filename, content_type, size, sha256, storage_name, "
                "created_at) VALUES (3, 7, 'foto.png', 'image/png', :size, :sha, :name, :t)"),
                {"size": len(PNG), "sha": hashlib.sha256(PNG).hexdigest(), "name": name, "t": "2026-11-16 09:00:00"})
        upgrade()
        db.engine.dispose()
        row = db.session.get(CaseAttachment, 3)
        assert (row.filename, row.storage_name, row.data) == ("foto.png", name, None)
        db.session.rollback()
    result = app.test_cli_runner().invoke(args=["uploads", "import-files"])
    assert result.output.startswith("attachments: 1 imported, 0 left over")
    with app.app_context():
        assert db.session.get(CaseAttachment, 3).data == PNG
        db.engine.dispose()
    assert list((tmp_path / "instance" / "attachments").iterdir()) == []
