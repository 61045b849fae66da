"""Search-quality benchmark: does the customer find the answer? Word ranking beside the fused ones.

Run from the repository root:

    .venv/bin/python bench/search_quality.py [--content DIR] [--verbose] [--markdown] [--whoosh]

Six query sets, each row a query a customer might type, labelled with the one article that
answers it best: bench/search_quality_queries.tsv (the old set, the one the ranking was tuned
on), bench/search_quality_queries_customers.tsv (written from the customers' side before looking
at any result; the fusion weights were then chosen on the old set and the even lines of this set,
so its odd lines are the held-out half, reported on their own), and four blind sets, each written
from the articles alone by someone who saw no search result nor the other sets:
bench/search_quality_queries_blind2.tsv, bench/search_quality_queries_blind3.tsv (committed before
the spelling vote was first measured on it; its misses were read after that, so it is no longer blind),
bench/search_quality_queries_blind4.tsv (committed before the coverage-weighted word vote was
measured on it) and bench/search_quality_queries_blind5.tsv (support-chatbot messages: imperatives,
typos, slang, order numbers; committed before any ranking was measured on it). An English row may name the German
article: the English article whose front matter says `translation: <that slug>` is then the answer.

For every set, language and kind: R@1, R@3 and MRR (over the top 10) of three rankings side by
side: the word ranking alone ("words", HELPCENTER_SEARCH_SEMANTIC=off, the ranking before sentence
vectors), words fused with meaning ("+meaning", HELPCENTER_SEARCH_SPELLING=off, the default before
the spelling vote) and the default ("fused": words, meaning and spelling). --whoosh adds
out-of-the-box Whoosh as a further column.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import frontmatter
from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.query import Term

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, sys.path[0] is bench/; the app package lives one level up.
sys.path.insert(0, str(ROOT))

QUERIES_FILE = Path(__file__).resolve().parent / "search_quality_queries.tsv"
CUSTOMER_QUERIES_FILE = Path(__file__).resolve().parent / "search_quality_queries_customers.tsv"
HEADER = ["kind", "lang", "query", "expected_slug"]
HEADER_LINE = "\t".join(HEADER)
KINDS = ["colloquial", "typo", "umlaut", "compound", "synonym", "question", "english",
         "paraphrase", "problem", "chat", "short"]
LANGUAGES = ("de", "en")
TOP_K = 10
EXIT_BAD_QUERIES = 2

SearchFn = Callable[[str, str], list[str]]


@dataclass(frozen=True)
class Query:
    line: int
    kind: str
    lang: str
    text: str
    expected: str


@dataclass(frozen=True)
class Article:
    slug: str
    lang: str
    title: str
    summary: str
    tags: str
    body: str
    translation: str = ""


@dataclass(frozen=True)
class Scores:
    n: int
    r1: float
    r3: float
    mrr: float


@dataclass(frozen=True)
class BlindSet:
    """A query set written from the articles alone by someone who saw no search result nor the other sets."""

    option: str  # its command-line option, --<option> <path>
    file: Path
    label: str
    help: str


_BENCH = Path(__file__).resolve().parent
# Nothing was chosen on a blind set before it was measured: each measures what a change does to queries
# nobody tuned for. The label says when it was written (and so which change it first judged).
BLIND_SETS = (
    BlindSet("blind", _BENCH / "search_quality_queries_blind2.tsv", "blind set 2 (never tuned on)",
             "the second blind set, never tuned on"),
    BlindSet("blind3", _BENCH / "search_quality_queries_blind3.tsv",
             "blind set 3 (never tuned on; written before the spelling vote was measured)",
             "the third blind set, never tuned on"),
    BlindSet("blind4", _BENCH / "search_quality_queries_blind4.tsv",
             "blind set 4 (never tuned on; written before the coverage-weighted word vote was measured)",
             "the fourth blind set, never tuned on"),
    BlindSet("blind5", _BENCH / "search_quality_queries_blind5.tsv",
             "blind set 5 (never tuned on; support-chatbot messages)", "the fifth blind set, never tuned on"),
)


class BadQueryFile(Exception):
    """The TSV cannot be evaluated; the message lists every problem."""


# Input ------------------------------------------------------------------------------------------

def load_queries(path: Path) -> list[Query]:
    """Read the TSV; format problems are collected and raised together."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].split("\t") != HEADER:
        raise BadQueryFile(f"{path}: first line must be the header {HEADER_LINE!r}")
    queries, problems = [], []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        # Split by hand rather than with csv: queries may contain quote characters.
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) != len(HEADER) or not all(fields):
            problems.append(f"line {number}: expected {len(HEADER)} non-empty tab-separated fields")
            continue
        kind, lang, text, expected = fields
        if kind not in KINDS:
            problems.append(f"line {number}: unknown kind {kind!r}")
        if lang not in LANGUAGES:
            problems.append(f"line {number}: lang must be de or en, got {lang!r}")
        queries.append(Query(number, kind, lang, text, expected))
    if problems:
        raise BadQueryFile("\n".join(problems))
    return queries


