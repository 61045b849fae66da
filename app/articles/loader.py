"""Read the content tree (categories, articles, synonyms) and report every broken file."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import yaml

from app.articles.rendering import TocEntry, render_markdown

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGES = ("de", "en")
STATUSES = ("published", "draft")
SYNONYMS_FILE = "synonyme.txt"
# Names the shop uses (payment methods, carriers, brands) that typo repair must never "correct".
NAMES_FILE = "eigennamen.txt"
TREE_FILES = (SYNONYMS_FILE, NAMES_FILE)


@dataclass(frozen=True)
class Problem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class Category:
    slug: str
    title: str
    description: str
    order: int
    title_en: str
    description_en: str

    def title_for(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title

    def description_for(self, lang: str) -> str:
        return self.description_en if lang == "en" and self.description_en else self.description


@dataclass(frozen=True)
class Article:
    slug: str
    category: str
    title: str
    summary: str
    tags: tuple[str, ...]
    lang: str
    order: int
    status: str
    updated: dt.date | None
    related: tuple[str, ...]
    body_html: str
    toc: tuple[TocEntry, ...]
    text: str
    path: str
    content_hash: str
    # An English article names the German article it renders for English customers (its `translation`).
    translation: str | None = None
    # How customers ask for this answer in their own words ("geld noch nicht da", "jacke zu eng"):
    # searched like tags and compared by meaning, never shown on the page.
    questions: tuple[str, ...] = ()

    @property
    def published(self) -> bool:
        return self.status == "published"

    @property
    def headings(self) -> tuple[str, ...]:
        return tuple(entry.title for entry in self.toc)


@dataclass(frozen=True)
class Page:
    name: str
    title: str
    body_html: str


@dataclass
class ContentTree:
    root: str
    categories: dict[str, Category] = field(default_factory=dict)
    articles: dict[str, Article] = field(default_factory=dict)
    synonyms: tuple[tuple[str, ...], ...] = ()
    names: tuple[str, ...] = ()
    problems: list[Problem] = field(default_factory=list)

    @property
    def published(self) -> list[Article]:
        return [a for a in self.articles.values() if a.published]


class ArticleError(ValueError):
    """A file that cannot be served; the message is the reason shown to editors."""


_ArticleError = ArticleError


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root))


def _as_int(value, name: str) -> int:
    if value is None:
        return 1000
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ArticleError(f"'{name}' must be a whole number")
    return value


def _as_date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise _ArticleError("'updated' must be a date like 2026-10-15") from exc


def _as_str_list(value, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise _ArticleError(f"'{name}' must be a list of words")
    return tuple(str(v).strip() for v in value if str(v).strip())


MAX_QUESTIONS = 30
MAX_QUESTION_LENGTH = 200


def _as_text_list(value, name: str) -> tuple[str, ...]:
    """A list of short texts (customers' questions): at most MAX_QUESTIONS of MAX_QUESTION_LENGTH characters."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _ArticleError(f"'{name}' must be a list of texts")
    texts = tuple(dict.fromkeys(" ".join(v.split()) for v in value if v.strip()))
    if len(texts) > MAX_QUESTIONS:
        raise _ArticleError(f"'{name}' may hold at most {MAX_QUESTIONS} entries, got {len(texts)}")
    if any(len(t) > MAX_QUESTION_LENGTH for t in texts):
        raise _ArticleError(f"each entry of '{name}' may be at most {MAX_QUESTION_LENGTH} characters")
    return texts


def _read_front_matter(path: Path):
    try:
        return _front_matter(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise _ArticleError("file is not UTF-8 text") from exc


def _front_matter(text: str):
    try:
        return frontmatter.loads(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise _ArticleError(f"front matter is not valid YAML{where}") from exc


def _required_text(meta: dict, name: str) -> str:
    value = meta.get(name)
    if not isinstance(value, (str, int, float)) or not str(value).strip():
        raise _ArticleError(f"'{name}' is missing")
    return str(value).strip()


def _parse_category(path: Path, slug: str) -> Category:
    return _category_from(_read_front_matter(path), slug)


def parse_category_source(text: str, slug: str) -> Category:
    """A category from the text of its _index.md (ArticleError when it cannot be served)."""
    return _category_from(_front_matter(text), slug)


def _category_from(post, slug: str) -> Category:
    return Category(
        slug=slug,
        title=_required_text(post.metadata, "title"),
        description=str(post.metadata.get("description") or "").strip(),
        order=_as_int(post.metadata.get("order"), "order"),
        title_en=str(post.metadata.get("title_en") or "").strip(),
        description_en=str(post.metadata.get("description_en") or "").strip(),
    )


def _parse_article(path: Path, category: str, default_lang: str) -> Article:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _ArticleError("file is not UTF-8 text") from exc
    return parse_article_source(text, path.stem, category, default_lang, str(path))


def parse_article_source(text: str, slug: str, category: str, default_lang: str, path: str) -> Article:
    """An article from the whole text of its markdown file; ArticleError (its reason for editors) otherwise."""
    raw = text.encode("utf-8")
    post = _front_matter(text)
    meta = post.metadata
    lang = str(meta.get("lang") or default_lang)
    if lang not in LANGUAGES:
        raise _ArticleError(f"'lang' must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    status = str(meta.get("status") or "published")
    if status not in STATUSES:
        raise _ArticleError(f"'status' must be one of {', '.join(STATUSES)}, got {status!r}")
    translation = _translation_of(meta.get("translation"))
    rendered = render_markdown(post.content)
    return Article(
        slug=slug,
        category=category,
        title=_required_text(meta, "title"),
        summary=_required_text(meta, "summary"),
        tags=_as_str_list(meta.get("tags"), "tags"),
        lang=lang,
        order=_as_int(meta.get("order"), "order"),
        status=status,
        updated=_as_date(meta.get("updated")),
        related=_as_str_list(meta.get("related"), "related"),
        body_html=rendered.html,
        toc=rendered.toc,
        text=rendered.text,
        path=path,
        content_hash=hashlib.sha256(raw).hexdigest(),
        translation=translation,
        questions=_as_text_list(meta.get("questions"), "questions"),
    )


ORIGINAL_LANG = "de"
TRANSLATED_LANG = "en"


def _translation_of(value) -> str | None:
    # A wrong target is a reported problem (link_translations), not a reason to stop serving the article.
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _ArticleError("'translation' must be the slug of the German original, e.g. bestellung-stornieren")
    return value.strip()


@dataclass(frozen=True)
class Translations:
    """Which English article renders which German one; only links that pass the rules below are served."""

    english_of: dict[str, str]
    german_of: dict[str, str]
    problems: tuple[Problem, ...]


def link_translations(articles: dict[str, Article]) -> Translations:
    """Pair every English article with the German original it names; broken links become problems.

    Rules (the editor's save applies the same): the original exists, is German, is not the article itself,
    lives in the same category, and no other English article already renders it (the first by slug keeps it).
    """
    english_of: dict[str, str] = {}
    german_of: dict[str, str] = {}
    problems: list[Problem] = []
    for article in sorted(articles.values(), key=lambda a: a.slug):
        target = article.translation
        if target is None:
            continue
        original = articles.get(target)
        if article.lang != TRANSLATED_LANG:
            reason = "only an English article names its German original in 'translation'"
        elif target == article.slug:
            reason = "'translation' names the article itself; it must name the German original"
        elif original is None:
            reason = f"'translation' names an unknown article: {target}"
        elif original.lang != ORIGINAL_LANG:
            reason = f"'translation' must name a German article, {target} is '{original.lang}'"
        elif original.category != article.category:
            reason = f"'translation' {target} lives in category {original.category}; both belong in one folder"
        elif target in english_of:
            reason = f"{target} already has an English version: {english_of[target]}"
        else:
            english_of[target] = article.slug
            german_of[article.slug] = target
            continue
        problems.append(Problem(article.path, reason))
    return Translations(english_of, german_of, tuple(problems))


def parse_synonyms(text: str) -> tuple[tuple[str, ...], ...]:
    """Parse the editors' synonym list: one comma-separated group per line, '#' starts a comment."""
    groups = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        terms = tuple(dict.fromkeys(t.strip() for t in line.split(",") if t.strip()))
        if len(terms) >= 2:
            groups.append(terms)
    return tuple(groups)


def parse_names(text: str) -> tuple[str, ...]:
    """Parse the editors' list of names: one name per line ("Apple Pay" is one name), '#' starts a comment."""
    names = []
    for line in text.splitlines():
        name = " ".join(line.split("#", 1)[0].split())
        if name:
            names.append(name)
    return tuple(dict.fromkeys(names))


MAX_NAME_CHARS = 60


def name_problems(names) -> list[Problem]:
    """What `content check` reports about eigennamen.txt: lines that cannot be a name."""
    problems = []
    for name in names:
        if not any(c.isalpha() for c in name):
            problems.append(Problem(NAMES_FILE, f"{name!r} is not a name (no letter)"))
        elif len(name) > MAX_NAME_CHARS:
            problems.append(Problem(NAMES_FILE, f"{name[:20]!r}… is longer than {MAX_NAME_CHARS} characters"))
    return problems


def load_content(root: str | Path, default_lang: str = "de") -> ContentTree:
    """Load every category and article below root; broken files land in tree.problems."""
    root = Path(root)
    tree = ContentTree(root=str(root))
    if not root.is_dir():
        tree.problems.append(Problem(str(root), "content directory does not exist"))
        return tree

    synonyms_path = root / SYNONYMS_FILE
    if synonyms_path.is_file():
        try:
            tree.synonyms = parse_synonyms(synonyms_path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            tree.problems.append(Problem(SYNONYMS_FILE, "file is not UTF-8 text"))
    names_path = root / NAMES_FILE
    if names_path.is_file():
        try:
            tree.names = parse_names(names_path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            tree.problems.append(Problem(NAMES_FILE, "file is not UTF-8 text"))

    for stray in sorted(root.glob("*.md")):
        tree.problems.append(Problem(_relative(stray, root), "articles belong in a category folder"))

    seen_at: dict[str, str] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        if not SLUG_PATTERN.match(folder.name):
            tree.problems.append(Problem(_relative(folder, root), "folder name must be lowercase a-z, 0-9 and '-'"))
            continue
        index_file = folder / "_index.md"
        try:
            if not index_file.is_file():
                raise _ArticleError("category has no _index.md")
            tree.categories[folder.name] = _parse_category(index_file, folder.name)
        except _ArticleError as exc:
            tree.problems.append(Problem(_relative(index_file, root), str(exc)))
            tree.categories[folder.name] = Category(folder.name, folder.name.replace("-", " ").title(), "", 1000, "", "")

        for path in sorted(folder.glob("*.md")):
            if path.name == "_index.md":
                continue
            rel = _relative(path, root)
            if not SLUG_PATTERN.match(path.stem):
                tree.problems.append(Problem(rel, "file name must be lowercase a-z, 0-9 and '-' (it becomes the URL)"))
                continue
            if path.stem in seen_at:
                tree.problems.append(Problem(rel, f"duplicate slug '{path.stem}', already used by {seen_at[path.stem]}"))
                continue
            try:
                article = _parse_article(path, folder.name, default_lang)
            except _ArticleError as exc:
                tree.problems.append(Problem(rel, str(exc)))
                continue
            seen_at[path.stem] = rel
            tree.articles[article.slug] = article

    for article in list(tree.articles.values()):
        unknown = [slug for slug in article.related if slug not in tree.articles]
        if unknown:
            rel = _relative(Path(article.path), root)
            tree.problems.append(Problem(rel, f"unknown related slug(s): {', '.join(unknown)}"))
    tree.problems.extend(Problem(_relative(Path(p.path), root), p.reason)
                         for p in link_translations(tree.articles).problems)
    return tree


PAGES_FOLDER = "_seiten"


@functools.lru_cache(maxsize=16)
def _load_page_cached(path: str, mtime_ns: int) -> Page | None:
    try:
        post = _read_front_matter(Path(path))
        return Page(Path(path).stem, _required_text(post.metadata, "title"), render_markdown(post.content).html)
    except _ArticleError:
        return None


def load_page(root: str | Path, name: str) -> Page | None:
    """Load content/_seiten/<name>.md (Impressum, Datenschutz), or None if missing or broken."""
    if not SLUG_PATTERN.match(name):
        return None
    path = Path(root) / PAGES_FOLDER / f"{name}.md"
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    return _load_page_cached(str(path), mtime)
