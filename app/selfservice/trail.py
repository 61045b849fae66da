"""The customer's self-service trail of this visit (searches, articles, flow steps), kept in the session.

The contact form attaches it to a case so the agent sees what was already tried. It holds only what
the visit did — no names, addresses or free text beyond search queries.
"""
from __future__ import annotations

import datetime as dt
import secrets

from flask import session

TRAIL_KEY = "trail"
VISIT_KEY = "visit"
MAX_ENTRIES = 40


def record(kind: str, **detail) -> None:
    """Append one step: kind is 'search', 'article' or 'flow'; detail holds short plain values."""
    entry = {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "kind": kind}
    entry.update({k: (str(v)[:200] if v is not None else None) for k, v in detail.items()})
    trail = list(session.get(TRAIL_KEY, []))
    if trail and {k: v for k, v in trail[-1].items() if k != "at"} == {k: v for k, v in entry.items() if k != "at"}:
        return
    trail.append(entry)
    session[TRAIL_KEY] = trail[-MAX_ENTRIES:]


def current_trail() -> list[dict]:
    return list(session.get(TRAIL_KEY, []))


def visit_id() -> str:
    """An anonymous id of this visit: ties a search or an opened suggestion to a contact sent in the same visit."""
    if VISIT_KEY not in session:
        session[VISIT_KEY] = secrets.token_hex(8)
    return session[VISIT_KEY]


def current_visit() -> str | None:
    """This visit's id if it searched or opened a suggestion before; never creates one."""
    return session.get(VISIT_KEY)
