"""The Whoosh index of the help articles: schema, full rebuilds and incremental updates.

Layout of the index directory (HELPCENTER_INDEX_DIR):

    CURRENT              name of the generation readers use, replaced atomically
    gen-<time>-<pid>/    one complete build: a Whoosh index per language and manifest.json
    .writer.lock         held by whoever changes the index (several gunicorn workers, the CLI)

A full rebuild writes a new generation and only then points CURRENT at it, so readers never see
a half-built index. An incremental update changes the current generation through Whoosh's own
atomic commits. Both happen under one file lock, so workers starting at once never both write.
"""
from __future__ import annotations

import contextlib
import gc
import io
from collections import Counter
import json
import logging
import os
import shutil
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from filelock import FileLock, Timeout
from whoosh import index as whoosh_index
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from whoosh.filedb.filetables import FileFormatError
from whoosh.system import pack_uint

from app.articles.loader import Article
from app.search import embeddings, spelling
from app.search.analysis import (SPELLING_PATTERN, WORD_PATTERN, analysis_version, help_analyzer, index_terms,
                                 spelling_analyzer)

log = logging.getLogger(__name__)
LANGUAGES = ("de", "en")
SCHEMA_VERSION = "14"
# Field weights, applied at query time: a word in the title says more than one in the body.
# questions: how customers ask for the article (front matter), in their words.
FIELD_BOOSTS = {"title": 1.5, "tags": 1.2, "summary": 1.2, "headings": 1.1, "questions": 1.0, "body": 1.0}
CONTENT_REPEATS = {"title": 3, "tags": 2, "summary": 2, "headings": 1, "questions": 1}
PER_FIELD_UP_TO = 2000
# From this many articles a full build embeds them in a second process (starting it costs ~3 s).
EMBED_IN_BACKGROUND_FROM = 1000
PARALLEL_WRITE_FROM = 1000
_PARALLEL_JOBS = 6
# Postings are sorted in memory up to this size before Whoosh spills them to temporary runs
# (pickled, read back and merged): at 128 MB a 10,000-article build spilled about a third of its time.
_BUILD_POOL_MB = 384
_WRITER_TIMEOUT_SECONDS = 30.0
_OPEN_ATTEMPTS = 5
# Whoosh copies a compound segment's term file into memory whenever a reader opens it (tens of
# milliseconds on 10,000 articles, paid by every re-index and by every search after one); separate
# segment files are opened in place.
_COMPOUND_SEGMENTS = False


class IndexBusy(RuntimeError):
    """Another process holds the writer lock for longer than we may wait."""


class CountedText(TEXT):
    """A text field without positions whose terms are counted per distinct word.

    Whoosh runs every token through its analyser chain (a token object, a regex match, a filter
    call each); an article repeats most of its words, so counting the words first and analysing
    each distinct one once (cached across articles) gives the same postings for a fraction of
    the work. Only for fields without positions: frequencies are all they store.
    """

    def __init__(self, lang: str | None, **kwargs):
        analyzer = help_analyzer(lang) if lang else spelling_analyzer()
        super().__init__(analyzer=analyzer, phrase=False, **kwargs)
        self.lang = lang

    def index(self, value, **kwargs):
        frequencies: dict[str, int] = {}
        if self.lang:
            for word, count in Counter(WORD_PATTERN.findall(value)).items():
                for term in index_terms(word, self.lang):
                    frequencies[term] = frequencies.get(term, 0) + count
        else:
            frequencies = Counter(w for w in (word.lower() for word in SPELLING_PATTERN.findall(value)) if len(w) >= 3)
        boost = self.format.field_boost
        for term, frequency in frequencies.items():
            yield term.encode("utf-8"), frequency, frequency * boost, pack_uint(frequency)


def per_field_layout(article_count: int) -> bool:
    """Whether a language's index gets a posting list per field, decided at each full build.

    Above PER_FIELD_UP_TO articles the engine ranks from the combined field only (for speed), so
    the per-field postings would be written and never read: leaving them out halves the postings
    a large build writes. The fields stay stored for snippets and results.
    """
    return article_count <= PER_FIELD_UP_TO


