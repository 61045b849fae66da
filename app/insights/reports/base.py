"""What every report shares: its inputs (the range, the moment, the app's library and routing) and its tables."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.insights.dates import DateRange
from app.insights.figures import Trend


@dataclass(frozen=True)
class ReportInputs:
    """What a report is computed over: the range, now (aware UTC), the article library and the routing
    (queues, service hours) and the federal state for public holidays."""

    span: DateRange
    now: dt.datetime
    library: Any = None
    routing: Any = None
    state: str = "BE"


@dataclass(frozen=True)
class Table:
    """One table of a report as the CSV export writes it (and the page shows it)."""

    name: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]


@dataclass(frozen=True)
class Report:
    """A report of the registry: who may see it, how it is computed and which tables it exports."""

    name: str
    title: Any  # a lazy string
    roles: tuple[str, ...]
    build: Callable[[ReportInputs], Any]
    tables: Callable[[Any], list[Table]]
    template: str


def as_json(value: Any) -> Any:
    """A report's figures as JSON values: dataclasses as objects, days as ISO dates, trends with their change."""
    if isinstance(value, Trend):
        return value.as_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [field.name for field in dataclasses.fields(value)]
        # Figures derived from the fields (a rate, a share) that a row names in json_properties go along.
        fields += list(getattr(type(value), "json_properties", ()))
        return {name: as_json(getattr(value, name)) for name in fields}
    if isinstance(value, dict):
        return {str(key): as_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(item) for item in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)  # lazy strings (labels)
