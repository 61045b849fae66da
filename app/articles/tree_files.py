"""The small text files of the article tree that editors maintain on the web: the synonym groups (synonyme.txt,
one comma-separated group per line) and the names typo repair must leave alone (eigennamen.txt, one name per line).

Both are ContentFile rows once the articles are in the database. A save names the revision it started from; the
conditional UPDATE on that revision refuses the second of two editors who started from the same one (as article
saves do), and every save raises content_state.version, so every node reloads and searches with the new file on its
next request. Comments ('#') and blank lines of the file are kept as they are: editors change one entry at a time.
The caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.articles.loader import NAMES_FILE, SYNONYMS_FILE
from app.articles.models import ContentFile
from app.articles.store import articles_in_database, bump_version
from app.core.errors import Conflict
from app.extensions import db
from app.insights.models import utcnow
from app.search.analysis import fold, words

MAX_MEMBER_LENGTH = 100
MAX_MEMBERS = 30


@dataclass(frozen=True)
class FileKind:
    """How one tree file is written: synonym groups (several members a line) or names (one a line)."""

    name: str
    several: bool  # several members per entry, separated by commas
    min_members: int


KINDS = {SYNONYMS_FILE: FileKind(SYNONYMS_FILE, several=True, min_members=2),
         NAMES_FILE: FileKind(NAMES_FILE, several=False, min_members=1)}


@dataclass(frozen=True)
class Entry:
    """One group (or name) of the file: the line it is on (0-based) and its members as written."""

    line: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class TreeFile:
    name: str
    source: str
    revision: int

    @property
    def kind(self) -> FileKind:
        return KINDS[self.name]

    def entries(self) -> list[Entry]:
        return parse_entries(self.source, self.kind)


class TreeFileConflict(Conflict):
    """Someone saved the file since this editor opened it; `stored` is what is stored now."""

    def __init__(self, stored: TreeFile):
        super().__init__(str(_l("Jemand hat die Liste inzwischen geändert (jetzt Version %(n)s). Ihre Änderung ist "
                                "nicht gespeichert.", n=stored.revision)), code="revision_conflict")
        self.stored = stored

    def body(self) -> dict:
        body = super().body()
        body["error"]["current_revision"] = self.stored.revision
        return body


def normalise_phrase(text: str) -> str:
    """The spelling-free form of a phrase: folded words (case, umlauts, ß) without punctuation or extra spaces."""
    return " ".join(fold(word) for word in words(text))


# --- reading -----------------------------------------------------------------------------------------------------

def _split(line: str) -> str:
    return line.split("#", 1)[0].strip()


def parse_entries(source: str, kind: FileKind) -> list[Entry]:
    """Every group (or name) of the file with its line, comments and blank lines skipped."""
    entries = []
    for number, line in enumerate(source.splitlines()):
        content = _split(line)
        if not content:
            continue
        members = tuple(part.strip() for part in content.split(",")) if kind.several else (content,)
        entries.append(Entry(number, members))
    return entries


def read_tree_file(name: str, content_dir: str | Path) -> TreeFile:
    """The file as the site uses it: the stored row, or (before the first import) the file in the content tree."""
    if name not in KINDS:
        raise KeyError(name)
    if articles_in_database():
        row = db.session.get(ContentFile, name)
        return TreeFile(name, row.source, row.revision) if row is not None else TreeFile(name, "", 0)
    path = Path(content_dir) / name
    source = path.read_text(encoding="utf-8") if path.is_file() else ""
    return TreeFile(name, source, 0)


def stored_file(name: str) -> TreeFile:
    row = db.session.get(ContentFile, name)
    return TreeFile(name, row.source, row.revision) if row is not None else TreeFile(name, "", 0)


# --- checking ----------------------------------------------------------------------------------------------------

def check_members(members: list[str], kind: FileKind, others: list[Entry]) -> list[str]:
    """What is wrong with one entry, as messages for the editor (empty: fine). `others` are the file's other
    entries: a phrase may stand in one group only, and a name once."""
    problems = []
    if any(not member for member in members):
        problems.append(str(_l("Ein Begriff ist leer (zwei Kommas hintereinander oder ein Komma am Ende?).")))
    present = [member for member in members if member]
    if kind.several and len(present) < kind.min_members:
        problems.append(str(_l("Eine Gruppe braucht mindestens zwei Begriffe.")))
    if not present and not kind.several:
        problems.append(str(_l("Bitte geben Sie einen Namen ein.")))
    if len(present) > MAX_MEMBERS:
        problems.append(str(_l("Höchstens %(n)s Begriffe in einer Gruppe.", n=MAX_MEMBERS)))
    for member in present:
        if len(member) > MAX_MEMBER_LENGTH:
            problems.append(str(_l("„%(term)s“ ist zu lang (höchstens %(n)s Zeichen).", term=member[:30] + "…",
                                   n=MAX_MEMBER_LENGTH)))
        elif "#" in member or any(ord(c) < 32 for c in member) or not normalise_phrase(member):
            problems.append(str(_l("„%(term)s“ enthält Zeichen, die in der Liste nicht stehen dürfen (# oder nur "
                                   "Satzzeichen).", term=member)))
    seen: dict[str, str] = {}
    for member in present:
        key = normalise_phrase(member)
        if key and key in seen:
            problems.append(str(_l("„%(term)s“ steht zweimal in der Gruppe (wie „%(first)s“).", term=member,
                                   first=seen[key])))
        seen.setdefault(key, member)
    taken = {normalise_phrase(m): entry for entry in others for m in entry.members}
    for member in present:
        entry = taken.get(normalise_phrase(member))
        if entry is not None:
            if kind.several:
                problems.append(str(_l("„%(term)s“ steht schon in der Gruppe „%(group)s“. Ein Begriff darf nur in "
                                       "einer Gruppe stehen.", term=member, group=", ".join(entry.members))))
            else:
                problems.append(str(_l("„%(term)s“ steht schon in der Liste.", term=member)))
    return problems


def file_problems(tree_file: TreeFile) -> dict[int, list[str]]:
    """The stored file's entries that break a rule (written by hand or imported), by line: shown beside them."""
    entries = tree_file.entries()
    found = {}
    for entry in entries:
        others = [other for other in entries if other.line != entry.line]
        problems = check_members(list(entry.members), tree_file.kind, others)
        if problems:
            found[entry.line] = problems
    return found


