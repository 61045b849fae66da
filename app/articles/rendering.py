"""Turn an editor's markdown into safe HTML, a table of contents and plain text for the index."""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

import markdown
import nh3

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "small", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "div": {"class"},
    "p": {"class"},
    "span": {"class"},
    "code": {"class"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start"},
    "img": {"src", "alt", "title"},
}
# Pictures only from the help center's own image path (app/articles/images.py): a hash-named file, no query, no
# other host — so an article can neither track readers through a foreign image nor point an <img> anywhere else.
_OWN_IMAGE = re.compile(r"^/hilfe-bilder/[0-9a-f]{64}\.(?:png|jpg)$")
_URL_SCHEMES = {"http", "https", "mailto", "tel"}

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def slugify_heading(value: str, separator: str = "-") -> str:
    """Make a readable anchor id from a German heading: 'Größe ändern' -> 'groesse-aendern'."""
    value = unicodedata.normalize("NFKD", value.translate(_UMLAUTS))
    value = value.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", separator, value).strip(separator) or "abschnitt"


@dataclass(frozen=True)
class TocEntry:
    anchor: str
    title: str
    level: int


@dataclass(frozen=True)
class RenderedMarkdown:
    html: str
    toc: tuple[TocEntry, ...]
    text: str


def _flatten_toc(tokens, out: list[TocEntry]) -> None:
    for token in tokens:
        if token["level"] in (2, 3):
            out.append(TocEntry(token["id"], html.unescape(token["name"]), token["level"]))
        _flatten_toc(token["children"], out)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not _OWN_IMAGE.match(value):
        return None
    return value


def sanitize_html(raw_html: str) -> str:
    """Strip everything that could run script: tags, event handlers, javascript:/data: URLs, pictures from
    anywhere but our own image path."""
    return nh3.clean(
        raw_html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=_attribute_filter,
    )


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, with block boundaries kept as line breaks."""
    with_breaks = re.sub(r"</(p|li|h[1-6]|tr|div|pre|blockquote)>", "\n", fragment)
    text = html.unescape(nh3.clean(with_breaks, tags=set()))
    return re.sub(r"[ \t]+", " ", re.sub(r"\n\s*\n+", "\n", text)).strip()


def _demote_top_headings(source: str) -> str:
    """Turn '# Title' into '## Title' outside code fences: the page title is the only h1."""
    lines, in_fence = [], False
    for line in source.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and line.startswith("# "):
            line = "#" + line
        lines.append(line)
    return "\n".join(lines)


def render_markdown(source: str) -> RenderedMarkdown:
    """Render article markdown with tables, fenced code, admonitions and a table of contents."""
    md = markdown.Markdown(
        extensions=["tables", "fenced_code", "admonition", "sane_lists", "toc"],
        extension_configs={"toc": {"slugify": slugify_heading, "toc_depth": "2-3"}},
        output_format="html",
    )
    rendered = md.convert(_demote_top_headings(source))
    toc: list[TocEntry] = []
    _flatten_toc(md.toc_tokens, toc)
    # A wide table scrolls sideways on a phone (CSS); keyboard users must be able to focus it to scroll it.
    safe = sanitize_html(rendered).replace("<table>", '<table tabindex="0">')
    return RenderedMarkdown(html=safe, toc=tuple(toc), text=html_to_text(safe))
