"""Articles in the database (issue #13's storage): the markdown tree imported and exported byte for byte, the site
and its search served from the database once imported, every node following a published change within seconds,
and two editors saving from the same version refused the second time."""
from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from app.articles.models import ArticleRecord, ArticleRevision
from app.articles.store import (RevisionConflict, archive_article, article_row, compose_source, export_tree,
                                import_tree, publish_article, restore_revision, revision_source, save_article,
                                unpublish_article)
from app.extensions import db
from tests.conftest import FIXTURE_CONTENT, SHIPPED_CONTENT


def markdown_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and (p.suffix == ".md" or p.name == "synonyme.txt") and "_seiten" not in p.parts}


def imported(app, root=SHIPPED_CONTENT):
    with app.app_context():
        report = import_tree(root, "de")
        db.session.commit()
    return report


@pytest.fixture
def stored_app(make_app, tmp_path):
    """An app whose own copy of the fixture tree is imported into the database (and then no longer read)."""
    tree = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, tree)
    app = make_app(tree, HELPCENTER_CONTENT_RELOAD_SECONDS=0)
    imported(app, tree)
    return app


def test_the_shipped_tree_goes_in_and_comes_out_byte_for_byte(app, tmp_path):
    report = imported(app)
    assert report.problems == [] and report.added > 20
    with app.app_context():
        assert export_tree(tmp_path / "out") == report.added
    assert markdown_files(tmp_path / "out") == markdown_files(SHIPPED_CONTENT)
    # And round again: import the export, export it again, the same bytes.
    again = imported(app, tmp_path / "out")
    assert (again.added, again.changed, again.unchanged) == (0, 0, report.added)
    with app.app_context():
        export_tree(tmp_path / "again")
    assert markdown_files(tmp_path / "again") == markdown_files(SHIPPED_CONTENT)


def test_crlf_files_and_a_changed_file_round_trip(app, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURE_CONTENT, tree)
    article = next(p for p in sorted(tree.rglob("*.md")) if p.name != "_index.md" and "_seiten" not in p.parts)
    article.write_bytes(article.read_bytes().replace(b"\n", b"\r\n"))
    imported(app, tree)
    with app.app_context():
        export_tree(tmp_path / "out")
    assert (tmp_path / "out" / article.relative_to(tree)).read_bytes() == article.read_bytes()
    article.write_bytes(article.read_bytes() + b"\r\nNoch ein Absatz.\r\n")
    report = imported(app, tree)
    assert report.changed == 1
    with app.app_context():
        row = article_row(article.stem)
        assert row.revision == 2 and revision_source(row, 1) != revision_source(row, 2)


def test_once_imported_the_database_is_served_not_the_files(stored_app):
    client = stored_app.test_client()
    slug, category = "sendungsverfolgung", None
    with stored_app.app_context():
        row = article_row(slug)
        assert row is not None and row.state == "published"
        category = row.category
    tree_dir = Path(stored_app.config["HELPCENTER_CONTENT_DIR"])
    shutil.rmtree(tree_dir)  # the files are gone; nothing changes for customers
    page = client.get(f"/hilfe/{category}/{slug}")
    assert page.status_code == 200


def _edit(app, slug, marker, publish=True):
    with app.app_context():
        row = article_row(slug)
        source = revision_source(row).replace("\n---\n", f"\n---\n\n{marker}\n", 1)
        row = save_article(slug, source, category=row.category, base_revision=row.revision, default_lang="de",
                           author_id=None)
        if publish:
            publish_article(row, None)
        db.session.commit()
        return row.category


def test_a_published_change_is_served_and_found_on_every_node(make_app, stored_app, tmp_path):
    # A second node: the same database, its own search index directory.
    other = make_app(stored_app.config["HELPCENTER_CONTENT_DIR"], tmp_path / "other-index",
                     HELPCENTER_CONTENT_RELOAD_SECONDS=0)
    for node in (stored_app, other):
        assert node.test_client().get("/api/search?q=Zauberwort").get_json()["total"] == 0
    category = _edit(stored_app, "sendungsverfolgung", "Das Zauberwort heißt Quittengelee.", publish=False)
    # A saved draft is not served yet …
    for node in (stored_app, other):
        assert "Quittengelee" not in node.test_client().get(f"/hilfe/{category}/sendungsverfolgung").get_data(as_text=True)
    with stored_app.app_context():
        publish_article(article_row("sendungsverfolgung"), None)
        db.session.commit()
    # … a published one is, on both nodes, and search finds it there.
    for node in (stored_app, other):
        client = node.test_client()
        assert "Quittengelee" in client.get(f"/hilfe/{category}/sendungsverfolgung").get_data(as_text=True)
        found = client.get("/api/search?q=Quittengelee").get_json()
        assert [hit["slug"] for hit in found["results"]] == ["sendungsverfolgung"]