def _tags_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


def load_articles(content_dir: Path) -> list[Article]:
    """Published articles as the app sees them: <category>/<slug>.md, lang 'de' and status
    'published' when the front matter does not say otherwise."""
    articles = []
    for folder in sorted(p for p in content_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        for path in sorted(folder.glob("*.md")):
            if path.name == "_index.md":
                continue
            try:
                post = frontmatter.loads(path.read_text(encoding="utf-8"))
            except Exception as exc:  # a broken article is the content checker's business, not ours
                print(f"warning: skipping {path}: {exc}", file=sys.stderr)
                continue
            meta = post.metadata
            if str(meta.get("status") or "published") != "published":
                continue
            articles.append(Article(
                slug=path.stem,
                lang=str(meta.get("lang") or "de"),
                title=str(meta.get("title") or ""),
                summary=str(meta.get("summary") or ""),
                tags=_tags_text(meta.get("tags")),
                body=post.content,
                translation=str(meta.get("translation") or ""),
            ))
    return articles


def validate_queries(queries: list[Query], articles: list[Article]) -> tuple[list[Query], list[str]]:
    """Every expected slug must be a published article in the query's language, or a German
    article whose English translation exists (for an English query). Returns the queries with
    such slugs resolved to the English article, and warnings for English rows whose German
    article has no English version yet (skipped: no search could answer them)."""
    lang_of = {a.slug: a.lang for a in articles}
    english_of = {a.translation: a.slug for a in articles if a.lang == "en" and a.translation}
    problems, resolved, warnings = [], [], []
    for q in queries:
        if q.expected not in lang_of:
            problems.append(f"line {q.line}: unknown expected slug {q.expected!r} (query {q.text!r})")
        elif lang_of[q.expected] == q.lang:
            resolved.append(q)
        elif q.lang == "en" and q.expected in english_of:
            resolved.append(Query(q.line, q.kind, q.lang, q.text, english_of[q.expected]))
        elif q.lang == "en" and lang_of[q.expected] == "de":
            warnings.append(f"line {q.line}: {q.expected!r} has no English version yet, query skipped")
        else:
            # The search filters by language, so such a query could never be answered.
            problems.append(f"line {q.line}: {q.expected!r} is a {lang_of[q.expected]!r} article "
                            f"but the query is {q.lang!r}")
    if problems:
        raise BadQueryFile("\n".join(problems))
    return resolved, warnings


# The two systems ----------------------------------------------------------------------------------

def build_ours(content_dir: Path, work_dir: Path, semantic: bool = True, spelling: bool = True) -> SearchFn:
    """Our search, built and queried only through the app's CLI and JSON API."""
    from app import create_app
    from app.api.schemas import MAX_QUERY_LENGTH
    from app.extensions import db

    work_dir.mkdir(parents=True, exist_ok=True)
    app = create_app({
        "HELPCENTER_CONTENT_DIR": str(content_dir),
        "HELPCENTER_INDEX_DIR": str(work_dir / "index"),
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(work_dir / "bench.db"),
        "TESTING": True,
        "SECRET_KEY": "search-quality-bench",
        # ~170 queries in a few seconds would otherwise hit the API's per-minute limit.
        "RATELIMIT_ENABLED": False,
        "HELPCENTER_SEARCH_SEMANTIC": semantic,
        "HELPCENTER_SEARCH_SPELLING": spelling,
    })
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    client = app.test_client()

    def search(query: str, lang: str) -> list[str]:
        # A longer message is cut where the search box cuts it (maxlength) and the contact form's suggestions do.
        query = query[:MAX_QUERY_LENGTH]
        # log=0: benchmark queries are not customer searches and must not go into the insights.
        response = client.get("/api/search", query_string={"q": query, "lang": lang, "limit": TOP_K, "log": "0"})
        if response.status_code != 200:
            raise RuntimeError(f"/api/search answered {response.status_code} for {query!r}: "
                               f"{response.get_data(as_text=True)[:300]}")
        return [hit["slug"] for hit in response.get_json()["results"]]

    return search


def build_baseline(articles: list[Article], index_dir: Path) -> SearchFn:
    """What a naive implementation gets: default analyzer, default BM25F, no boosts, no tuning."""
    schema = Schema(slug=ID(stored=True), lang=ID, title=TEXT(), summary=TEXT(), tags=TEXT(), body=TEXT())
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(index_dir), schema)
    writer = ix.writer()
    for a in articles:
        writer.add_document(slug=a.slug, lang=a.lang, title=a.title, summary=a.summary, tags=a.tags, body=a.body)
    writer.commit()
    parser = MultifieldParser(["title", "summary", "tags", "body"], schema, group=OrGroup)
    searcher = ix.searcher()

    def search(query: str, lang: str) -> list[str]:
        try:
            results = searcher.search(parser.parse(query), limit=TOP_K, filter=Term("lang", lang))
        except Exception:  # the naive parser chokes on some punctuation: that is a miss
            return []
        return [hit["slug"] for hit in results]

    return search


