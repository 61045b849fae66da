"""Proposed synonyms from the search log: searches that found nothing or were left without a click, paired with the
article the same visit opened next (search_log.next_slug, noted by app/insights/service.py record_follow_up).

A pair is proposed when at least `min_visits` different visits made it (one person's path is no proposal) in the
last `days`. Queries are grouped as promoted results match them (folded words, any order). Nothing personal is
read: the logged query is already masked, and a query with a masked part ("[Nummer]") is never proposed.

"Als Kundenfrage übernehmen" adds the customers' words to the article's questions (front matter `questions`):
a new version of the article, published as any change is (or waiting for review), found by words and meaning.
"Übernehmen" makes the customers' words a synonym of the article's main search word: the query joins the synonym
group of that word (or the group the query is in takes the word, or both start a new group), so every article
about it is found, not only this one. The main search word is the article's first tag unless the editor picks
another of its tags or its title. "Stattdessen anheften" takes the pair as a promoted result instead (exactly these
words show the article first). "Verwerfen" hides the pair for good. All are stored and audited; the caller commits.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.articles.loader import SYNONYMS_FILE
from app.articles.tree_files import KINDS, changed_source, check_members, normalise_phrase, save_tree_file, stored_file
from app.audit.trail import record
from app.core.errors import InvalidInput, NotFound
from app.curation.files import describe
from app.curation.pins import pin
import frontmatter

from app.articles import store
from app.articles.loader import MAX_QUESTIONS
from app.editorial.articles import Settings, ensure_articles_in_database, publish, writable_row
from app.extensions import db
from app.insights.models import SearchLog, utcnow
from app.search.analysis import words
from app.search.models import SynonymProposalDecision
from app.search.promotions import normalise_query

WINDOW_DAYS = 30
MIN_VISITS = 2
SHOWN = 50


@dataclass(frozen=True)
class Proposal:
    lang: str
    key: str
    query: str  # the latest wording customers used
    slug: str
    title: str
    visits: int
    found_nothing: int  # of those visits, how many searched without any result
    last_seen: dt.datetime
    terms: tuple[str, ...]  # the article's words the query may join, the default first


def synonym_phrase(query: str) -> str:
    """The customers' words as a synonym member: words only (no commas, '#' or punctuation)."""
    return " ".join(words(query))


def article_terms(article) -> tuple[str, ...]:
    """What the query may become a synonym of: the article's tags (its search words), then its title."""
    found = []
    seen = set()
    for term in (*article.tags, article.title):
        term = synonym_phrase(str(term))
        key = normalise_phrase(term)
        if term and key not in seen:
            seen.add(key)
            found.append(term)
    return tuple(found)


def _decided() -> set[tuple[str, str, str]]:
    return set(db.session.execute(select(SynonymProposalDecision.lang, SynonymProposalDecision.query_key,
                                         SynonymProposalDecision.slug)).all())


def proposals(library, now: dt.datetime | None = None, days: int = WINDOW_DAYS, min_visits: int = MIN_VISITS,
              limit: int = SHOWN) -> list[Proposal]:
    """The pairs (query, article opened next) of at least min_visits visits, most visits first."""
    now = now or utcnow()
    since = now - dt.timedelta(days=days)
    rows = db.session.execute(
        select(SearchLog.lang, SearchLog.query, SearchLog.next_slug, SearchLog.visit, SearchLog.result_count,
               SearchLog.created_at)
        .where(SearchLog.created_at >= since, SearchLog.next_slug.is_not(None), SearchLog.clicked_slug.is_(None),
               SearchLog.visit.is_not(None))
        .order_by(SearchLog.created_at))
    groups: dict[tuple[str, str, str], dict] = {}
    for lang, query, slug, visit, result_count, created_at in rows:
        if "[" in query:  # masked e-mail, phone or order number: not words customers use for a topic
            continue
        key = normalise_query(query)
        if not key:
            continue
        group = groups.setdefault((lang, key, slug), {"visits": set(), "empty": set(), "query": query,
                                                      "last": created_at})
        group["visits"].add(visit)
        if result_count == 0:
            group["empty"].add(visit)
        group["query"], group["last"] = query, created_at  # rows come oldest first: the latest wins
    decided = _decided()
    tree = library.tree()
    found = []
    for (lang, key, slug), group in groups.items():
        if len(group["visits"]) < min_visits or (lang, key, slug) in decided:
            continue
        article = tree.articles.get(slug)
        if article is None or not article.published:
            continue
        terms = tuple(t for t in article_terms(article) if normalise_phrase(t) != normalise_phrase(group["query"]))
        if not terms:
            continue
        found.append(Proposal(lang, key, group["query"], slug, article.title, len(group["visits"]),
                              len(group["empty"]), group["last"], terms))
    found.sort(key=lambda p: (-p.visits, -p.last_seen.timestamp(), p.query))
    return found[:limit]


def _find(library, lang: str, query: str, slug: str, min_visits: int = MIN_VISITS) -> Proposal:
    key = normalise_query(query)
    for proposal in proposals(library, min_visits=min_visits, limit=10_000):
        if (proposal.lang, proposal.key, proposal.slug) == (lang, key, slug):
            return proposal
    raise NotFound(_("Diesen Vorschlag gibt es nicht (mehr)."))


