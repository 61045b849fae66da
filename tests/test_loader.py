"""The content loader: good trees load, every kind of broken file is reported with its reason."""
from pathlib import Path

from app.articles.loader import load_content, parse_synonyms
from tests.conftest import FIXTURE_CONTENT, SHIPPED_CONTENT


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_fixture_tree_loads_without_problems():
    tree = load_content(FIXTURE_CONTENT)
    assert tree.problems == []
    article = tree.articles["sendungsverfolgung"]
    assert article.title == "Die Sendungsverfolgung"
    assert article.category == "versand"
    assert article.lang == "de"
    assert article.related == ("sendung-beschaedigt",)
    assert article.headings == ("Wo finde ich die Sendungsverfolgung?", "Was zeigt sie an?")
    assert str(article.updated) == "2026-10-01"
    assert tree.articles["track-your-order"].lang == "en"
    assert not tree.articles["entwurf"].published
    assert "entwurf" not in {a.slug for a in tree.published}
    assert ("Retoure", "Rücksendung") in tree.synonyms


def test_shipped_content_has_no_problems_and_enough_articles():
    tree = load_content(SHIPPED_CONTENT)
    assert [str(p) for p in tree.problems] == []
    german = [a for a in tree.published if a.lang == "de"]
    english = [a for a in tree.published if a.lang == "en"]
    assert len(german) >= 40
    assert len(english) >= 3
    assert len(tree.categories) >= 10
    assert len(tree.synonyms) >= 20


def test_broken_files_are_reported_and_the_rest_still_loads(tmp_path):
    write(tmp_path, "versand/_index.md", "---\ntitle: Versand\n---\n")
    write(tmp_path, "versand/gut.md", "---\ntitle: Gut\nsummary: Ein gutes Stück.\nrelated: [fehlt-es]\n---\nText")
    write(tmp_path, "versand/kaputt.md", "---\ntitle: [unbalanced\nsummary: x\n---\nText")
    write(tmp_path, "versand/ohne-titel.md", "---\nsummary: Nur eine Zusammenfassung.\n---\nText")
    write(tmp_path, "versand/ohne-summary.md", "---\ntitle: Titel\n---\nText")
    write(tmp_path, "versand/falsche-sprache.md", "---\ntitle: T\nsummary: S\nlang: fr\n---\nText")
    write(tmp_path, "retouren/_index.md", "---\ntitle: Retouren\n---\n")
    write(tmp_path, "zubehoer/_index.md", "---\ntitle: Zubehör\n---\n")
    write(tmp_path, "zubehoer/gut.md", "---\ntitle: Doppelt\nsummary: Gleicher Slug.\n---\nText")
    write(tmp_path, "retouren/Gross Geschrieben.md", "---\ntitle: T\nsummary: S\n---\nText")
    write(tmp_path, "ohne-index/artikel.md", "---\ntitle: T\nsummary: S\n---\nText")

    tree = load_content(tmp_path)
    reasons = {p.path: p.reason for p in tree.problems}
    assert "front matter is not valid YAML" in reasons["versand/kaputt.md"]
    assert reasons["versand/ohne-titel.md"] == "'title' is missing"
    assert reasons["versand/ohne-summary.md"] == "'summary' is missing"
    assert "'lang' must be one of de, en" in reasons["versand/falsche-sprache.md"]
    assert reasons["zubehoer/gut.md"] == "duplicate slug 'gut', already used by versand/gut.md"
    assert "unknown related slug(s): fehlt-es" in reasons["versand/gut.md"]
    assert "file name must be lowercase" in reasons["retouren/Gross Geschrieben.md"]
    assert reasons["ohne-index/_index.md"] == "category has no _index.md"
    # Everything that can be served is served.
    assert set(tree.articles) == {"gut", "artikel"}


def test_duplicate_slug_keeps_the_first_file(tmp_path):
    write(tmp_path, "a/_index.md", "---\ntitle: A\n---\n")
    write(tmp_path, "b/_index.md", "---\ntitle: B\n---\n")
    write(tmp_path, "a/gleich.md", "---\ntitle: Erstes\nsummary: S\n---\n")
    write(tmp_path, "b/gleich.md", "---\ntitle: Zweites\nsummary: S\n---\n")
    tree = load_content(tmp_path)
    assert tree.articles["gleich"].title == "Erstes"
    assert [str(p) for p in tree.problems] == ["b/gleich.md: duplicate slug 'gleich', already used by a/gleich.md"]


def test_synonym_file_format():
    groups = parse_synonyms("# Kommentar\nRetoure, Rücksendung , zurückschicken\n\nallein\nGeld zurück, Erstattung # am Ende\n")
    assert groups == (("Retoure", "Rücksendung", "zurückschicken"), ("Geld zurück", "Erstattung"))