def test_unpublish_archive_and_restore_keep_every_version(stored_app):
    category = _edit(stored_app, "sendungsverfolgung", "Version zwei.")
    client = stored_app.test_client()
    with stored_app.app_context():
        row = article_row("sendungsverfolgung")
        unpublish_article(row, None)
        db.session.commit()
    assert client.get(f"/hilfe/{category}/sendungsverfolgung").status_code == 404
    with stored_app.app_context():
        row = article_row("sendungsverfolgung")
        archive_article(row, None)
        db.session.commit()
        row = restore_revision(article_row("sendungsverfolgung"), 1, None, "de")
        publish_article(row, None)
        db.session.commit()
        assert row.revision == 3 and revision_source(row, 3) == revision_source(row, 1)
        assert [r.note for r in db.session.scalars(select(ArticleRevision).order_by(ArticleRevision.number))
                if r.article_id == row.id] == ["import", None, "restored:1"]
    page = client.get(f"/hilfe/{category}/sendungsverfolgung").get_data(as_text=True)
    assert "Version zwei." not in page


def test_two_editors_from_the_same_version_the_second_is_refused(stored_app):
    with stored_app.app_context():
        row = article_row("sendungsverfolgung")
        base, category, text = row.revision, row.category, revision_source(row)
        save_article("sendungsverfolgung", text + "\nErste.\n", category=category, base_revision=base,
                     default_lang="de", author_id=None)
        db.session.commit()
        with pytest.raises(RevisionConflict) as refused:
            save_article("sendungsverfolgung", text + "\nZweite.\n", category=category, base_revision=base,
                         default_lang="de", author_id=None)
        db.session.rollback()
        assert refused.value.current == base + 1
        assert "Zweite." not in revision_source(article_row("sendungsverfolgung"))


def test_parallel_saves_from_one_version_store_exactly_one(stored_app):
    """Real threads (PostgreSQL shows the race): a dozen saves that all started from the same version."""
    from tests.test_concurrency import race

    with stored_app.app_context():
        row = article_row("sendungsverfolgung")
        base, category, text = row.revision, row.category, revision_source(row)

    def prepare(i):
        def fire():
            with stored_app.app_context():
                try:
                    save_article("sendungsverfolgung", f"{text}\nEditor {i}\n", category=category, base_revision=base,
                                 default_lang="de", author_id=None)
                    db.session.commit()
                    return "saved"
                except RevisionConflict:
                    db.session.rollback()
                    return "conflict"
        return fire

    results = race(6, prepare)
    assert sorted(results) == ["conflict"] * 5 + ["saved"]
    with stored_app.app_context():
        assert article_row("sendungsverfolgung").revision == base + 1


def test_compose_source_writes_the_documented_format(app):
    text = compose_source({"related": ["a"], "title": "Größe", "summary": "Kurz", "tags": ["x", "y"], "order": 2},
                          "## Abschnitt\n\nText")
    assert text == ("---\ntitle: Größe\nsummary: Kurz\ntags: [x, y]\norder: 2\nrelated: [a]\n---\n\n"
                    "## Abschnitt\n\nText\n")


def test_content_import_and_export_commands(app, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURE_CONTENT, tree)
    (next(tree.glob("*/_index.md")).parent / "kaputt.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    runner = app.test_cli_runner()
    assert "No articles in the database" in runner.invoke(args=["content", "export", str(tmp_path / "x")]).output
    result = runner.invoke(args=["content", "import", str(tree)])
    assert result.exit_code == 1 and "kaputt.md" in result.output and "articles added" in result.output
    assert "nothing imported" in runner.invoke(args=["content", "import", "--if-empty"]).output
    result = runner.invoke(args=["content", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert not filecmp.dircmp(tmp_path / "out", tree).diff_files
    check = runner.invoke(args=["content", "check"])
    assert "in database" in check.output
    with app.app_context():
        assert db.session.scalar(select(ArticleRecord).where(ArticleRecord.slug == "kaputt")) is None
