"""The returns policy from one TOML file: window, non-returnable categories, carriers, goodwill rules."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, StrictBool, StringConstraints, ValidationError, field_validator

from app.config import ConfigError
from app.core.config_files import ConfigSection, config_problem, describe, read_config, says
from app.returns.label import LabelAddress as ReturnAddress
from app.returns.vocabulary import REASONS

LEGAL_WITHDRAWAL_DAYS = 14
DEFAULT_FILE = Path(__file__).with_name("policy.toml")
EXCLUSION_KINDS = ("hygiene", "custom", "software", "voucher", "perishable")
REASON_CODES = tuple(REASONS)


class PolicyError(ConfigError, ValueError):
    """The policy file is not usable; the message names the setting."""


@dataclass(frozen=True)
class ReturnCarrier:
    code: str
    name: str
    drop_off_texts: dict[str, str]
    paperless: bool
    # Adapter names (app.carriers.registry): "own" = the help center's own label, "webhook" = scans by webhook only.
    label_adapter: str = "own"
    tracking_adapter: str = "webhook"

    @property
    def drop_off(self) -> str:
        """Where to hand the parcel in, in the language of the page or mail being written."""
        from app.i18n import current_language

        return self.drop_off_texts.get(current_language(), self.drop_off_texts["de"])


@dataclass(frozen=True)
class ReturnsPolicy:
    window_days: int
    return_address: ReturnAddress
    non_returnable: dict[str, str]
    carriers: dict[str, ReturnCarrier]
    returnless_max_cents: int
    good_standing_max_cents: int
    good_standing_min_orders: int
    good_standing_max_return_rate: float
    complaint_min_cents: int
    complaint_reasons: tuple[str, ...]
    source: str = ""
    # Carriers of outgoing shipments that are not return carriers: carrier code -> tracking adapter name.
    tracking_adapters: dict[str, str] = field(default_factory=dict)


# --- the file ---------------------------------------------------------------------------------

Euros = Annotated[float, Field(strict=True, ge=0, le=10 ** 6, allow_inf_nan=False)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


def _cents(euros: float) -> int:
    return round(euros * 100)


class AddressSpec(ConfigSection):
    name: Text
    street: Text
    postcode: Text
    city: Text
    country: Text = "DE"


def _known_label_adapter(name: str) -> str:
    from app.carriers.registry import label_adapter_names

    if name not in label_adapter_names():
        raise config_problem(f"unknown label adapter {name!r}; known: {', '.join(label_adapter_names())}")
    return name


def _known_tracking_adapter(name: str) -> str:
    from app.carriers.registry import tracking_adapter_names

    if name not in tracking_adapter_names():
        raise config_problem(f"unknown tracking adapter {name!r}; known: {', '.join(tracking_adapter_names())}")
    return name


LabelAdapterName = Annotated[str, AfterValidator(_known_label_adapter)]
TrackingAdapterName = Annotated[str, AfterValidator(_known_tracking_adapter)]


class CarrierSpec(ConfigSection):
    name: Text
    drop_off: Text
    drop_off_en: Text | None = None
    paperless: StrictBool = False
    # Who issues the label: "own" (drawn here, the fallback) or a carrier API adapter such as "dhl_returns".
    label: LabelAdapterName = "own"
    # Where this carrier's scans come from: "webhook" (pushed to us) or a polling adapter such as "dhl".
    tracking: TrackingAdapterName = "webhook"


class ReturnlessSpec(ConfigSection):
    max_value: Euros = 0
    good_standing_max_value: Euros = 0
    good_standing_min_orders: Annotated[int, Field(strict=True, ge=1, le=10 ** 6)] = 3
    good_standing_max_return_rate: Annotated[float, Field(strict=True, ge=0, le=1)] = 0.3


class ComplaintsSpec(ConfigSection):
    min_value: Euros = 0
    reasons: list[str] = ["defekt"]

    @field_validator("reasons")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        if any(reason not in REASON_CODES for reason in value):
            raise config_problem(f"must be among {', '.join(REASON_CODES)}")
        return value


class PolicyFile(ConfigSection):
    """The whole returns policy file."""

    window_days: Annotated[int, Field(strict=True, ge=LEGAL_WITHDRAWAL_DAYS, le=3650),
                           says(f"must be a whole number of at least {LEGAL_WITHDRAWAL_DAYS} "
                                "(the legal withdrawal period)")] = 30
    return_address: AddressSpec
    non_returnable: dict[str, str] = {}
    carriers: dict[str, CarrierSpec] = Field(min_length=1)
    returnless: ReturnlessSpec = ReturnlessSpec()
    complaints: ComplaintsSpec = ComplaintsSpec()
    # Tracking of outgoing shipments by carriers customers do not return with: `[tracking] dpd = "webhook"`.
    tracking: dict[str, TrackingAdapterName] = {}

    @field_validator("non_returnable")
    @classmethod
    def _kinds(cls, value: dict[str, str]) -> dict[str, str]:
        for category, kind in value.items():
            if kind not in EXCLUSION_KINDS:
                raise config_problem(f"{category!r} must map to one of {', '.join(EXCLUSION_KINDS)}")
        return value


def parse_policy(data: dict, source: str = "") -> ReturnsPolicy:
    """Validate a parsed policy document; PolicyError names the first bad setting."""
    try:
        spec = PolicyFile.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(describe(exc)) from None
    return _policy(spec, source)


def _drop_off_texts(carrier: CarrierSpec) -> dict[str, str]:
    return {"de": carrier.drop_off, **({"en": carrier.drop_off_en} if carrier.drop_off_en else {})}


def _policy(spec: PolicyFile, source: str) -> ReturnsPolicy:
    address = spec.return_address
    carriers = {code: ReturnCarrier(code, c.name, _drop_off_texts(c), c.paperless, label_adapter=c.label,
                                    tracking_adapter=c.tracking) for code, c in spec.carriers.items()}
    returnless, complaints = spec.returnless, spec.complaints
    return ReturnsPolicy(
        window_days=spec.window_days,
        return_address=ReturnAddress(address.name, address.street, address.postcode, address.city,
                                     country=address.country),
        non_returnable=dict(spec.non_returnable), carriers=carriers,
        returnless_max_cents=_cents(returnless.max_value),
        good_standing_max_cents=_cents(returnless.good_standing_max_value),
        good_standing_min_orders=returnless.good_standing_min_orders,
        good_standing_max_return_rate=float(returnless.good_standing_max_return_rate),
        complaint_min_cents=_cents(complaints.min_value), complaint_reasons=tuple(complaints.reasons), source=source,
        tracking_adapters=dict(spec.tracking),
    )


def load_policy(path: str | Path | None = None) -> ReturnsPolicy:
    path = Path(path) if path else DEFAULT_FILE
    return _policy(read_config(PolicyFile, path, PolicyError), str(path))
