"""Markdown rendering: tables, code, admonitions, table of contents — and never script."""
import pytest

from app.articles.rendering import render_markdown


def test_markdown_features_render():
    source = """Einleitung.

## Kosten im Überblick

| Land | Kosten |
|------|--------|
| Deutschland | 4,95 € |

### Größe ändern

```
Code bleibt Code <b>
# kein Titel
```

!!! hinweis "Hinweis"
    Ein Hinweis für Sie.

!!! wichtig "Wichtig"
    Etwas Wichtiges.
"""
    rendered = render_markdown(source)
    assert '<table tabindex="0">' in rendered.html and "<td>4,95 €</td>" in rendered.html
    assert '<h2 id="kosten-im-ueberblick">Kosten im Überblick</h2>' in rendered.html
    assert '<div class="admonition hinweis">' in rendered.html
    assert '<p class="admonition-title">Wichtig</p>' in rendered.html
    assert "Code bleibt Code &lt;b&gt;\n# kein Titel" in rendered.html
    assert [(e.anchor, e.title, e.level) for e in rendered.toc] == [
        ("kosten-im-ueberblick", "Kosten im Überblick", 2), ("groesse-aendern", "Größe ändern", 3)]
    assert "Ein Hinweis für Sie." in rendered.text and "<td>" not in rendered.text and "<div" not in rendered.text


def test_top_level_heading_becomes_h2_because_the_page_title_is_the_h1():
    rendered = render_markdown("# Abschnitt\nText")
    assert "<h1" not in rendered.html
    assert '<h2 id="abschnitt">Abschnitt</h2>' in rendered.html


@pytest.mark.parametrize("evil", [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[Klick](javascript:alert(1))",
    '<a href="javascript:alert(1)">Klick</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">Klick</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<p onclick="alert(1)" style="color:red">Text</p>',
    '<svg><script>alert(1)</script></svg>',
    '<object data="x.swf"></object>',
    "<a href='JaVaScRiPt:alert(1)'>x</a>",
])
def test_editor_mistakes_never_become_script(evil):
    html = render_markdown(f"Vorher\n\n{evil}\n\nNachher").html.lower()
    for forbidden in ("<script", "onerror", "onclick", "javascript:", "data:text", "<iframe", "<object", "<svg", "style="):
        assert forbidden not in html
    assert "vorher" in html and "nachher" in html


def test_links_keep_safe_urls_and_get_noopener():
    html = render_markdown("[Kontakt](/kontakt) [DHL](https://www.dhl.de) [Mail](mailto:service@nordlicht.example)").html
    assert 'href="/kontakt"' in html
    assert 'href="https://www.dhl.de"' in html and 'rel="noopener noreferrer"' in html
    assert 'href="mailto:service@nordlicht.example"' in html