# Scoring ----------------------------------------------------------------------------------------

def evaluate(queries: list[Query], search: SearchFn) -> list[tuple[Query, int | None, list[str]]]:
    """For each query: the 1-based rank of the expected slug in the top 10 (None if absent)."""
    outcomes = []
    for q in queries:
        ranked = search(q.text, q.lang)[:TOP_K]
        rank = ranked.index(q.expected) + 1 if q.expected in ranked else None
        outcomes.append((q, rank, ranked))
    return outcomes


def summarise(ranks: list[int | None]) -> Scores:
    n = len(ranks)
    if not n:
        return Scores(0, 0.0, 0.0, 0.0)
    return Scores(
        n=n,
        r1=sum(1 for r in ranks if r == 1) / n,
        r3=sum(1 for r in ranks if r is not None and r <= 3) / n,
        mrr=sum(1 / r for r in ranks if r is not None) / n,
    )


def scores_by_kind(outcomes) -> dict[str, Scores]:
    kinds = [k for k in KINDS if any(q.kind == k for q, _, _ in outcomes)]
    table = {k: summarise([rank for q, rank, _ in outcomes if q.kind == k]) for k in kinds}
    table["overall"] = summarise([rank for _, rank, _ in outcomes])
    return table


def scores_by_language_and_kind(outcomes) -> dict[str, Scores]:
    """Rows "de colloquial", "de overall", "en chat", …, "all overall"."""
    table: dict[str, Scores] = {}
    for lang in LANGUAGES:
        in_lang = [o for o in outcomes if o[0].lang == lang]
        if in_lang:
            table.update({f"{lang} {kind}": s for kind, s in scores_by_kind(in_lang).items()})
    table["all overall"] = summarise([rank for _, rank, _ in outcomes])
    return table


# Output -----------------------------------------------------------------------------------------

def print_table(columns: dict[str, dict[str, Scores]], markdown: bool = False) -> None:
    """One row per language and kind; per system R@1, R@3, MRR side by side."""
    names = list(columns)
    rows = list(next(iter(columns.values())))
    if markdown:
        print("| lang / kind | n | " + " | ".join(f"{n} R@1 | {n} R@3 | {n} MRR" for n in names) + " |")
        print("|---|---:|" + "---:|" * (3 * len(names)))
        for row in rows:
            label = f"**{row}**" if row.endswith("overall") else row
            cells = " | ".join(f"{columns[n][row].r1:.3f} | {columns[n][row].r3:.3f} | {columns[n][row].mrr:.3f}"
                               for n in names)
            print(f"| {label} | {columns[names[0]][row].n} | {cells} |")
        return
    print(f"{'lang / kind':<16} {'n':>4} " + " | ".join(f"{n + ' R@1':>10} {'R@3':>5} {'MRR':>5}" for n in names))
    for row in rows:
        cells = " | ".join(f"{columns[n][row].r1:>10.3f} {columns[n][row].r3:>5.3f} {columns[n][row].mrr:>5.3f}"
                           for n in names)
        print(f"{row:<16} {columns[names[0]][row].n:>4} {cells}")


