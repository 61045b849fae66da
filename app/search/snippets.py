"""Highlighted snippets: the sentences of an article that contain the customer's words.

Cheaper than Whoosh's highlighter on large indexes: each word is looked up in the analysis cache
instead of running the whole body through the token pipeline again.
"""
from __future__ import annotations

import functools
import html
import re

from app.search.analysis import WORD_PATTERN, word_terms

_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+|\n+")
MAX_SENTENCE_CHARS = 200


@functools.lru_cache(maxsize=200_000)
def _terms_of(word: str, lang: str) -> frozenset[str]:
    terms = word_terms(word, lang)
    return frozenset(terms.all) if terms is not None else frozenset()


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


def make_snippet(text: str, query_terms: set[str], lang: str, sentences: int = 2,
                 memo: dict[str, bool] | None = None) -> str:
    """Up to `sentences` sentences with the most distinct query words, in text order, words marked.

    memo remembers which words match these query terms; one search passes the same dict for all
    its hits, so each distinct word is looked at once per search, not once per occurrence.
    """
    memo = {} if memo is None else memo
    matching = set()
    for word in set(WORD_PATTERN.findall(text or "")):
        found = memo.get(word)
        if found is None:
            found = memo[word] = not _terms_of(word, lang).isdisjoint(query_terms)
        if found:
            matching.add(word)
    if not matching:
        return ""
    # Once enough sentences hold every matched word, no later sentence can be chosen over them.
    best_possible, complete = len({word.lower() for word in matching}), 0
    candidates = []
    for index, sentence in enumerate(part.strip() for part in _SENTENCE_END.split(text)):
        # A substring test in C rules out most sentences before they are tokenised.
        if not sentence or not any(word in sentence for word in matching):
            continue
        found = matching.intersection(WORD_PATTERN.findall(sentence))
        if found:
            distinct = len({word.lower() for word in found})
            candidates.append((distinct, -index, sentence))
            complete += distinct == best_possible
            if complete >= sentences:
                break
    chosen = sorted(candidates, reverse=True)[:sentences]
    chosen.sort(key=lambda item: -item[1])
    return " … ".join(
        _marked(sentence, [(m.start(), m.end()) for m in WORD_PATTERN.finditer(sentence) if m.group(0) in matching])
        for _, _, sentence in chosen)
