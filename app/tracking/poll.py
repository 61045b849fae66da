"""Poll the carriers' tracking APIs for open parcels (`flask --app wsgi tracking poll`).

Which parcels: outgoing shipments that are not delivered, returned or lost, shipped within the horizon
(HELPCENTER_TRACKING_POLL_DAYS), and return parcels with a carrier shipment number that the carrier can still move
on — each only when the returns policy names a polling adapter for its carrier. Each has a row in tracking_poll
with its next poll time; a pass enrolls new parcels, claims the due rows under a lease (FOR UPDATE SKIP LOCKED on
PostgreSQL, a conditional UPDATE on SQLite), asks the carrier outside any transaction and stores what is new
through the webhooks' paths (app/tracking/intake.py), one commit per parcel.

Rate limits: each adapter has a per-node budget (calls per second and per UTC day, DHL's documented limits as
settings); a 429 pauses the adapter for its Retry-After; errors back a parcel off exponentially.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.carriers.base import CarrierError, CarrierRateLimited, CarrierUnavailable, TrackingFeed
from app.carriers.http import DEFAULT_TIMEOUT
from app.carriers.registry import WEBHOOK_ONLY, build_tracking_adapter, tracking_adapter_name
from app.database import safe_rollback
from app.extensions import db
from app.returns.models import ReturnRequest
from app.shop.carriers import CARRIERS
from app.shop.models import Order, Shipment
from app.tracking.intake import (CLOSED_SHIPMENT_STATUSES, OPEN_RETURN_STATUSES, store_return_scans,
                                 store_shipment_scans)
from app.tracking.models import TrackingPoll

log = logging.getLogger(__name__)

# How often a parcel is asked. DHL allows up to 10 fetches per shipment and day, spread over the day.
OUT_FOR_DELIVERY = dt.timedelta(hours=1)
MOVING = dt.timedelta(hours=3)
QUIET = dt.timedelta(hours=8)  # nothing new for QUIET_AFTER
QUIET_AFTER = dt.timedelta(hours=48)
NOT_KNOWN_YET = dt.timedelta(hours=2)  # the carrier does not know the number yet (DHL: 10–30 minutes after the label)
FIRST_BACKOFF = dt.timedelta(minutes=5)
MAX_BACKOFF = dt.timedelta(hours=12)
RATE_LIMIT_PAUSE = 60.0  # seconds, when a 429 names no Retry-After


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Budget:
    """One adapter's calls on this node: spaced to the per-second limit, counted against the per-day limit (DHL
    resets it at midnight GMT), and paused after a 429 for as long as the carrier asked."""

    def __init__(self, per_second: int, per_day: int, *, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, today: Callable[[], dt.date] | None = None):
        self.spacing = 1.0 / per_second
        self.per_day = per_day
        self._monotonic, self._sleep = monotonic, sleep
        self._today = today or (lambda: utcnow().date())
        self.day: dt.date | None = None
        self.used = 0
        self._last: float | None = None
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._monotonic())

    def exhausted(self) -> bool:
        if self.day != self._today():
            self.day, self.used = self._today(), 0
        return self.used >= self.per_day

    def take(self) -> bool:
        """Wait for this call's turn and count it; False when paused or the day's calls are used up."""
        if self.paused_for() > 0 or self.exhausted():
            return False
        if self._last is not None:
            wait = self._last + self.spacing - self._monotonic()
            if wait > 0:
                self._sleep(wait)
        self._last = self._monotonic()
        self.used += 1
        return True


@dataclass
class PollReport:
    polled: int = 0
    new_scans: int = 0
    unknown: int = 0
    failed: int = 0
    finished: int = 0  # rows removed: delivered, back at the shop, out of the horizon, no polling adapter any more
    deferred: int = 0  # claimed but left for later: budget used up or the carrier paused us
    waiting: bool = False  # more parcels are due than one batch took
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"polled {self.polled}, new scans {self.new_scans}, not known yet {self.unknown}, "
                f"failed {self.failed}, "
                f"finished {self.finished}, deferred {self.deferred}")


@dataclass(frozen=True)
class _Parcel:
    row_id: int
    kind: str  # "shipment" | "return"
    target_id: int
    carrier: str
    tracking_number: str
    status: str
    last_change_at: dt.datetime | None
    failures: int
    open: bool


class Poller:
    """Adapters and their budgets for the lifetime of one `tracking poll` process (budgets count across passes)."""

    def __init__(self, app_config, policy, *, now: Callable[[], dt.datetime] = utcnow,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic):
        self.config, self.policy, self.now = app_config, policy, now
        self._sleep, self._monotonic = sleep, monotonic
        self.adapters: dict[str, TrackingFeed] = {}
        self.budgets: dict[str, Budget] = {}

    @classmethod
    def for_app(cls, **kwargs) -> Poller:
        return cls(current_app.config, current_app.extensions["helpcenter.returns_policy"], **kwargs)

    # --- which carriers ---------------------------------------------------------------------------------

    def adapter_name(self, carrier: str | None, kind: str = "shipment") -> str:
        if not carrier:
            return WEBHOOK_ONLY
        return tracking_adapter_name(self.policy, carrier, shipment=kind == "shipment")

    def adapter(self, name: str) -> TrackingFeed | None:
        if name == WEBHOOK_ONLY:
            return None
        if name not in self.adapters:
            self.adapters[name] = build_tracking_adapter(name, self.config)
            self.budgets[name] = self._budget(name)
        return self.adapters[name]

    def _budget(self, name: str) -> Budget:
        prefix = f"HELPCENTER_{name.upper()}_TRACKING_"
        return Budget(int(self.config.get(prefix + "PER_SECOND", 1)), int(self.config.get(prefix + "DAILY_LIMIT", 250)),
                      monotonic=self._monotonic, sleep=self._sleep)

    def polled_shipment_carriers(self) -> list[str]:
        return [code for code in CARRIERS if self.adapter_name(code) != WEBHOOK_ONLY]

    def polled_return_carriers(self) -> list[str]:
        return [code for code in self.policy.carriers if self.adapter_name(code, "return") != WEBHOOK_ONLY]

    def lease(self, batch: int) -> dt.timedelta:
        # Long enough for the whole batch at the slowest: every call spaced and timing out. A poller that dies frees
        # its parcels when the lease ends.
        spacing = max((b.spacing for b in self.budgets.values()), default=1.0)
        return dt.timedelta(seconds=60 + batch * (spacing + sum(DEFAULT_TIMEOUT)))

    # --- one pass ----------------------------------------------------------------------------------------

    def poll_once(self, batch: int = 25) -> PollReport:
        """Enroll new parcels, claim up to `batch` due ones, ask their carriers and store what is new."""
        report = PollReport()
        now = self.now()
        self.enroll(now)
        names = {self.adapter_name(c) for c in self.polled_shipment_carriers()}
        names |= {self.adapter_name(c, "return") for c in self.polled_return_carriers()}
        for name in names:
            self.adapter(name)  # budgets exist before the lease is computed; a missing key fails here, loudly
        owner = uuid.uuid4().hex
        claimed = self.claim(now, batch, now + self.lease(batch), owner)
        report.waiting = len(claimed) == batch
        for position, row_id in enumerate(claimed):
            try:
                outcome = self._poll_one(row_id, owner, report)
            except SQLAlchemyError as exc:
                safe_rollback()
                log.warning("tracking poll: parcel %s not stored: %s", row_id, type(exc).__name__)
                report.errors.append(type(exc).__name__)
                outcome = "stored"
            if outcome in ("stop", "stop_after"):
                rest = claimed[position + (outcome == "stop_after"):]
                self._release(rest, owner)
                report.deferred += len(rest)
                break
        return report

    def enroll(self, now: dt.datetime) -> int:
        """A tracking_poll row, due now, for every open parcel of a polled carrier that has none yet."""
        horizon = now - dt.timedelta(days=int(self.config.get("HELPCENTER_TRACKING_POLL_DAYS", 60)))
        carriers = self.polled_shipment_carriers()
        rows = []
        if carriers:
            shipments = (select(Shipment.id).join(Order, Order.id == Shipment.order_id)
                         .where(Shipment.carrier.in_(carriers), Shipment.status.not_in(CLOSED_SHIPMENT_STATUSES),
                                _within(horizon),
                                ~exists().where(TrackingPoll.shipment_id == Shipment.id)))
            rows += [{"shipment_id": sid} for sid in db.session.scalars(shipments)]
        return_carriers = self.polled_return_carriers()
        if return_carriers:
            returns = (select(ReturnRequest.id)
                       .where(ReturnRequest.carrier.in_(return_carriers), ReturnRequest.tracking_number.is_not(None),
                              ReturnRequest.status.in_(OPEN_RETURN_STATUSES),
                              ~exists().where(TrackingPoll.return_id == ReturnRequest.id)))
            rows += [{"return_id": rid} for rid in db.session.scalars(returns)]
        for row in rows:
            row.update(next_poll_at=now, failures=0, polls=0, created_at=now)
        if rows:
            _insert_new(rows)
        db.session.commit()
        return len(rows)

    def claim(self, now: dt.datetime, batch: int, lease_end: dt.datetime, owner: str) -> list[int]:
        """Lease up to `batch` due rows to this pass and commit; rows another poller holds are left alone."""
        due = (TrackingPoll.next_poll_at <= now,
               or_(TrackingPoll.lease_until.is_(None), TrackingPoll.lease_until < now))
        candidates = select(TrackingPoll.id).where(*due).order_by(TrackingPoll.next_poll_at, TrackingPoll.id)
        candidates = candidates.limit(batch)
        session = db.session
        if session.get_bind().dialect.name == "sqlite":
            # No row locks in SQLite (and BEGIN IMMEDIATE serialises writers): a conditional UPDATE per row.
            claimed = []
            for row_id in session.scalars(candidates).all():
                result = session.execute(update(TrackingPoll).where(TrackingPoll.id == row_id, *due)
                                         .values(lease_until=lease_end, lease_owner=owner),
                                         execution_options={"synchronize_session": False})
                if result.rowcount == 1:
                    claimed.append(row_id)
        else:
            claimed = list(session.scalars(candidates.with_for_update(skip_locked=True)).all())
            if claimed:
                session.execute(update(TrackingPoll).where(TrackingPoll.id.in_(claimed))
                                .values(lease_until=lease_end, lease_owner=owner),
                                execution_options={"synchronize_session": False})
        session.commit()
        return claimed

    # --- one parcel ----------------------------------------------------------------------------------------

    def _poll_one(self, row_id: int, owner: str, report: PollReport) -> str:
        now = self.now()
        parcel = self._read(row_id, owner, now)
        db.session.commit()  # no transaction (and on SQLite no write lock) stays open while the carrier answers
        if parcel is None:
            return "gone"
        name = self.adapter_name(parcel.carrier, parcel.kind)
        adapter = self.adapter(name)
        if not parcel.open or adapter is None:
            db.session.execute(delete(TrackingPoll).where(TrackingPoll.id == row_id))
            db.session.commit()
            report.finished += 1
            return "finished"
        budget = self.budgets[name]
        if not budget.take():
            return "stop"
        try:
            scans = adapter.fetch_events(parcel.tracking_number)
        except CarrierRateLimited as exc:
            budget.pause(exc.retry_after or RATE_LIMIT_PAUSE)
            self._failed(parcel, owner, exc, now, report)
            return "stop_after"
        except CarrierError as exc:
            self._failed(parcel, owner, exc, now, report)
            return "failed"
        report.polled += 1
        added = self._store(parcel, scans, now)
        report.new_scans += added
        if not scans:
            report.unknown += 1
        return "stored"

    def _read(self, row_id: int, owner: str, now: dt.datetime) -> _Parcel | None:
        row = db.session.get(TrackingPoll, row_id)
        if row is None or row.lease_owner != owner:
            return None
        horizon = now - dt.timedelta(days=int(self.config.get("HELPCENTER_TRACKING_POLL_DAYS", 60)))
        if row.shipment_id is not None:
            shipment = db.session.get(Shipment, row.shipment_id)
            shipped = shipment.shipped_at or shipment.order.placed_at
            return _Parcel(row.id, "shipment", shipment.id, shipment.carrier, shipment.tracking_number, shipment.status,
                           row.last_change_at, row.failures,
                           shipment.status not in CLOSED_SHIPMENT_STATUSES and shipped >= horizon)
        ret = db.session.get(ReturnRequest, row.return_id)
        return _Parcel(row.id, "return", ret.id, ret.carrier, ret.tracking_number or "", ret.status,
                       row.last_change_at, row.failures,
                       bool(ret.tracking_number) and ret.status in OPEN_RETURN_STATUSES)

    def _store(self, parcel: _Parcel, scans, now: dt.datetime) -> int:
        try:
            if parcel.kind == "shipment":
                shipment = db.session.get(Shipment, parcel.target_id)
                added = store_shipment_scans(shipment, scans).added
                status, still_open = shipment.status, shipment.status not in CLOSED_SHIPMENT_STATUSES
            else:
                ret = db.session.get(ReturnRequest, parcel.target_id)
                added = store_return_scans(ret, scans)
                status, still_open = ret.status, ret.status in OPEN_RETURN_STATUSES
            changed = now if added else parcel.last_change_at
            self._schedule(parcel, now + _interval(status, changed, now, bool(scans)), failures=0, error=None,
                           now=now, changed=changed)
            if not still_open:
                db.session.execute(delete(TrackingPoll).where(TrackingPoll.id == parcel.row_id))
            db.session.commit()
            return added
        except IntegrityError:
            # A webhook stored the same scan at the same moment: the next poll finds everything known.
            safe_rollback()
            self._schedule(parcel, now + FIRST_BACKOFF, failures=parcel.failures, error="stored meanwhile", now=now)
            db.session.commit()
            return 0

    def _failed(self, parcel: _Parcel, owner: str, exc: CarrierError, now: dt.datetime, report: PollReport) -> None:
        report.failed += 1
        report.errors.append(str(exc))
        failures = parcel.failures + 1
        wait = min(FIRST_BACKOFF * 2 ** (failures - 1), MAX_BACKOFF)
        if isinstance(exc, CarrierUnavailable) and exc.retry_after:
            wait = max(wait, dt.timedelta(seconds=exc.retry_after))
        log.warning("tracking poll: %s %s: %s (try %s, next in %s)", parcel.carrier, parcel.kind, exc, failures, wait)
        self._schedule(parcel, now + wait, failures=failures, error=str(exc)[:200], now=now)
        db.session.commit()

    def _schedule(self, parcel: _Parcel, next_poll_at: dt.datetime, *, failures: int, error: str | None,
                  now: dt.datetime, changed: dt.datetime | None = None) -> None:
        values = {"next_poll_at": next_poll_at, "failures": failures, "last_error": error, "last_polled_at": now,
                  "polls": TrackingPoll.polls + 1, "lease_until": None, "lease_owner": None}
        if changed is not None:
            values["last_change_at"] = changed
        db.session.execute(update(TrackingPoll).where(TrackingPoll.id == parcel.row_id).values(**values),
                           execution_options={"synchronize_session": False})

    def _release(self, row_ids: list[int], owner: str) -> None:
        if row_ids:
            db.session.execute(update(TrackingPoll)
                               .where(TrackingPoll.id.in_(row_ids), TrackingPoll.lease_owner == owner)
                               .values(lease_until=None, lease_owner=None),
                               execution_options={"synchronize_session": False})
            db.session.commit()

    def pause_seconds(self) -> float:
        """How long every adapter is paused or out of calls (0: at least one may call now)."""
        waits = []
        for budget in self.budgets.values():
            if budget.exhausted():
                tomorrow = dt.datetime.combine(budget.day + dt.timedelta(days=1), dt.time())
                waits.append((tomorrow - self.now()).total_seconds())
            else:
                waits.append(budget.paused_for())
        return min(waits, default=0.0)


def _within(horizon: dt.datetime):
    return or_(Shipment.shipped_at >= horizon, and_(Shipment.shipped_at.is_(None), Order.placed_at >= horizon))


def _interval(status: str, last_change_at: dt.datetime | None, now: dt.datetime, known: bool) -> dt.timedelta:
    if not known:
        return NOT_KNOWN_YET
    if status == "out_for_delivery":
        return OUT_FOR_DELIVERY
    if last_change_at is None or now - last_change_at > QUIET_AFTER:
        return QUIET
    return MOVING


def _insert_new(rows: list[dict]) -> None:
    """Insert the rows; one another poller enrolled at the same moment is skipped (ON CONFLICT DO NOTHING)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for key in ("shipment_id", "return_id"):
        part = [{**{"shipment_id": None, "return_id": None}, **row} for row in rows if key in row]
        if part:
            db.session.execute(insert(TrackingPoll).values(part).on_conflict_do_nothing(index_elements=[key]))
