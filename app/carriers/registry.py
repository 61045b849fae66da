"""Which adapter serves which carrier: names from the returns policy file, settings from the environment.

An adapter module registers a factory under a name; the factory receives the app's config (where its
HELPCENTER_<CARRIER>_* settings are) and returns the adapter, or raises ConfigError naming the missing setting."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import current_app

from app.carriers.base import ReturnLabels, TrackingFeed
from app.config import ConfigError

# "own": the help center draws the label itself (no carrier API); "webhook": scans arrive only by webhook.
OWN_LABEL = "own"
WEBHOOK_ONLY = "webhook"

LabelFactory = Callable[[Mapping], ReturnLabels]
TrackingFactory = Callable[[Mapping], TrackingFeed]

_LABEL_FACTORIES: dict[str, LabelFactory] = {}
_TRACKING_FACTORIES: dict[str, TrackingFactory] = {}


def register_labels(name: str, factory: LabelFactory) -> None:
    _LABEL_FACTORIES[name] = factory


def register_tracking(name: str, factory: TrackingFactory) -> None:
    _TRACKING_FACTORIES[name] = factory


def _load_adapters() -> None:
    """Import the adapter modules so that they register themselves (kept here: one list of what exists)."""
    from app.carriers import dhl_returns, dhl_tracking, ups_tracking  # noqa: F401


def label_adapter_names() -> tuple[str, ...]:
    _load_adapters()
    return (OWN_LABEL, *sorted(_LABEL_FACTORIES))


def tracking_adapter_names() -> tuple[str, ...]:
    _load_adapters()
    return (WEBHOOK_ONLY, *sorted(_TRACKING_FACTORIES))


def build_label_adapter(name: str, config: Mapping) -> ReturnLabels | None:
    """The adapter called `name`, or None for the help center's own label."""
    _load_adapters()
    if name == OWN_LABEL:
        return None
    if name not in _LABEL_FACTORIES:
        raise ConfigError(f"unknown label adapter {name!r}; known: {', '.join(label_adapter_names())}")
    return _LABEL_FACTORIES[name](config)


def build_tracking_adapter(name: str, config: Mapping) -> TrackingFeed | None:
    _load_adapters()
    if name == WEBHOOK_ONLY:
        return None
    if name not in _TRACKING_FACTORIES:
        raise ConfigError(f"unknown tracking adapter {name!r}; known: {', '.join(tracking_adapter_names())}")
    return _TRACKING_FACTORIES[name](config)


def label_adapter_for(carrier_code: str) -> ReturnLabels | None:
    """The label adapter the policy file chose for this carrier (None: our own label)."""
    policy = current_app.extensions["helpcenter.returns_policy"]
    carrier = policy.carriers.get(carrier_code)
    if carrier is None:
        return None
    return build_label_adapter(carrier.label_adapter, current_app.config)


def _lookup(table: Mapping, code: str):
    # Codes in any case: returns say "dhl" (the policy's key), the shop's shipments "DHL".
    if code in table:
        return table[code]
    return next((value for key, value in table.items() if key.casefold() == code.casefold()), None)


def tracking_adapter_name(policy, carrier_code: str, *, shipment: bool = False) -> str:
    """The tracking adapter the policy names for a carrier code.

    A return parcel follows its return carrier's `tracking`. An outgoing shipment follows the `[tracking]` table,
    else the return carrier of the same code (`tracking = "dhl"` on [carriers.dhl] covers the shop's DHL parcels)."""
    carrier = _lookup(policy.carriers, carrier_code)
    if shipment:
        named = _lookup(policy.tracking_adapters, carrier_code)
        if named is not None:
            return named
    elif carrier is None:
        return _lookup(policy.tracking_adapters, carrier_code) or WEBHOOK_ONLY
    return carrier.tracking_adapter if carrier else WEBHOOK_ONLY


def tracking_adapter_for(carrier_code: str) -> TrackingFeed | None:
    """The tracking adapter for a carrier of outgoing shipments or returns (None: webhook only)."""
    policy = current_app.extensions["helpcenter.returns_policy"]
    return build_tracking_adapter(tracking_adapter_name(policy, carrier_code), current_app.config)


def check_tracking_adapters(policy, config: Mapping) -> None:
    """Build every polling adapter the policy names, at start: a missing key stops the start with its name."""
    names = {c.tracking_adapter for c in policy.carriers.values()} | set(policy.tracking_adapters.values())
    for name in sorted(names - {WEBHOOK_ONLY}):
        build_tracking_adapter(name, config)