def print_misses(label: str, outcomes) -> None:
    misses = [(q, rank, ranked) for q, rank, ranked in outcomes if rank != 1]
    print(f"\n{label}: {len(misses)} queries without the expected article first")
    for q, rank, ranked in misses:
        where = f"rank {rank}" if rank else "not in top 10"
        top3 = ", ".join(ranked[:3]) or "(no results)"
        print(f"  [{q.kind}/{q.lang}] {q.text!r} -> expected {q.expected} ({where}); top 3: {top3}")


# The fusion weights (WORDS_WEIGHT … SPELLING_WEIGHT, RRF_K in app/search/engine.py) were chosen on the old set and the even
# lines of the customers' set; its odd lines were never looked at while choosing: they are the held-out half.
CUSTOMERS_LABEL = "customers' set (weights chosen on its even lines; odd lines held out)"


def print_halves(outcomes: dict, markdown: bool) -> None:
    """R@3 per language on the even lines (used to choose weights) and the odd lines (held out)."""
    rows = []
    for name, found in outcomes.items():
        for lang in LANGUAGES:
            halves = [summarise([rank for q, rank, _ in found if q.lang == lang and q.line % 2 == parity])
                      for parity in (0, 1)]
            rows.append(f"{name} {lang}: even lines R@3 {halves[0].r3:.3f} (n={halves[0].n}), "
                        f"odd lines (held out) R@3 {halves[1].r3:.3f} (n={halves[1].n})")
    print()
    for row in rows:
        print(f"* {row}" if markdown else row)


def query_sets(args) -> list[tuple[str, Path]]:
    if args.queries:
        return [(Path(path).name, Path(path)) for path in args.queries]
    sets = [("old set (tuned on)", QUERIES_FILE)]
    customers = Path(args.customers)
    if customers.is_file():
        sets.append((CUSTOMERS_LABEL, customers))
    else:
        print(f"note: {customers} does not exist yet; only the old set is measured", file=sys.stderr)
    for blind in BLIND_SETS:
        path = Path(getattr(args, blind.option))
        if path.is_file():
            sets.append((blind.label, path))
    return sets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", default=str(ROOT / "content"), help="content directory (default: content/)")
    parser.add_argument("--queries", action="append", help=argparse.SUPPRESS)
    parser.add_argument("--customers", default=str(CUSTOMER_QUERIES_FILE), help="the customers' query set")
    for blind in BLIND_SETS:
        parser.add_argument(f"--{blind.option}", default=str(blind.file), help=blind.help)
    parser.add_argument("--verbose", action="store_true", help="print every miss with the top 3 returned")
    parser.add_argument("--markdown", action="store_true", help="print the tables as markdown (for the README)")
    parser.add_argument("--whoosh", action="store_true", help="add out-of-the-box Whoosh as a third column")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    content_dir = Path(args.content).resolve()
    if not content_dir.is_dir():
        print(f"error: content directory {content_dir} does not exist", file=sys.stderr)
        return EXIT_BAD_QUERIES
    articles = load_articles(content_dir)
    loaded = []
    for label, path in query_sets(args):
        try:
            queries, warnings = validate_queries(load_queries(path), articles)
        except (BadQueryFile, OSError) as exc:
            print(f"error: {path} cannot be evaluated against {content_dir}:\n{exc}", file=sys.stderr)
            return EXIT_BAD_QUERIES
        for warning in warnings:
            print(f"warning: {path.name} {warning}", file=sys.stderr)
        loaded.append((label, path, queries))

    with tempfile.TemporaryDirectory(prefix="search-quality-") as tmp:
        work = Path(tmp)
        systems = {"words": build_ours(content_dir, work / "words", semantic=False),
                   "+meaning": build_ours(content_dir, work / "meaning", semantic=True, spelling=False),
                   "fused": build_ours(content_dir, work / "fused", semantic=True)}
        if args.whoosh:
            systems["whoosh"] = build_baseline(articles, work / "whoosh")
        results = [(label, path, queries, {name: evaluate(queries, search) for name, search in systems.items()})
                   for label, path, queries in loaded]

    for label, path, queries, outcomes in results:
        heading = f"{label}: {path.name}, {len(queries)} queries, {len(articles)} published articles"
        print(f"\n### {heading}\n" if args.markdown else f"\n{heading}")
        print_table({name: scores_by_language_and_kind(o) for name, o in outcomes.items()}, markdown=args.markdown)
        if label == CUSTOMERS_LABEL:
            print_halves(outcomes, args.markdown)
        if args.verbose:
            for name, o in outcomes.items():
                print_misses(f"{label} / {name}", o)
    if not args.markdown:
        print(f"\nfinished in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