def _decide(proposal: Proposal, decision: str, user) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(SynonymProposalDecision(lang=proposal.lang, query_key=proposal.key,
                                                   query=proposal.query[:200], slug=proposal.slug, decision=decision,
                                                   decided_by_id=user.id))
            db.session.flush()
    except IntegrityError:  # another editor decided the same proposal at the same moment
        raise NotFound(_("Diesen Vorschlag gibt es nicht (mehr).")) from None


def dismiss(library, lang: str, query: str, slug: str, user) -> Proposal:
    """Hide the proposal for good."""
    proposal = _find(library, lang, query, slug)
    _decide(proposal, "dismissed", user)
    record("search.proposal_dismiss", "search", proposal.query, f"{lang}: {slug}")
    return proposal


def pin_instead(library, lang: str, query: str, slug: str, user) -> Proposal:
    """Take the proposal as a promoted result instead: the article is pinned to these words (only to them)."""
    proposal = _find(library, lang, query, slug)
    pin(proposal.query, lang, slug, user, library)
    _decide(proposal, "accepted", user)
    record("search.proposal_accept", "search", proposal.query, f"{lang}: {slug} (pin)")
    return proposal


def add_as_question(library, lang: str, query: str, slug: str, user, settings: Settings) -> tuple[Proposal, bool]:
    """Add the query to the article's questions as a new version, published like any change (with review on, it
    waits for a second editor: the bool says whether it is live now). InvalidInput when the article has an
    unpublished newer version (the editor's draft is not published behind their back) or is full."""
    proposal = _find(library, lang, query, slug)
    row = writable_row(slug, settings)
    if row.state != "published" or row.published_revision != row.revision or row.review_revision:
        raise InvalidInput({"query": _("„%(title)s“ hat eine noch nicht veröffentlichte Fassung. Bitte fügen Sie die "
                                       "Frage im Editor hinzu.", title=proposal.title)})
    post = frontmatter.loads(store.revision_source(row))
    questions = [str(q) for q in (post.metadata.get("questions") or [])]
    wording = " ".join(proposal.query.split())
    if normalise_query(wording) not in {normalise_query(q) for q in questions}:
        if len(questions) >= MAX_QUESTIONS:
            raise InvalidInput({"query": _("„%(title)s“ hat schon %(n)s Kundenfragen. Bitte kürzen Sie die Liste im "
                                           "Editor.", title=proposal.title, n=MAX_QUESTIONS)})
        post.metadata["questions"] = [*questions, wording]
        row = store.save_article(slug, store.compose_source(dict(post.metadata), post.content), category=row.category,
                                 base_revision=row.revision, default_lang=settings.default_lang, author_id=user.id,
                                 note=_("Kundenfrage aus der Suche: „%(query)s“", query=wording)[:200])
        record("article.save", "article", slug, f"Version {row.revision}")
        live = publish(row, user, settings)
    else:
        live = True
    _decide(proposal, "accepted", user)
    record("search.proposal_accept", "search", proposal.query, f"{lang}: {slug} (question)")
    return proposal, live


def accept(library, lang: str, query: str, slug: str, term: str | None, user, settings: Settings) -> str:
    """Make the query a synonym of the article's term (default its first); returns the group as now stored.
    InvalidInput when the term is not one of the article's or query and term stand in two different groups."""
    proposal = _find(library, lang, query, slug)
    term = term or proposal.terms[0]
    if term not in proposal.terms:
        raise InvalidInput({"term": _("Bitte wählen Sie einen der Suchbegriffe des Artikels.")})
    phrase = synonym_phrase(proposal.query)
    ensure_articles_in_database(settings)
    current = stored_file(SYNONYMS_FILE)
    entries = current.entries()

    def group_of(text: str):
        key = normalise_phrase(text)
        return next((e for e in entries if key in {normalise_phrase(m) for m in e.members}), None)

    query_group, term_group = group_of(phrase), group_of(term)
    if query_group is not None and term_group is not None and query_group.line != term_group.line:
        raise InvalidInput({"term": _("„%(query)s“ und „%(term)s“ stehen schon in zwei verschiedenen Gruppen. Bitte "
                                      "führen Sie sie unter „Synonyme“ selbst zusammen.", query=phrase, term=term)})
    old = None
    if query_group is not None and query_group == term_group:
        members = list(query_group.members)
        source = None  # synonyms already: nothing to change
    elif term_group is not None:
        old, members = term_group.members, [*term_group.members, phrase]
        source = changed_source(current, line=term_group.line, members=members)
    elif query_group is not None:
        old, members = query_group.members, [*query_group.members, term]
        source = changed_source(current, line=query_group.line, members=members)
    else:
        members = [term, phrase]
        source = changed_source(current, line=None, members=members)
    if source is not None:
        others = [e for e in entries if e not in (query_group, term_group)]
        problems = check_members(members, KINDS[SYNONYMS_FILE], others)
        if problems:
            raise InvalidInput({"term": " ".join(problems)})
        saved = save_tree_file(SYNONYMS_FILE, source, current.revision)
        record("search.file_save", "search", SYNONYMS_FILE,
               describe(saved.revision, "add" if old is None else "edit", members, old))
    _decide(proposal, "accepted", user)
    record("search.proposal_accept", "search", proposal.query, f"{lang}: {slug} → {', '.join(members)}")
    return ", ".join(members)
