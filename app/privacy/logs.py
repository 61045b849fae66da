"""No card number in any log line: every record is masked where it is made and where it is written."""
from __future__ import annotations

import logging
import re
import urllib.parse

from app.privacy.redaction import mask_card_numbers

_MASKED = "_card_numbers_masked"
# The shop's sign-in token in /sso/jwt?jwt=… as the development server logs request lines (gunicorn's
# access log format has the path only): short-lived and used once, but a credential until then.
_SSO_TOKEN = re.compile(r"([?&]jwt=)[^&\s\"']+")


def mask_log_text(text: str) -> str:
    """Mask card numbers, also in URLs and query strings as servers log them (%20, + for a blank), and
    single-sign-on tokens in logged URLs."""
    masked = mask_card_numbers(_SSO_TOKEN.sub(r"\1[token]", text) if "jwt=" in text else text)
    if "%" in text or "+" in text:
        decoded = urllib.parse.unquote_plus(masked)
        decoded_masked = mask_card_numbers(decoded)
        if decoded_masked != decoded:
            return decoded_masked
    return masked


class CardNumberFilter(logging.Filter):
    """Masks the formatted message (its arguments included), the exception text and the stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _MASKED, False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        masked = mask_log_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_log_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_log_text(record.stack_info)
        setattr(record, _MASKED, True)
        return True


_FILTER = CardNumberFilter()


def install_log_masking(*loggers: logging.Logger) -> None:
    """Put the filter on the handlers of the root logger and of `loggers`, and on every record as it is
    made, so handlers added later (gunicorn's, a test's capture) never see an unmasked number."""
    for logger in (logging.getLogger(), *loggers):
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
    factory = logging.getLogRecordFactory()
    if getattr(factory, _MASKED, False):
        return

    def masked_record(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        _FILTER.filter(record)
        return record

    setattr(masked_record, _MASKED, True)
    logging.setLogRecordFactory(masked_record)
