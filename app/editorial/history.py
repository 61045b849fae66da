"""An article's versions and a readable difference between any two (or between what an editor wrote and what is
stored now). Lines are returned as data; the template escapes them."""
from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

from app.articles import store
from app.articles.models import ArticleRecord
from app.core.errors import NotFound

RESTORED_PREFIX = "restored:"


@dataclass(frozen=True)
class Version:
    number: int
    author: str | None
    created_at: dt.datetime
    note: str | None
    published: bool
    restored_from: int | None


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "same", "gap"
    text: str
    old_number: int | None
    new_number: int | None


def versions(row: ArticleRecord) -> list[Version]:
    """Every saved version, newest first, with its author and time."""
    found = []
    for revision in store.history(row):
        note = revision.note or None
        restored = None
        if note and note.startswith(RESTORED_PREFIX) and note[len(RESTORED_PREFIX):].isdigit():
            restored = int(note[len(RESTORED_PREFIX):])
        found.append(Version(revision.number, revision.author.name if revision.author else None, revision.created_at,
                             note, revision.number == row.published_revision, restored))
    return found


def line_diff(old: str, new: str, context: int = 3) -> list[DiffLine]:
    """The changed lines with a few lines around them; 'gap' marks skipped unchanged lines."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    for group in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("gap", "…", None, None))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", old_lines[i], i + 1, j1 + k + 1) for k, i in enumerate(range(i1, i2))]
                continue
            if tag in ("replace", "delete"):
                lines += [DiffLine("removed", old_lines[i], i + 1, None) for i in range(i1, i2)]
            if tag in ("replace", "insert"):
                lines += [DiffLine("added", new_lines[j], None, j + 1) for j in range(j1, j2)]
    return lines


def version_diff(row: ArticleRecord, old: int, new: int) -> list[DiffLine]:
    """What changed from version `old` to version `new`; NotFound for a version that does not exist."""
    old_source, new_source = store.revision_source(row, old), store.revision_source(row, new)
    if old < 1 or new < 1 or old_source is None or new_source is None:
        raise NotFound()
    return line_diff(old_source, new_source)