# --- changing ----------------------------------------------------------------------------------------------------

def _entry_text(members: list[str], kind: FileKind) -> str:
    return ", ".join(members) if kind.several else members[0]


def changed_source(tree_file: TreeFile, *, line: int | None, members: list[str] | None) -> str:
    """The file with one entry added (line None), replaced (members given) or removed (members None); a comment
    after the entry on its line is kept."""
    lines = tree_file.source.splitlines()
    if line is None:
        while lines and not lines[-1].strip():
            lines.pop()
        lines.append(_entry_text(members, tree_file.kind))
    elif members is None:
        del lines[line]
    else:
        comment = lines[line].split("#", 1)[1] if "#" in lines[line] else None
        lines[line] = _entry_text(members, tree_file.kind) + (f"  #{comment}" if comment is not None else "")
    return "\n".join(lines) + "\n"


def save_tree_file(name: str, source: str, base_revision: int) -> TreeFile:
    """Store the file's new text if nobody saved since base_revision (TreeFileConflict otherwise, nothing written)
    and count the change, so every node reloads. The articles must be in the database already."""
    if name not in KINDS:
        raise KeyError(name)
    moved = db.session.execute(
        update(ContentFile).where(ContentFile.name == name, ContentFile.revision == base_revision)
        .values(source=source, revision=base_revision + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not moved:
        exists = db.session.scalar(select(ContentFile.name).where(ContentFile.name == name))
        if exists is not None or base_revision != 0:
            raise TreeFileConflict(_fresh(name))
        try:
            with db.session.begin_nested():
                db.session.add(ContentFile(name=name, source=source, revision=1))
                db.session.flush()
        except IntegrityError:  # created at the same moment by another editor
            raise TreeFileConflict(_fresh(name)) from None
    bump_version()
    return _fresh(name)


def _fresh(name: str) -> TreeFile:
    row = db.session.get(ContentFile, name)
    if row is not None:
        db.session.refresh(row)
    return stored_file(name)
