"""CLI commands editors and operators run: content check, index rebuild/update."""
from pathlib import Path

from app.search.index import IndexStore


def test_content_check_passes_on_a_good_tree(runner):
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "12 published articles, 1 drafts" in result.output and "OK" in result.output


def test_content_check_reports_file_and_reason_with_exit_code_1(make_app, content_copy):
    (content_copy / "versand" / "kaputt.md").write_text("---\ntitle: 'offen\n---\n")
    (content_copy / "versand" / "ohne-titel.md").write_text("---\nsummary: nur Summary\n---\n")
    result = make_app(content_copy).test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1
    assert "ERROR versand/kaputt.md: front matter is not valid YAML" in result.output
    assert "ERROR versand/ohne-titel.md: 'title' is missing" in result.output
    assert "2 problem(s) found" in result.output


def test_index_rebuild_and_update(make_app, tmp_path, content_copy):
    app = make_app(content_copy, tmp_path / "idx")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["index", "update"])
    assert result.exit_code == 0 and "rebuilt with 12 articles" in result.output
    assert "Index is up to date." in runner.invoke(args=["index", "update"]).output
    (content_copy / "versand" / "neu.md").write_text("---\ntitle: Neu\nsummary: Neu hier.\n---\nText")
    result = runner.invoke(args=["index", "update"])
    assert "1 added, 0 changed, 0 removed" in result.output
    result = runner.invoke(args=["index", "rebuild"])
    assert result.exit_code == 0 and "Indexed 13 published articles" in result.output
    assert "holds 13 articles (de: 11, en: 2)" in result.output
    assert IndexStore(tmp_path / "idx").document_count() == 13


def test_directory_variables_point_the_app_at_another_tree(tmp_path, monkeypatch):
    """HELPCENTER_CONTENT_DIR and HELPCENTER_INDEX_DIR serve and search another tree."""
    from app import create_app

    other = tmp_path / "andere-hilfe"
    (other / "fragen").mkdir(parents=True)
    (other / "fragen" / "_index.md").write_text("---\ntitle: Fragen\n---\n")
    (other / "fragen" / "lieferzonen.md").write_text("---\ntitle: Lieferzonen\nsummary: Wohin wir liefern.\n---\nWir liefern auf alle Nordseeinseln.")
    monkeypatch.setenv("HELPCENTER_CONTENT_DIR", str(other))
    monkeypatch.setenv("HELPCENTER_INDEX_DIR", str(tmp_path / "anderer-index"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("SECRET_KEY", "x")
    app = create_app({"TESTING": True})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["index", "rebuild"]).exit_code == 0
    assert Path(tmp_path / "anderer-index" / "CURRENT").is_file()
    client = app.test_client()
    assert client.get("/hilfe/fragen/lieferzonen").status_code == 200
    body = client.get("/api/search?q=Nordseeinsel").get_json()
    assert [r["slug"] for r in body["results"]] == ["lieferzonen"]
