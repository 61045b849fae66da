"""Links inside the help center that lead nowhere: `/hilfe/<category>/<slug>` to an article that does not exist,
`/hilfe/<category>` to an unknown category, `/kontakt?topic=<x>` to a topic the contact form does not know (the
form would open with nothing chosen). `flask content check` and the editor's save apply the same rule."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from app.cases.topics import resolve_topic

# In rendered (sanitized) HTML: href="/hilfe/<category>[/<slug>]" with an optional anchor or query.
_INTERNAL = re.compile(r'href="/hilfe/([^"/#?]+)(?:/([^"/#?]+))?/?(?:[#?][^"]*)?"')


def broken_links(body_html: str, articles, categories) -> list[str]:
    """The help-center links of an article body whose target does not exist, in order, each once."""
    broken = []
    for category, slug in _INTERNAL.findall(body_html):
        missing = (slug and slug not in articles) or (not slug and category not in categories)
        link = f"/hilfe/{category}/{slug}" if slug else f"/hilfe/{category}"
        if missing and link not in broken:
            broken.append(link)
    for target in _CONTACT.findall(body_html):
        link = html.unescape(target)
        topics = parse_qs(urlsplit(link).query).get("topic", [])
        if any(resolve_topic(topic) is None for topic in topics) and link not in broken:
            broken.append(link)
    return broken


_CONTACT = re.compile(r'href="(/kontakt/?\?[^"#]*)(?:#[^"]*)?"')


_ARTICLE_LINK = re.compile(r'href="/hilfe/([^"/#?]+)/([^"/#?]+)/?((?:[#?][^"]*)?)"')


def links_in_language(body_html: str, target_of) -> str:
    """The body with every link to an article pointed at its version the reader reads: target_of(slug) gives the
    article to link instead (or None to keep it), so an English article that names a German one links to the
    English version once there is one, and to the German original until then."""
    def swap(match: re.Match) -> str:
        found = target_of(match.group(2))
        if found is None:
            return match.group(0)
        return f'href="/hilfe/{found.category}/{found.slug}{match.group(3)}"'

    return _ARTICLE_LINK.sub(swap, body_html)
