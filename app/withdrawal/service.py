"""Receive a withdrawal (§ 356a BGB): build the declaration, store it once, confirm it by e-mail."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import urllib.parse
from dataclasses import asdict, dataclass, field

from flask import current_app
from flask_babel import force_locale, format_date, format_datetime
from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.cases.numbering import next_number
from app.core.errors import InvalidInput
from app.core.schemas import parse_data
from app.extensions import db
from app.idempotency import commit_with_retries
from app.i18n import current_language
from app.privacy.redaction import mask_card_numbers
from app.shop.fields import SHOP_TIMEZONE
from app.shop.models import Order
from app.shop.orders import is_owner, order_by_number
from app.withdrawal.models import Withdrawal, WithdrawalSequence
from app.withdrawal.schemas import WithdrawalInput

PREFIX = "W"
_DECLARED_AT = {"de": "d. MMMM yyyy, HH:mm 'Uhr'", "en": "d MMMM yyyy, HH:mm"}
_ORDER_DATE = {"de": "d. MMMM yyyy", "en": "d MMMM yyyy"}


class WithdrawalInvalid(InvalidInput):
    """The input cannot become the declaration of this order; a message per field for the customer."""


class WithdrawalConflict(ValueError):
    """The same submission id came with another declaration."""


@dataclass(frozen=True)
class WithdrawalRequest:
    """What the customer declares, as parsed by app/withdrawal/schemas.py WithdrawalInput."""

    order_number: str
    name: str
    email: str
    skus: tuple[str, ...] = ()
    items_text: str | None = None
    ordered_on: dt.date | None = None
    reason: str | None = None
    lang: str = "de"
    submission_id: str | None = None

    def to_dict(self) -> dict:
        """Plain JSON values (for the signed draft between the two steps)."""
        data = asdict(self)
        data["skus"] = list(self.skus)
        data["ordered_on"] = self.ordered_on.isoformat() if self.ordered_on else None
        return data

    @classmethod
    def from_input(cls, given: WithdrawalInput, lang: str) -> WithdrawalRequest:
        return cls(**given.model_dump(), lang=lang if lang in ("de", "en") else "de")

    @classmethod
    def from_dict(cls, data: dict) -> WithdrawalRequest:
        """A draft back from the browser, parsed by the same schema as the form (InvalidInput if it is odd)."""
        if not isinstance(data, dict):
            raise InvalidInput()
        return cls.from_input(parse_data(WithdrawalInput, data), data.get("lang") or "de")

    @property
    def idempotency_key(self) -> str | None:
        return f"form:{self.submission_id}" if self.submission_id else None


@dataclass(frozen=True)
class Declaration:
    """What the customer declares, exactly as shown before confirming and as stored afterwards."""

    order_number: str
    name: str
    email: str
    whole_order: bool
    items: tuple[dict, ...]
    reason: str | None
    text: str
    order: Order | None = field(default=None, compare=False)

    @property
    def text_sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Submission:
    withdrawal: Withdrawal
    created: bool


def _item_line(item: dict) -> str:
    if "description" in item:
        return item["description"]
    details = ", ".join(v for v in (item.get("size"), item.get("colour")) if v)
    name = f"{item['name']} ({details})" if details else item["name"]
    return _("%(name)s, %(quantity)d Stück, Artikelnummer %(sku)s", name=name, quantity=item["quantity"],
             sku=item["sku"])


def declaration_text(order_number: str, name: str, email: str, items: tuple[dict, ...], ordered_on: dt.date | None,
                     reason: str | None) -> str:
    """The declaration in the customer's words, modelled on the statutory withdrawal form (Anlage 2 EGBGB)."""
    goods = "\n".join(f"– {_item_line(item)}" for item in items) if items else \
        _("– alle Waren dieser Bestellung")
    lines = [_("Hiermit widerrufe ich den von mir abgeschlossenen Vertrag über den Kauf der folgenden Waren:"), goods]
    if ordered_on is not None:
        lines.append(_("Bestellt am: %(date)s", date=format_date(ordered_on, _ORDER_DATE[_lang()])))
    lines += [_("Bestellnummer: %(number)s", number=order_number), _("Name: %(name)s", name=name),
              _("E-Mail: %(email)s", email=email)]
    if reason:
        lines.append(_("Grund (freiwillige Angabe): %(reason)s", reason=reason))
    return "\n".join(lines)


def _lang() -> str:
    return current_language() if current_language() in _DECLARED_AT else "de"


