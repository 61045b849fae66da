"""The checklist for a parcel shown as delivered that the customer does not have."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.tracking.calendar import add_working_days

# The help article "Paket als zugestellt angezeigt, aber nicht erhalten" (content/sendungsverfolgung/
# paket-zugestellt-nicht-erhalten.md): wait until the end of the next working day, report within 7 days of the
# delivery date shown. The page follows the same limits, so it never offers what the article rules out.
REPORT_WITHIN_DAYS = 7


@dataclass(frozen=True)
class Step:
    number: int
    key: str
    title: str
    text: str


STEPS = (
    Step(1, "proof", _l("Zustellnachweis ansehen"),
         _l("Sehen Sie sich den letzten Eintrag unten an: Oft steht dort, wo das Paket abgegeben wurde – bei einem "
            "Nachbarn (mit Namen), an einem Ablageort oder in einer Packstation.")),
    Step(2, "neighbour", _l("Bei den Nachbarn fragen"),
         _l("Fragen Sie in den Wohnungen über, unter und neben Ihnen und im Nachbarhaus. Zusteller geben Pakete gern "
            "bei Nachbarn ab und hinterlassen dann eine Karte.")),
    Step(3, "packstation", _l("Packstation, Filiale oder Paketshop prüfen"),
         _l("Liegt eine Benachrichtigungskarte im Briefkasten oder kam eine E-Mail/App-Nachricht des Zustellers? "
            "Dann wartet das Paket in einer Packstation, Filiale oder einem Paketshop auf Sie.")),
    Step(4, "mailbox", _l("Briefkasten und Ablageort ansehen"),
         _l("Kleine Sendungen passen in den Briefkasten. Sehen Sie auch an Ihrem Wunsch-Ablageort nach – Garage, "
            "Terrasse, Gartenhaus.")),
    Step(5, "household", _l("Im Haushalt fragen"),
         _l("Hat jemand aus Ihrer Familie, Ihrer WG oder ein Kollege am Arbeitsplatz das Paket angenommen?")),
)


def step_by_number(number: int | None) -> Step:
    for step in STEPS:
        if step.number == number:
            return step
    return STEPS[0]


@dataclass(frozen=True)
class ReportTiming:
    state: str  # "wait" (the parcel may still come), "open" (report it now), "late" (past the carrier's limit)
    wait_until: dt.date  # end of the next working day after the delivery scan
    last_day: dt.date  # the last day the carrier accepts a search request


def report_timing(delivered_on: dt.date, today: dt.date, state: str) -> ReportTiming:
    """Whether a parcel shown as delivered can be reported as missing today, by the help article's limits."""
    wait_until = add_working_days(delivered_on, 1, state)
    last_day = delivered_on + dt.timedelta(days=REPORT_WITHIN_DAYS)
    if today > last_day:
        return ReportTiming("late", wait_until, last_day)
    if today < wait_until:
        return ReportTiming("wait", wait_until, last_day)
    return ReportTiming("open", wait_until, last_day)
