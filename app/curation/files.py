"""Editors change the synonym groups and the names list one entry at a time: add, edit, delete. Each change starts
from the revision the editor saw (a stale one is refused with what is stored now), is checked (at least two members
in a group, no empty member, a phrase in one group only, a name once) and lands in the audit trail as the file's
history. The caller commits."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.articles.tree_files import (
    KINDS,
    FileKind,
    TreeFile,
    TreeFileConflict,
    changed_source,
    check_members,
    save_tree_file,
    stored_file,
)
from app.audit.models import AuditEvent
from app.audit.trail import record
from app.core.errors import InvalidInput
from app.editorial.articles import Settings, ensure_articles_in_database
from app.extensions import db

HISTORY_SHOWN = 20


def members_of(text: str, kind: FileKind) -> list[str]:
    """The members an editor typed: comma-separated for a group, the whole line for a name."""
    text = text.strip()
    return [part.strip() for part in text.split(",")] if kind.several else [text]


@dataclass(frozen=True)
class Change:
    action: str  # "add", "edit", "delete"
    line: int | None
    text: str


def describe(revision: int, action: str, members, old=None) -> str:
    """The audit line of a save, language-neutral like the article trail's ("Version 3: + Zaster, Kaufpreis")."""
    shown, before = ", ".join(members or ()), ", ".join(old or ())
    change = {"add": f"+ {shown}", "delete": f"− {before}"}.get(action, f"{before} → {shown}")
    return f"Version {revision}: {change}"


def apply_change(name: str, change: Change, base_revision: int, user, settings: Settings) -> TreeFile:
    """Add, edit or delete one entry of the file and store it as a new revision. TreeFileConflict when someone
    saved since base_revision, InvalidInput (field "members") when the entry breaks a rule."""
    kind = KINDS[name]
    ensure_articles_in_database(settings)
    current = stored_file(name)
    if current.revision != base_revision:
        raise TreeFileConflict(current)
    entries = current.entries()
    old = None
    if change.action != "add":
        entry = next((e for e in entries if e.line == change.line), None)
        if entry is None:
            raise TreeFileConflict(current)
        old = entry.members
    members = members_of(change.text, kind) if change.action != "delete" else []
    if change.action != "delete":
        others = [e for e in entries if e.line != change.line]
        problems = check_members(members, kind, others)
        if problems:
            raise InvalidInput({"members": " ".join(problems)})
    source = changed_source(current, line=None if change.action == "add" else change.line,
                           members=None if change.action == "delete" else members)
    saved = save_tree_file(name, source, base_revision)
    record("search.file_save", "search", name, describe(saved.revision, change.action, members, old))
    return saved


def history(name: str) -> list[AuditEvent]:
    """The file's latest saves from the web: who, when, what."""
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "search",
                                                            AuditEvent.object_ref == name,
                                                            AuditEvent.action == "search.file_save")
                                   .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                                   .limit(HISTORY_SHOWN)))