def prepare(req: WithdrawalRequest, user) -> Declaration:
    """Validate the input and build the declaration; nothing is stored. The same answer whether the
    order exists or not — only a signed-in owner sees their order's items and date in it."""
    errors: dict[str, str] = {}
    number, name, email = req.order_number, req.name, req.email
    items_text, reason, ordered_on = req.items_text, req.reason, req.ordered_on
    order = order_by_number(number) if number else None
    owner = order is not None and is_owner(order, user)
    items: tuple[dict, ...] = ()
    if owner:
        by_sku = {item.sku: item for item in order.items}
        chosen = tuple(dict.fromkeys(req.skus))
        if chosen and not set(chosen) <= set(by_sku):
            errors["skus"] = _("Diese Artikel gehören nicht zur gewählten Bestellung.")
        whole_order = not chosen
        # The whole order is declared with all its items named, so the text says exactly what comes back.
        items = tuple({"sku": i.sku, "name": i.name, "size": i.size, "colour": i.colour, "quantity": i.quantity}
                      for i in (order.items if whole_order else [by_sku[s] for s in chosen if s in by_sku]))
        ordered_on = order.placed_at.replace(tzinfo=dt.timezone.utc).astimezone(SHOP_TIMEZONE).date()
    else:
        whole_order = not items_text
        if items_text:
            items = ({"description": mask_card_numbers(items_text)},)
    if errors:
        raise WithdrawalInvalid(errors)
    reason = mask_card_numbers(reason) if reason else None
    with force_locale(req.lang):
        text = declaration_text(number, name, email, items, ordered_on, reason)
    matched = order is not None and (owner or order.customer.email.lower() == email.lower())
    return Declaration(order_number=number, name=name, email=email, whole_order=whole_order, items=items,
                       reason=reason, text=text, order=order if matched else None)


def key_taken_by_other(req: WithdrawalRequest, declaration: Declaration) -> bool:
    """Whether this form's submission id already stands for a different declaration (the customer
    went back, changed something and sends a new one)."""
    if not req.idempotency_key:
        return False
    existing = db.session.scalar(select(Withdrawal).where(Withdrawal.idempotency_key == req.idempotency_key))
    return existing is not None and existing.declaration_text != declaration.text


def digest(withdrawal: Withdrawal) -> str:
    """SHA-256 over the declaration's content in a fixed form, so a stored row can be checked later."""
    content = {"number": withdrawal.number, "declared_at": withdrawal.declared_at.isoformat() + "Z",
               "text": withdrawal.declaration_text, "items": json.loads(withdrawal.items),
               "order_number": withdrawal.order_number_given, "name": withdrawal.contact_name,
               "email": withdrawal.contact_email, "reason": withdrawal.reason}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                          .encode("utf-8")).hexdigest()


def verify(withdrawal: Withdrawal) -> bool:
    """Whether the stored row still has the content its hash was taken over."""
    return withdrawal.declaration_sha256 == digest(withdrawal)


def declared_at_text(withdrawal: Withdrawal) -> str:
    """The time of receipt in German time, e.g. '2. Dezember 2026, 14:05 Uhr'."""
    return format_datetime(withdrawal.declared_at.replace(tzinfo=dt.timezone.utc), _DECLARED_AT[_lang()])


def label_path(order_number: str, skus: tuple[str, ...] = ()) -> str:
    """The returns center for this order (and these articles ticked), relative to the site."""
    return "/retouren?" + urllib.parse.urlencode([("order", order_number)] + [("sku", sku) for sku in skus])


@dataclass(frozen=True)
class NextStep:
    """Where the receipt sends the customer: the returns already registered for the withdrawn articles
    (their page has the label and the QR code) and, for articles in none of them, a new return."""

    open_returns: tuple[str, ...]
    new_return_url: str | None


def next_step(withdrawal: Withdrawal, user) -> NextStep:
    """The return that already exists for the withdrawn articles, or a new one — never a second label for
    articles already registered. Only returns this visitor may open are named; anyone else is sent to the
    returns center, which shows them once the order is proved."""
    from app.returns.access import visible_return
    from app.returns.listing import waiting_returns

    order = withdrawal.order
    declared = tuple(item["sku"] for item in items_of(withdrawal) if "sku" in item)
    if order is None:
        return NextStep((), label_path(withdrawal.order_number_given))
    # Free text or the whole order: any of its articles may be meant.
    skus = declared or tuple(item.sku for item in order.items)
    waiting = waiting_returns(order, skus)
    covered = {item.sku for ret in waiting for item in ret.items}
    shown = tuple(ret.number for ret in waiting if visible_return(ret.number, user) is not None)
    left = tuple(sku for sku in skus if sku not in covered)
    if waiting and not shown:
        return NextStep((), label_path(order.number))
    if not left:
        return NextStep(shown, None)
    # Only articles the declaration names arrive ticked (not for the whole order or a free-text description).
    return NextStep(shown, label_path(order.number, left if declared else ()))


