"""The returns policy from one TOML file: window, non-returnable categories, carriers, goodwill rules."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from app.returns.label import LabelAddress as ReturnAddress
from app.returns.vocabulary import REASONS

LEGAL_WITHDRAWAL_DAYS = 14
DEFAULT_FILE = Path(__file__).with_name("policy.toml")
EXCLUSION_KINDS = ("hygiene", "custom", "software", "voucher", "perishable")
REASON_CODES = tuple(REASONS)


class PolicyError(ValueError):
    """The policy file is not usable; the message names the setting."""


@dataclass(frozen=True)
class ReturnCarrier:
    code: str
    name: str
    drop_off_texts: dict[str, str]
    paperless: bool

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


def _cents(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise PolicyError(f"{name} must be a non-negative amount in euros")
    return round(value * 100)


def _text(table: dict, key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where}.{key} must be text")
    return value.strip()


def parse_policy(data: dict, source: str = "") -> ReturnsPolicy:
    """Validate a parsed policy document; PolicyError names the first bad setting."""
    window = data.get("window_days", 30)
    if isinstance(window, bool) or not isinstance(window, int) or window < LEGAL_WITHDRAWAL_DAYS:
        raise PolicyError(f"window_days must be a whole number of at least {LEGAL_WITHDRAWAL_DAYS} "
                          "(the legal withdrawal period)")
    address = data.get("return_address")
    if not isinstance(address, dict):
        raise PolicyError("[return_address] is missing")
    return_address = ReturnAddress(*(_text(address, k, "return_address") for k in ("name", "street", "postcode", "city")),
                                   country=address.get("country", "DE"))
    excluded = data.get("non_returnable", {})
    if not isinstance(excluded, dict) or any(kind not in EXCLUSION_KINDS for kind in excluded.values()):
        raise PolicyError(f"[non_returnable] maps a category to one of {', '.join(EXCLUSION_KINDS)}")
    carriers = {}
    for code, table in (data.get("carriers") or {}).items():
        if not isinstance(table, dict):
            raise PolicyError(f"[carriers.{code}] must be a table")
        texts = {"de": _text(table, "drop_off", f"carriers.{code}")}
        if "drop_off_en" in table:
            texts["en"] = _text(table, "drop_off_en", f"carriers.{code}")
        carriers[code] = ReturnCarrier(code, _text(table, "name", f"carriers.{code}"), texts,
                                       bool(table.get("paperless", False)))
    if not carriers:
        raise PolicyError("at least one [carriers.<code>] is needed")
    returnless = data.get("returnless", {})
    complaints = data.get("complaints", {})
    reasons = tuple(complaints.get("reasons", ["defekt"]))
    if any(reason not in REASON_CODES for reason in reasons):
        raise PolicyError(f"complaints.reasons must be among {', '.join(REASON_CODES)}")
    rate = returnless.get("good_standing_max_return_rate", 0.3)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise PolicyError("returnless.good_standing_max_return_rate must be between 0 and 1")
    min_orders = returnless.get("good_standing_min_orders", 3)
    if isinstance(min_orders, bool) or not isinstance(min_orders, int) or min_orders < 1:
        raise PolicyError("returnless.good_standing_min_orders must be a whole number of at least 1")
    return ReturnsPolicy(
        window_days=window, return_address=return_address, non_returnable=dict(excluded), carriers=carriers,
        returnless_max_cents=_cents(returnless.get("max_value", 0), "returnless.max_value"),
        good_standing_max_cents=_cents(returnless.get("good_standing_max_value", 0), "returnless.good_standing_max_value"),
        good_standing_min_orders=min_orders, good_standing_max_return_rate=float(rate),
        complaint_min_cents=_cents(complaints.get("min_value", 0), "complaints.min_value"),
        complaint_reasons=reasons, source=source,
    )


def load_policy(path: str | Path | None = None) -> ReturnsPolicy:
    path = Path(path) if path else DEFAULT_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{path}: {exc}") from exc
    try:
        return parse_policy(data, str(path))
    except PolicyError as exc:
        raise PolicyError(f"{path}: {exc}") from exc