def build_schema(lang: str, per_field: bool = True) -> Schema:
    analyzer = help_analyzer(lang)

    def text(stored: bool):
        return TEXT(analyzer=analyzer, stored=stored) if per_field else STORED

    return Schema(
        slug=ID(stored=True, unique=True),
        category=ID(stored=True),
        title=text(stored=True),
        tags=text(stored=False),
        summary=text(stored=True),
        headings=text(stored=False),
        questions=text(stored=False),
        body=text(stored=True),
        content=CountedText(lang),
        spell=CountedText(None),
        terms=STORED,
        content_hash=STORED,
        # The article's counted letter groups (app/search/spelling.py): a column, read per article, not
        # a stored field (those are decompressed whole for every result shown).
        grams=COLUMN(VarBytesColumn()),
    )


def weighted_content(article: Article) -> str:
    """All of an article's text in one field, the title and tags repeated: one posting list per
    term keeps searches fast on large indexes, and BM25's saturating term frequency turns the
    repetition into a field weight."""
    parts = [article.title] * CONTENT_REPEATS["title"] + [" ".join(article.tags)] * CONTENT_REPEATS["tags"]
    parts += [article.summary] * CONTENT_REPEATS["summary"] + [" ".join(article.headings)] * CONTENT_REPEATS["headings"]
    parts += ["\n".join(article.questions)] * CONTENT_REPEATS["questions"]
    parts.append(article.text)
    return "\n".join(parts)


def indexed_terms(article: Article) -> str:
    """Every term the article is indexed under, for re-ranking by how much of a query it covers."""
    text = " ".join((article.title, " ".join(article.tags), article.summary, " ".join(article.headings),
                     " ".join(article.questions), article.text))
    return " ".join(sorted({term for word in set(WORD_PATTERN.findall(text)) for term in index_terms(word, article.lang)}))


def article_document(article: Article, grams: bytes) -> dict:
    """The article as Whoosh stores it; `grams` its encoded letter-group counts (app/search/spelling.py)."""
    return {
        "grams": grams,
        "terms": indexed_terms(article),
        "slug": article.slug,
        "category": article.category,
        "title": article.title,
        "tags": " ".join(article.tags),
        "summary": article.summary,
        "headings": "\n".join(article.headings),
        "questions": "\n".join(article.questions),
        "body": article.text,
        "spell": " ".join((article.title, article.summary, " ".join(article.tags), article.text)),
        "content": weighted_content(article),
        "content_hash": article.content_hash,
    }


def index_fingerprint() -> str:
    """What an index was built with; a different fingerprint means a full rebuild. The embedding
    model and its package version are part of it: vectors of two models never mix."""
    return f"{SCHEMA_VERSION}:{analysis_version()}:{spelling.TEXT_RECIPE}:{embeddings.model_fingerprint()}"


@dataclass(frozen=True)
class SyncReport:
    rebuilt: bool
    added: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return self.rebuilt or bool(self.added or self.updated or self.deleted)


