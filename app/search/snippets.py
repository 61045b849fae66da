"""Highlighted snippets: the sentences of an article that contain the customer's words.

Cheaper than Whoosh's highlighter on large indexes: each word is looked up in the analysis cache
instead of running the whole body through the token pipeline again.
"""
from __future__ import annotations

import html
import re

from app.search.analysis import WORD_PATTERN, word_terms

_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+|\n+")
MAX_SENTENCE_CHARS = 200


def _matches(word: str, query_terms: set[str], lang: str) -> bool:
    terms = word_terms(word, lang)
    return terms is not None and any(term in query_terms for term in terms.all)


def _marked(sentence: str, spans: list[tuple[int, int]]) -> str:
    # Long sentences are cut to a window around the first match.
    start = 0
    if len(sentence) > MAX_SENTENCE_CHARS:
        start = max(0, spans[0][0] - 60)
        while start > 0 and not sentence[start - 1].isspace():
            start -= 1
    end = min(len(sentence), start + MAX_SENTENCE_CHARS)
    while end < len(sentence) and not sentence[end].isspace():
        end += 1
    out, position = [], start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        out.append(html.escape(sentence[position:span_start]))
        out.append(f'<mark class="hit">{html.escape(sentence[span_start:span_end])}</mark>')
        position = span_end
    out.append(html.escape(sentence[position:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(sentence) else ""
    return prefix + "".join(out).strip() + suffix


def make_snippet(text: str, query_terms: set[str], lang: str, sentences: int = 2) -> str:
    """Up to `sentences` sentences with the most distinct query words, in text order, words marked."""
    candidates = []
    for index, sentence in enumerate(part.strip() for part in _SENTENCE_END.split(text or "")):
        if not sentence:
            continue
        spans = [(m.start(), m.end()) for m in WORD_PATTERN.finditer(sentence)
                 if _matches(m.group(0), query_terms, lang)]
        if spans:
            distinct = len({sentence[a:b].lower() for a, b in spans})
            candidates.append((distinct, -index, sentence, spans))
    chosen = sorted(candidates, reverse=True)[:sentences]
    chosen.sort(key=lambda item: -item[1])
    return " … ".join(_marked(sentence, spans) for _, _, sentence, spans in chosen)
