"""Search-quality benchmark: our help search against out-of-the-box Whoosh on labelled queries.

Run from the repository root:

    .venv/bin/python bench/search_quality.py [--content DIR] [--verbose] [--markdown]

Each row of bench/search_quality_queries.tsv is a query a customer might type, labelled with the
one article that answers it best. Both systems index the same published articles; for every
query kind we report R@1, R@3 and MRR (over the top 10).
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
HEADER = ["kind", "lang", "query", "expected_slug"]
HEADER_LINE = "\t".join(HEADER)
KINDS = ["colloquial", "typo", "umlaut", "compound", "synonym", "question", "english"]
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


@dataclass(frozen=True)
class Scores:
    n: int
    r1: float
    r3: float
    mrr: float


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
            ))
    return articles


def validate_queries(queries: list[Query], articles: list[Article]) -> None:
    """Every expected slug must be a published article in the query's language."""
    lang_of = {a.slug: a.lang for a in articles}
    problems = []
    for q in queries:
        if q.expected not in lang_of:
            problems.append(f"line {q.line}: unknown expected slug {q.expected!r} (query {q.text!r})")
        elif lang_of[q.expected] != q.lang:
            # The search filters by language, so such a query could never be answered.
            problems.append(f"line {q.line}: {q.expected!r} is a {lang_of[q.expected]!r} article "
                            f"but the query is {q.lang!r}")
    if problems:
        raise BadQueryFile("\n".join(problems))


# The two systems ----------------------------------------------------------------------------------

def build_ours(content_dir: Path, work_dir: Path) -> SearchFn:
    """Our search, built and queried only through the app's CLI and JSON API."""
    from app import create_app
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
    })
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    client = app.test_client()

    def search(query: str, lang: str) -> list[str]:
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


# Output -----------------------------------------------------------------------------------------

def print_table(ours: dict[str, Scores], baseline: dict[str, Scores], markdown: bool = False) -> None:
    if markdown:
        print("| kind | n | ours R@1 | ours R@3 | ours MRR | Whoosh R@1 | Whoosh R@3 | Whoosh MRR |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for kind, s in ours.items():
            b = baseline[kind]
            name = f"**{kind}**" if kind == "overall" else kind
            print(f"| {name} | {s.n} | {s.r1:.3f} | {s.r3:.3f} | {s.mrr:.3f} "
                  f"| {b.r1:.3f} | {b.r3:.3f} | {b.mrr:.3f} |")
        return
    print(f"{'kind':<11} {'n':>4}   {'ours R@1':>8} {'R@3':>5} {'MRR':>5} | {'whoosh R@1':>10} {'R@3':>5} {'MRR':>5}")
    for kind, s in ours.items():
        b = baseline[kind]
        print(f"{kind:<11} {s.n:>4}   {s.r1:>8.3f} {s.r3:>5.3f} {s.mrr:>5.3f} | "
              f"{b.r1:>10.3f} {b.r3:>5.3f} {b.mrr:>5.3f}")


def print_misses(label: str, outcomes) -> None:
    misses = [(q, rank, ranked) for q, rank, ranked in outcomes if rank != 1]
    print(f"\n{label}: {len(misses)} queries without the expected article first")
    for q, rank, ranked in misses:
        where = f"rank {rank}" if rank else "not in top 10"
        top3 = ", ".join(ranked[:3]) or "(no results)"
        print(f"  [{q.kind}/{q.lang}] {q.text!r} -> expected {q.expected} ({where}); top 3: {top3}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", default=str(ROOT / "content"), help="content directory (default: content/)")
    parser.add_argument("--queries", default=str(QUERIES_FILE), help=argparse.SUPPRESS)
    parser.add_argument("--verbose", action="store_true", help="print every miss with the top 3 returned")
    parser.add_argument("--markdown", action="store_true", help="print the table as markdown (for the README)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    content_dir = Path(args.content).resolve()
    if not content_dir.is_dir():
        print(f"error: content directory {content_dir} does not exist", file=sys.stderr)
        return EXIT_BAD_QUERIES
    articles = load_articles(content_dir)
    try:
        queries = load_queries(Path(args.queries))
        validate_queries(queries, articles)
    except BadQueryFile as exc:
        print(f"error: {args.queries} cannot be evaluated against {content_dir}:\n{exc}", file=sys.stderr)
        return EXIT_BAD_QUERIES

    with tempfile.TemporaryDirectory(prefix="search-quality-") as tmp:
        work = Path(tmp)
        ours = evaluate(queries, build_ours(content_dir, work / "ours"))
        baseline = evaluate(queries, build_baseline(articles, work / "whoosh"))

    if not args.markdown:
        print(f"{len(queries)} queries, {len(articles)} published articles in {content_dir}\n")
    print_table(scores_by_kind(ours), scores_by_kind(baseline), markdown=args.markdown)
    if args.verbose:
        print_misses("ours", ours)
        print_misses("whoosh", baseline)
    if not args.markdown:
        print(f"\nfinished in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