class IndexStore:
    """Owns one index directory: knows the current generation and how to change it safely."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._manifest_cache: tuple[tuple, dict] | None = None

    # Reading ---------------------------------------------------------------

    def current_generation(self) -> Path | None:
        try:
            name = (self.root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        path = self.root / name
        return path if name and (path / "manifest.json").is_file() else None

    def manifest(self, generation: Path | None = None) -> dict | None:
        generation = generation or self.current_generation()
        if generation is None:
            return None
        path = generation / "manifest.json"
        try:
            key = _file_key(path)
            if self._manifest_cache is not None and self._manifest_cache[0] == key:
                return self._manifest_cache[1]
            manifest = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        # Parsing 10,000 entries is a good part of a single-article re-index: keep the last one
        # until the file is replaced (every write is a new file, so its identity changes).
        self._manifest_cache = (key, manifest)
        return manifest

    def _write_manifest(self, generation: Path, hashes: dict, articles: Iterable[Article]) -> None:
        manifest = {"fingerprint": index_fingerprint(), "built_at": time.time(),
                    "embedding": {"model": embeddings.MODEL_NAME, "package": embeddings.MODEL_PACKAGE,
                                  "version": embeddings.model_version(), "text": embeddings.TEXT_RECIPE},
                    "articles": hashes,
                    # English slug -> the German article it renders: the search reads each article's
                    # closeness in meaning through both versions (app/search/engine.py).
                    "translations": {a.slug: a.translation for a in articles if a.published and a.translation}}
        path = generation / "manifest.json"
        _write_json_atomically(path, manifest)
        self._manifest_cache = (_file_key(path), manifest)

    def open_index(self, lang: str, generation: Path | None = None):
        generation = generation or self.current_generation()
        if generation is None:
            return None
        # Whoosh reads the newest table of contents and then its files; a commit in between (an edit, or
        # the background merge of edits' segments) may have replaced and removed them: read again.
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                return whoosh_index.open_dir(str(generation / lang))
            except FileNotFoundError:
                if attempt == _OPEN_ATTEMPTS - 1:
                    raise
                time.sleep(0.005 * (attempt + 1))

    def is_current(self, articles: Iterable[Article], manifest: dict | None = None) -> bool:
        return self._is_current(_article_hashes(articles), manifest or self.manifest())

    @staticmethod
    def _is_current(hashes: dict, manifest: dict | None) -> bool:
        return (manifest is not None and manifest.get("fingerprint") == index_fingerprint()
                and manifest.get("articles") == hashes)

    # Writing ---------------------------------------------------------------

    def _lock(self) -> FileLock:
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / ".writer.lock"))

    def rebuild(self, articles: Iterable[Article], timeout: float = _WRITER_TIMEOUT_SECONDS) -> SyncReport:
        """Build a complete new generation from articles and switch readers to it."""
        articles = [a for a in articles if a.published]
        try:
            with self._lock().acquire(timeout=timeout):
                return self._rebuild_locked(articles)
        except Timeout as exc:
            raise IndexBusy("the search index is being written by another process") from exc

    def sync(self, articles: Iterable[Article], timeout: float = _WRITER_TIMEOUT_SECONDS) -> SyncReport:
        """Bring the index in step with articles: re-index only what changed, or build if missing."""
        articles = [a for a in articles if a.published]
        hashes = _article_hashes(articles)
        if self._is_current(hashes, self.manifest()):
            return SyncReport(rebuilt=False)
        try:
            with self._lock().acquire(timeout=timeout):
                # Read again under the lock: another worker may have done the work meanwhile.
                manifest = self.manifest()
                if manifest is None or manifest.get("fingerprint") != index_fingerprint():
                    return self._rebuild_locked(articles)
                if manifest.get("articles") == hashes:
                    return SyncReport(rebuilt=False)
                with _collector_paused():
                    try:
                        return self._update_locked(articles, hashes, manifest)
                    except (FileFormatError, FileNotFoundError, EOFError) as exc:
                        # A damaged generation (a segment file empty or gone) cannot take an edit; the index is
                        # derived data, so a fresh generation replaces it rather than the edit failing.
                        log.warning("search index generation unreadable (%s: %s); rebuilding it",
                                    type(exc).__name__, exc)
                        _close_left_behind(exc, self.current_generation())
                        return self._rebuild_locked(articles)
        except Timeout as exc:
            raise IndexBusy("the search index is being written by another process") from exc

    def _rebuild_locked(self, articles: list[Article]) -> SyncReport:
        name = f"gen-{time.time_ns()}-{os.getpid()}"
        generation = self.root / name
        previous = self.current_generation()
        background = None
        try:
            if embeddings.model_version() is not None and len(articles) >= EMBED_IN_BACKGROUND_FROM:
                background = embeddings.BackgroundEmbedding(articles)
            for lang in LANGUAGES:
                in_lang = [a for a in articles if a.lang == lang]
                grams, frequencies = spelling.encoded_articles(in_lang)
                self._write_language(generation / lang, lang, in_lang, grams)
                spelling.write_frequencies(spelling.frequencies_path(generation, lang), frequencies)
            vectors = background.result() if background is not None else None
            background = None
            for lang in LANGUAGES:
                self._write_vectors(generation, lang, [a for a in articles if a.lang == lang], vectors)
            self._write_manifest(generation, _article_hashes(articles), articles)
            _write_text_atomically(self.root / "CURRENT", name)
        except BaseException:
            if background is not None:
                background.cancel()
            shutil.rmtree(generation, ignore_errors=True)
            raise
        self._remove_old_generations(keep={name} | ({previous.name} if previous else set()))
        return SyncReport(rebuilt=True, added=len(articles))

    @staticmethod
    def _write_language(directory: Path, lang: str, articles: list[Article], grams: list[bytes]) -> None:
        """One language's word index of a new generation, in one segment or, when large, two written at once.

        Whoosh spends most of a large build in its own Python (analysis, posting pools), on one core. From
        PARALLEL_WRITE_FROM articles two sub-writer processes each write half into a segment of their own
        (Whoosh's MpWriter; the segments are kept as they are, not merged): on the 10,000-article benchmark
        the build went from 83 s to about 45 s of writing, beside the vectors' process. A sub-writer that
        died leaves documents out; the count is checked and the language written again in one process.
        """
        directory.mkdir(parents=True)
        parallel = len(articles) >= PARALLEL_WRITE_FROM
        while True:
            ix = whoosh_index.create_in(str(directory), build_schema(lang, per_field_layout(len(articles))))
            if parallel:
                # At most _PARALLEL_JOBS job files: they and the two stop marks fit Whoosh's job queue
                # (8 places), so adding never blocks, even on a sub-writer that died.
                batch = -(-len(articles) // _PARALLEL_JOBS)
                writer = ix.writer(procs=2, multisegment=True, batchsize=batch, limitmb=_BUILD_POOL_MB,
                                   compound=_COMPOUND_SEGMENTS)
            else:
                writer = ix.writer(limitmb=_BUILD_POOL_MB, compound=_COMPOUND_SEGMENTS)
            for article, encoded in zip(articles, grams):
                writer.add_document(**article_document(article, encoded))
            writer.commit()
            if ix.doc_count() == len(articles) or not parallel:
                return
            log.warning("search index: parallel write of %s gave %d of %d articles, writing it again in one process",
                        lang, ix.doc_count(), len(articles))
            parallel = False
            ix.close()
            for path in directory.iterdir():
                path.unlink()

    def _update_locked(self, articles: list[Article], hashes: dict, manifest: dict) -> SyncReport:
        generation = self.current_generation()
        indexed: dict = manifest.get("articles", {})
        by_slug = {a.slug: a for a in articles}
        # Set operations on the dict views: the comparison of 10,000 entries runs in C.
        changed = [by_slug[slug] for slug, _ in hashes.items() - indexed.items()]
        removed = [(slug, _lang_of(indexed[slug])) for slug in indexed.keys() - hashes.keys()]
        removed += [(a.slug, _lang_of(indexed[a.slug])) for a in changed
                    if a.slug in indexed and _lang_of(indexed[a.slug]) != a.lang]
        added = updated = deleted = 0
        for lang in LANGUAGES:
            changes = [a for a in changed if a.lang == lang]
            gone = [slug for slug, old_lang in removed if old_lang == lang]
            if not changes and not gone:
                continue
            ix = whoosh_index.open_dir(str(generation / lang))
            counted = [spelling.article_counts(a) for a in changes]
            frequencies = self._frequencies_before(generation, lang, ix).updated(
                removed=[spelling.stored_slots(g) for g in self._stored_grams(ix, gone + [a.slug for a in changes])],
                added=[slots for slots, _ in counted])
            new_grams = [spelling.encode(slots, counts, frequencies) for slots, counts in counted]
            writer = ix.writer(timeout=_WRITER_TIMEOUT_SECONDS, compound=_COMPOUND_SEGMENTS)
            try:
                for slug in gone:
                    writer.delete_by_term("slug", slug)
                for article, grams in zip(changes, new_grams):
                    writer.update_document(**article_document(article, grams))
                # No merge here: folding the small segments of recent edits together costs 200-400 ms
                # every few edits on 10,000 articles; merge_small_segments does it after the edit is served.
                writer.commit(merge=False)
            except BaseException:
                writer.cancel()
                raise
            spelling.write_frequencies(spelling.frequencies_path(generation, lang), frequencies)
            if embeddings.model_version() is not None:
                path = embeddings.vectors_path(generation, lang)
                embeddings.write_vectors(path, embeddings.updated_vectors(embeddings.read_vectors(path), gone, changes))
            deleted += len(gone)
            for article in changes:
                if article.slug in indexed:
                    updated += 1
                else:
                    added += 1
        self._write_manifest(generation, hashes, articles)
        return SyncReport(rebuilt=False, added=added, updated=updated, deleted=deleted)

    @staticmethod
    def _stored_grams(ix, slugs: list[str] | None = None) -> list[bytes]:
        """The letter-group counts the index holds now for these articles (before an edit replaces
        them), or for every article."""
        with ix.searcher() as searcher:
            column = searcher.reader().column_reader("grams")
            if slugs is None:
                return [column[docnum] for docnum in searcher.reader().all_doc_ids()]
            found = (searcher.document_number(slug=slug) for slug in slugs)
            return [column[docnum] for docnum in found if docnum is not None]

    @staticmethod
    def _frequencies_before(generation: Path, lang: str, ix) -> spelling.Frequencies:
        """The language's letter-group frequencies as the index holds them now. Without a readable file
        (a write interrupted between the articles and the file), they are counted again from the articles."""
        current = spelling.read_frequencies(spelling.frequencies_path(generation, lang))
        if current is not None:
            return current
        return spelling.Frequencies.of(spelling.stored_slots(g) for g in IndexStore._stored_grams(ix))

    @staticmethod
    def _write_vectors(generation: Path, lang: str, articles: list[Article],
                       computed: embeddings.VectorSet | None) -> None:
        if embeddings.model_version() is None:
            return  # without the model the search ranks by words alone
        vectors = (computed.subset([a.slug for a in articles]) if computed is not None
                   else embeddings.embed_articles(articles))
        embeddings.write_vectors(embeddings.vectors_path(generation, lang), vectors)

    def merge_small_segments(self, timeout: float = 1.0) -> int:
        """Fold the small segments that single-article edits leave into one (Whoosh's MERGE_SMALL), so
        searches do not slow down as edits pile up; the largest segment is left alone. Whoosh commits the
        merge atomically, so readers see the index before or after it. Returns how many languages had
        segments to merge; 0 when another process holds the writer lock (it will merge next time)."""
        merged = 0
        try:
            with self._lock().acquire(timeout=timeout):
                generation = self.current_generation()
                if generation is None:
                    return 0
                for lang in LANGUAGES:
                    ix = whoosh_index.open_dir(str(generation / lang))
                    if len(ix._segments()) <= 2:
                        continue
                    writer = ix.writer(timeout=_WRITER_TIMEOUT_SECONDS, compound=_COMPOUND_SEGMENTS)
                    try:
                        writer.commit(merge=True)
                    except (FileFormatError, FileNotFoundError, EOFError) as exc:
                        # An unreadable segment: the merge is skipped; the next edit's sync rebuilds the generation.
                        writer.cancel()
                        log.warning("search index segments not merged (%s: %s)", type(exc).__name__, exc)
                        _close_left_behind(exc, generation)
                        continue
                    merged += 1
        except Timeout:
            return 0
        return merged

    def _remove_old_generations(self, keep: set[str]) -> None:
        # The generation before the new one stays: a reader that opened it a moment ago may still use it.
        for path in self.root.glob("gen-*"):
            if path.is_dir() and path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)

    def document_count(self, lang: str | None = None) -> int:
        total = 0
        for code in LANGUAGES if lang is None else (lang,):
            ix = self.open_index(code)
            if ix is not None:
                total += ix.doc_count()
        return total


def _close_left_behind(exc: BaseException, directory: Path | None = None) -> None:
    """Close the files a failed Whoosh reader opened and never closed, without a ResourceWarning for each.

    They live on in the failed frames and in half-built reader objects; the frames are cleared and any file
    object still open below `directory` (the damaged generation) is closed. A rare path: a full walk of the
    collector's objects is fine here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        traceback.clear_frames(exc.__traceback__)
        if directory is not None:
            prefix = str(directory)
            for obj in gc.get_objects():
                if isinstance(obj, (io.BufferedReader, io.FileIO)) and not obj.closed \
                        and str(getattr(obj, "name", "")).startswith(prefix):
                    obj.close()
        gc.collect()


def _article_hashes(articles: Iterable[Article]) -> dict:
    """slug -> "lang:category/content hash": one flat string per article keeps comparing, reading
    and writing 10,000 of them cheap. The category is part of what is indexed but not of the
    file's bytes: moving a file changes it."""
    return {a.slug: f"{a.lang}:{a.category}/{a.content_hash}" for a in articles if a.published}


def _lang_of(indexed_hash: str) -> str:
    return indexed_hash.split(":", 1)[0]


@contextlib.contextmanager
def _collector_paused():
    """Keep Python's cyclic garbage collector out of a single-article re-index.

    A full collection over a worker that holds 10,000 articles and the analysis caches takes
    100-300 ms and may start in any allocation; an edit makes little cyclic garbage, so the
    collection can wait the ~100 ms until the update is written.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _file_key(path: Path) -> tuple:
    stat = path.stat()
    return (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _write_text_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _write_json_atomically(path: Path, data: dict) -> None:
    _write_text_atomically(path, json.dumps(data, separators=(",", ":")))
