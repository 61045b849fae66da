"""Routing rules from one TOML file: channel + topic + verified + order value → queue, priority, SLA."""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from app.cases.topics import GROUPS, TOPICS

CHANNELS = ("phone", "email", "chat")
PRIORITIES = ("low", "normal", "high")
WEEKDAYS = ("mo", "di", "mi", "do", "fr", "sa", "so")
DEFAULT_FILE = Path(__file__).with_name("routing.toml")
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class RoutingConfigError(ValueError):
    """The routing file is not usable; the message names the place."""


@dataclass(frozen=True)
class Queue:
    slug: str
    name: str
    sla_minutes: int
    webhook_url: str | None = None
    webhook_secret: str | None = None


@dataclass(frozen=True)
class Conditions:
    channels: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    verified: bool | None = None
    min_order_value: float | None = None
    max_order_value: float | None = None

    def match(self, channel: str, topic: str, verified: bool, order_value: float | None) -> bool:
        if self.channels and channel not in self.channels:
            return False
        if self.topics and topic not in self.topics and TOPICS[topic].group not in self.topics:
            return False
        if self.verified is not None and verified != self.verified:
            return False
        if self.min_order_value is not None and (order_value is None or order_value < self.min_order_value):
            return False
        if self.max_order_value is not None and (order_value is None or order_value > self.max_order_value):
            return False
        return True


@dataclass(frozen=True)
class Route:
    queue: Queue
    priority: str

    def sla_due(self, created_at: dt.datetime) -> dt.datetime:
        return created_at + dt.timedelta(minutes=self.queue.sla_minutes)


@dataclass(frozen=True)
class RoutingConfig:
    queues: dict[str, Queue]
    rules: tuple[tuple[Conditions, str], ...]
    priorities: tuple[tuple[Conditions, str], ...]
    service_hours: dict[int, tuple[dt.time, dt.time]]
    slot_minutes: int = 30
    capacity: int = 3
    days_ahead: int = 7
    min_lead_minutes: int = 30
    phone_retention_days: int = 30
    source: str = field(default="")

    def route(self, channel: str, topic: str, verified: bool, order_value: float | None) -> Route:
        queue = next(q for c, q in self.rules if c.match(channel, topic, verified, order_value))
        ranks = [PRIORITIES.index(p) for c, p in self.priorities if c.match(channel, topic, verified, order_value)]
        priority = PRIORITIES[max(ranks)] if ranks else "normal"
        return Route(self.queues[queue], priority)


def _conditions(raw: dict, where: str) -> Conditions:
    channels = tuple(raw.get("channels", ()))
    topics = tuple(raw.get("topics", ()))
    for channel in channels:
        if channel not in CHANNELS:
            raise RoutingConfigError(f"{where}: unknown channel {channel!r} (use {', '.join(CHANNELS)})")
    for topic in topics:
        if topic not in TOPICS and topic not in GROUPS:
            raise RoutingConfigError(f"{where}: unknown topic {topic!r}")
    verified = raw.get("verified")
    if verified is not None and not isinstance(verified, bool):
        raise RoutingConfigError(f"{where}: verified must be true or false")
    values = {}
    for key in ("min_order_value", "max_order_value"):
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
            raise RoutingConfigError(f"{where}: {key} must be a number of euros")
        values[key] = float(value) if value is not None else None
    return Conditions(channels, topics, verified, **values)


def _hours(raw: dict) -> dict[int, tuple[dt.time, dt.time]]:
    hours = {}
    for day, span in raw.items():
        if day not in WEEKDAYS:
            raise RoutingConfigError(f"[service] hours: unknown weekday {day!r} (use {', '.join(WEEKDAYS)})")
        match = _HOURS.match(str(span))
        if not match:
            raise RoutingConfigError(f"[service] hours.{day}: write it like \"08:00-20:00\"")
        h1, m1, h2, m2 = map(int, match.groups())
        try:
            start, end = dt.time(h1, m1), dt.time(h2, m2)
        except ValueError as exc:
            raise RoutingConfigError(f"[service] hours.{day}: {exc}") from exc
        if end <= start:
            raise RoutingConfigError(f"[service] hours.{day}: closing must come after opening")
        hours[WEEKDAYS.index(day)] = (start, end)
    return hours


def _positive_int(raw: dict, key: str, default: int, where: str) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RoutingConfigError(f"{where}: {key} must be a positive whole number")
    return value


def parse_routing(text: str, source: str = "<routing>") -> RoutingConfig:
    """Parse and validate the routing file; RoutingConfigError names what is wrong."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RoutingConfigError(f"{source}: not valid TOML: {exc}") from exc
    queues = {}
    for slug, spec in (raw.get("queues") or {}).items():
        where = f"[queues.{slug}]"
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise RoutingConfigError(f"{where}: needs a name")
        queues[slug] = Queue(slug, spec["name"], _positive_int(spec, "sla_minutes", 1440, where),
                             spec.get("webhook_url") or None, spec.get("webhook_secret") or None)
        if queues[slug].webhook_url and not queues[slug].webhook_url.startswith(("https://", "http://")):
            raise RoutingConfigError(f"{where}: webhook_url must be an http(s) URL")
    if not queues:
        raise RoutingConfigError(f"{source}: no [queues] defined")
    rules = []
    for index, rule in enumerate(raw.get("rules") or []):
        where = f"rules[{index}]"
        if rule.get("queue") not in queues:
            raise RoutingConfigError(f"{where}: unknown queue {rule.get('queue')!r}")
        rules.append((_conditions(rule, where), rule["queue"]))
    if not rules or rules[-1][0] != Conditions():
        raise RoutingConfigError(f"{source}: the last rule must have no conditions, so every case finds a queue")
    priorities = []
    for index, rule in enumerate(raw.get("priorities") or []):
        where = f"priorities[{index}]"
        if rule.get("priority") not in PRIORITIES:
            raise RoutingConfigError(f"{where}: priority must be one of {', '.join(PRIORITIES)}")
        priorities.append((_conditions(rule, where), rule["priority"]))
    callbacks = raw.get("callbacks") or {}
    return RoutingConfig(
        queues=queues, rules=tuple(rules), priorities=tuple(priorities),
        service_hours=_hours((raw.get("service") or {}).get("hours") or {}),
        slot_minutes=_positive_int(callbacks, "slot_minutes", 30, "[callbacks]"),
        capacity=_positive_int(callbacks, "capacity", 3, "[callbacks]"),
        days_ahead=_positive_int(callbacks, "days_ahead", 7, "[callbacks]"),
        min_lead_minutes=_positive_int(callbacks, "min_lead_minutes", 30, "[callbacks]"),
        phone_retention_days=_positive_int(callbacks, "phone_retention_days", 30, "[callbacks]"),
        source=source,
    )


def load_routing(path: str | Path | None = None) -> RoutingConfig:
    path = Path(path) if path else DEFAULT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RoutingConfigError(f"cannot read routing file {path}: {exc}") from exc
    return parse_routing(text, str(path))
