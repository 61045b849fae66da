"""Routing rules from one TOML file: channel + topic + verified + order value → queue, priority, SLA."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, StrictBool, StringConstraints, field_validator, model_validator

from app.cases.topics import GROUPS, TOPICS
from app.config import ConfigError
from app.core.config_files import ConfigSection, config_problem, parse_config

CHANNELS = ("phone", "email", "chat")
PRIORITIES = ("low", "normal", "high")
WEEKDAYS = ("mo", "di", "mi", "do", "fr", "sa", "so")
DEFAULT_FILE = Path(__file__).with_name("routing.toml")
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class RoutingConfigError(ConfigError, ValueError):
    """The routing file is not usable; the message names the rule and the key."""


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
    grace_minutes: int = 15
    source: str = field(default="")

    def callback_due(self, slot_start: dt.datetime) -> dt.datetime:
        """A callback is an appointment: it is due when its slot has ended plus the grace, not after the
        queue's minutes from the moment it was booked (a Friday slot booked on Monday is not overdue on Tuesday)."""
        return slot_start + dt.timedelta(minutes=self.slot_minutes + self.grace_minutes)

    def route(self, channel: str, topic: str, verified: bool, order_value: float | None) -> Route:
        queue = next(q for c, q in self.rules if c.match(channel, topic, verified, order_value))
        ranks = [PRIORITIES.index(p) for c, p in self.priorities if c.match(channel, topic, verified, order_value)]
        priority = PRIORITIES[max(ranks)] if ranks else "normal"
        return Route(self.queues[queue], priority)


# --- the file ---------------------------------------------------------------------------------

PositiveInt = Annotated[int, Field(strict=True, gt=0, le=10 ** 6)]
Minutes = Annotated[int, Field(strict=True, ge=0, le=10 ** 6)]
Euros = Annotated[float, Field(strict=True, ge=0, le=10 ** 9, allow_inf_nan=False)]


def _channel(value):
    if value not in CHANNELS:
        raise config_problem(f"unknown channel {value!r} (use {', '.join(CHANNELS)})")
    return value


def _topic(value):
    if value not in TOPICS and value not in GROUPS:
        raise config_problem(f"unknown topic {value!r}")
    return value


class ConditionsSpec(ConfigSection):
    channels: list[Annotated[str, AfterValidator(_channel)]] = []
    topics: list[Annotated[str, AfterValidator(_topic)]] = []
    verified: StrictBool | None = None
    min_order_value: Euros | None = None
    max_order_value: Euros | None = None

    def conditions(self) -> Conditions:
        return Conditions(tuple(self.channels), tuple(self.topics), self.verified, self.min_order_value,
                          self.max_order_value)


class RuleSpec(ConditionsSpec):
    queue: str


class PrioritySpec(ConditionsSpec):
    priority: str

    @field_validator("priority")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in PRIORITIES:
            raise config_problem(f"priority must be one of {', '.join(PRIORITIES)}")
        return value


class QueueSpec(ConfigSection):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    sla_minutes: PositiveInt = 1440
    webhook_url: str | None = None
    webhook_secret: str | None = None

    @field_validator("webhook_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise config_problem("webhook_url must be an http(s) URL")
        return value or None


def _span(day: str, value: str) -> tuple[dt.time, dt.time]:
    match = _HOURS.match(value)
    if not match:
        raise config_problem(f"{day}: write it like \"08:00-20:00\"")
    h1, m1, h2, m2 = map(int, match.groups())
    try:
        start, end = dt.time(h1, m1), dt.time(h2, m2)
    except ValueError as exc:
        raise config_problem(f"{day}: {exc}") from None
    if end <= start:
        raise config_problem(f"{day}: closing must come after opening")
    return start, end


class ServiceSpec(ConfigSection):
    hours: dict[str, str] = {}

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict) -> dict[int, tuple[dt.time, dt.time]]:
        hours = {}
        for day, span in value.items():
            if day not in WEEKDAYS:
                raise config_problem(f"unknown weekday {day!r} (use {', '.join(WEEKDAYS)})")
            hours[WEEKDAYS.index(day)] = _span(day, span)
        return hours


class CallbacksSpec(ConfigSection):
    slot_minutes: PositiveInt = 30
    capacity: PositiveInt = 3
    days_ahead: PositiveInt = 7
    min_lead_minutes: PositiveInt = 30
    phone_retention_days: PositiveInt = 30
    grace_minutes: Minutes = 15


class RoutingFile(ConfigSection):
    """The whole routing file."""

    service: ServiceSpec = ServiceSpec()
    callbacks: CallbacksSpec = CallbacksSpec()
    queues: dict[str, QueueSpec] = Field(min_length=1)
    rules: list[RuleSpec] = []
    priorities: list[PrioritySpec] = []

    @model_validator(mode="after")
    def _rules_name_queues(self) -> "RoutingFile":
        for index, rule in enumerate(self.rules):
            if rule.queue not in self.queues:
                raise config_problem(f"rules[{index}]: unknown queue {rule.queue!r}")
        if not self.rules or self.rules[-1].conditions() != Conditions():
            raise config_problem("the last rule must have no conditions, so every case finds a queue")
        return self


def parse_routing(text: str, source: str = "<routing>") -> RoutingConfig:
    """Parse and validate the routing file; RoutingConfigError names what is wrong."""
    spec = parse_config(RoutingFile, text, source, RoutingConfigError)
    callbacks = spec.callbacks
    return RoutingConfig(
        queues={slug: Queue(slug, q.name, q.sla_minutes, q.webhook_url, q.webhook_secret)
                for slug, q in spec.queues.items()},
        rules=tuple((rule.conditions(), rule.queue) for rule in spec.rules),
        priorities=tuple((rule.conditions(), rule.priority) for rule in spec.priorities),
        service_hours=spec.service.hours,
        slot_minutes=callbacks.slot_minutes, capacity=callbacks.capacity, days_ahead=callbacks.days_ahead,
        min_lead_minutes=callbacks.min_lead_minutes, phone_retention_days=callbacks.phone_retention_days,
        grace_minutes=callbacks.grace_minutes,
        source=source,
    )


def load_routing(path: str | Path | None = None) -> RoutingConfig:
    path = Path(path) if path else DEFAULT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RoutingConfigError(f"cannot read routing file {path}: {exc}") from exc
    return parse_routing(text, str(path))