def _queue_confirmation(withdrawal: Withdrawal) -> None:
    from app.outbox.service import queue_email

    shop = current_app.config["HELPCENTER_SHOP_NAME"]
    with force_locale(withdrawal.lang):
        link = current_app.config["HELPCENTER_BASE_URL"].rstrip("/") + label_path(withdrawal.order_number_given)
        subject = _("Ihr Widerruf %(number)s bei %(shop)s", number=withdrawal.number, shop=shop)
        body = _("Hallo %(name)s,\n\nIhren Widerruf haben wir am %(when)s erhalten. Er hat die Nummer %(number)s.\n\n"
                 "Ihre Erklärung im Wortlaut:\n\n%(text)s\n\n"
                 "So geht es weiter: Senden Sie die Waren bitte innerhalb von 14 Tagen an uns zurück. "
                 "Ihr Rücksendeetikett erstellen Sie hier:\n%(link)s\n\n"
                 "Bitte heben Sie diese E-Mail als Nachweis Ihres Widerrufs auf.\n\nIhr Kundenservice von %(shop)s",
                 name=withdrawal.contact_name, when=declared_at_text(withdrawal), number=withdrawal.number,
                 text=withdrawal.declaration_text, link=link, shop=shop)
    queue_email(withdrawal.contact_email, subject, body, dedupe_key=f"withdrawal-ack:{withdrawal.number}")


def storage_key(req: WithdrawalRequest, declaration: Declaration, user) -> str | None:
    """What makes two confirmations one declaration.

    A signed-in customer's declaration is the same declaration whenever its text is the same — two
    tabs or two devices confirming it store it once and mail it once (its text names the order, the
    items, name and e-mail). A guest's is one per form (submission id): nobody may learn from the
    answer that somebody else already declared the same, so every guest form is received on its own.
    """
    if getattr(user, "is_authenticated", False):
        return f"user:{user.id}:{declaration.text_sha256}"
    return req.idempotency_key


def submit(req: WithdrawalRequest, user, now: dt.datetime) -> Submission:
    """Store the declaration with its confirmation e-mail in the caller's transaction (the caller commits).

    The same declaration again (storage_key) returns the first withdrawal; a guest's form sent with
    another declaration raises WithdrawalConflict.
    """
    declaration = prepare(req, user)
    key = storage_key(req, declaration, user)
    if key:
        existing = db.session.scalar(select(Withdrawal).where(Withdrawal.idempotency_key == key))
        if existing is not None:
            if existing.declaration_text != declaration.text:
                raise WithdrawalConflict(existing.number)
            return Submission(existing, False)
    declared_at = now.astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    number = next_number(WithdrawalSequence, PREFIX, now.astimezone(SHOP_TIMEZONE).year)
    withdrawal = Withdrawal(
        number=number, order_number_given=declaration.order_number,
        order_id=declaration.order.id if declaration.order is not None else None,
        user_id=user.id if getattr(user, "is_authenticated", False) else None, matched=declaration.order is not None,
        contact_name=declaration.name, contact_email=declaration.email, whole_order=declaration.whole_order,
        items=json.dumps(list(declaration.items), ensure_ascii=False), reason=declaration.reason,
        declaration_text=declaration.text, idempotency_key=key, lang=req.lang, declared_at=declared_at,
    )
    withdrawal.declaration_sha256 = digest(withdrawal)
    db.session.add(withdrawal)
    db.session.flush()
    _queue_confirmation(withdrawal)
    return Submission(withdrawal, True)


def submit_and_commit(req: WithdrawalRequest, user, now: dt.datetime) -> Submission:
    """submit, then commit; a concurrent twin of the same declaration yields the first withdrawal.

    The twin's insert waits for the first one's unique key and is then refused; a deadlock or
    serialization failure runs it again (at most ATTEMPTS times, then 409).
    """
    return commit_with_retries(lambda: submit(req, user, now), lambda: _twin(req, user))


def _twin(req: WithdrawalRequest, user) -> Submission | None:
    declaration = prepare(req, user)
    key = storage_key(req, declaration, user)
    existing = db.session.scalar(select(Withdrawal).where(Withdrawal.idempotency_key == key)) if key else None
    if existing is None or existing.declaration_text != declaration.text:
        return None
    return Submission(existing, False)


def withdrawals_of(user) -> list[Withdrawal]:
    """The signed-in customer's withdrawals: sent while signed in, or matched to one of their orders."""
    if not getattr(user, "is_authenticated", False):
        return []
    mine = Withdrawal.user_id == user.id
    if user.customer_id is not None:
        mine = or_(mine, Withdrawal.order_id.in_(select(Order.id).where(Order.customer_id == user.customer_id)))
    return list(db.session.scalars(select(Withdrawal).where(mine).order_by(Withdrawal.declared_at.desc(),
                                                                           Withdrawal.id.desc())))


def withdrawal_by_number(number: str) -> Withdrawal | None:
    if not isinstance(number, str) or len(number) > 20:
        return None
    return db.session.scalar(select(Withdrawal).where(Withdrawal.number == number))


def items_of(withdrawal: Withdrawal) -> list[dict]:
    return json.loads(withdrawal.items or "[]")
