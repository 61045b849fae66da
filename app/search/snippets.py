"""Highlighted snippets: the sentences of an article that contain the customer's words.

Cheaper than Whoosh's highlighter on large indexes: each word is looked up in the analysis cache
instead of running the whole body through the token pipeline again.
"""
from __future__ import annotations

import bisect
import functools
import html
import re

from app.search.analysis import WORD_PATTERN, is_stop_word, word_terms

_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+|\n+")
MAX_SENTENCE_CHARS = 200


@functools.lru_cache(maxsize=200_000)
def _terms_of(word: str, lang: str) -> frozenset[str]:
    # Stop words are never marked, also when a query word contains one ("Kauf-auf-Rechnung").
    if is_stop_word(word, lang):
        return frozenset()
    terms = word_terms(word, lang)
    return frozenset(terms.all) if terms is not None else frozenset()


@functools.lru_cache(maxsize=1024)
def _layout(text: str) -> tuple[frozenset[str], list[tuple[int, int]], list[int]]:
    """A text's distinct words and its sentence ends: the same few articles answer most searches, so each
    worker reads an article's text once rather than once per search (callers must not change them)."""
    ends = [(m.start(), m.end()) for m in _SENTENCE_END.finditer(text)]
    return frozenset(WORD_PATTERN.findall(text)), ends, [start for start, _ in ends]


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


class WordMatches:
    """Which surface words match one search's terms; shared by the snippets of all its hits, so
    each distinct word is analysed once per search, and each text costs two set operations in C."""

    def __init__(self, query_terms: set[str], lang: str):
        self.query_terms, self.lang = query_terms, lang
        self.seen: set[str] = set()
        self.hits: set[str] = set()

    def among(self, words_of_text: frozenset[str]) -> set[str]:
        for word in words_of_text - self.seen:
            self.seen.add(word)
            if not _terms_of(word, self.lang).isdisjoint(self.query_terms):
                self.hits.add(word)
        return words_of_text & self.hits


def make_snippet(text: str, query_terms: set[str], lang: str, sentences: int = 2,
                 memo: WordMatches | None = None) -> str:
    """Up to `sentences` sentences with the most distinct query words, in text order, words marked."""
    if not text:
        return ""
    memo = memo or WordMatches(query_terms, lang)
    words_of_text, ends, starts = _layout(text)
    matching = memo.among(words_of_text)
    if not matching:
        return ""
    # One pass over the text finds the matched words as whole tokens (not inside a hyphenated
    # word), and the sentence of each is looked up among the sentence ends.
    alternatives = "|".join(re.escape(word) for word in sorted(matching, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?<![\w][-‐])(?:{alternatives})(?!\w)(?![-‐]\w)")
    by_sentence: dict[int, list[tuple[int, int]]] = {}
    for m in pattern.finditer(text):
        by_sentence.setdefault(bisect.bisect_right(starts, m.start()), []).append((m.start(), m.end()))
    candidates = []
    for index, spans in by_sentence.items():
        begin = ends[index - 1][1] if index else 0
        end = ends[index][0] if index < len(ends) else len(text)
        raw = text[begin:end]
        sentence = raw.strip()
        shift = begin + len(raw) - len(raw.lstrip())
        distinct = len({text[a:b].lower() for a, b in spans})
        candidates.append((distinct, -index, sentence, [(a - shift, b - shift) for a, b in spans]))
    chosen = sorted(candidates, reverse=True)[:sentences]
    chosen.sort(key=lambda item: -item[1])
    return " … ".join(_marked(sentence, spans) for _, _, sentence, spans in chosen)
