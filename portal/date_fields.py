"""A birth date typed in three boxes (day, month, year), as the design system recommends for a
date that people know by heart: it cannot be read in another order, whatever the browser's
language (a date picker in an American-English browser reads "09/03/2018" as 3 September).

The field reads ``<name>-day``, ``<name>-month`` and ``<name>-year``; its ``data`` is a
``datetime.date`` or None. A partial, impossible or future date gets a message that names the
date and the part to correct, and ``invalid_parts`` says which boxes to mark
(``macros/forms.html``'s ``date_parts`` draws them; a message added later, such as the
number's check, marks the whole date).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

from registry.daily_filings import paris_day
from registry.models import utcnow

PARTS = ("day", "month", "year")
EARLIEST_YEAR = 1900

MISSING = {
    "day": _l("La date de naissance est incomplète : indiquez le jour."),
    "month": _l("La date de naissance est incomplète : indiquez le mois."),
    "year": _l("La date de naissance est incomplète : indiquez l'année."),
}
NOT_A_NUMBER = {
    "day": _l("Le jour de la date de naissance s'écrit en chiffres, entre 1 et 31, par exemple 9."),
    "month": _l("Le mois de la date de naissance s'écrit en chiffres, entre 1 et 12, par exemple 3 pour mars."),
    "year": _l("L'année de la date de naissance s'écrit avec 4 chiffres, par exemple 2018."),
}
EMPTY = _l("Saisissez la date de naissance : le jour, le mois et l'année.")
DOES_NOT_EXIST = _l("La date de naissance %(day)s/%(month)s/%(year)s n'existe pas : vérifiez le jour et le mois.")
IN_THE_FUTURE = _l("La date de naissance est dans le futur : vérifiez l'année.")
TOO_OLD = _l("L'année de la date de naissance doit être comprise entre %(earliest)s et %(latest)s.")


class BirthDateField(Field):
    """A birth date in three text boxes with numeric keyboards. ``parts`` keeps what was typed,
    to be shown again for correction."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.parts = dict.fromkeys(PARTS, "")
        self.invalid_parts: set[str] = set()

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        self.invalid_parts = set()
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = data if isinstance(data, dt.date) else None
        self.parts = dict.fromkeys(PARTS, "")
        if self.data is not None:
            self.parts = {"day": str(self.data.day), "month": str(self.data.month), "year": str(self.data.year)}
        if formdata is not None:
            self.parts = {part: (formdata.get(f"{self.name}-{part}") or "").strip()[:8] for part in PARTS}
            self.data = _date_of(self.parts)

    def pre_validate(self, form):
        """Every problem of the typed date, each naming the part to correct."""
        self.invalid_parts = set()
        parts = self.parts
        if not any(parts.values()):
            self.invalid_parts = set(PARTS)
            raise StopValidation(str(EMPTY))
        problems = []
        for part in PARTS:
            if not parts[part]:
                problems.append((part, MISSING[part]))
            elif not _well_formed(part, parts[part]):
                problems.append((part, NOT_A_NUMBER[part]))
        if problems:
            self.invalid_parts = {part for part, _message in problems}
            self.errors.extend(str(message) for _part, message in problems)
            raise StopValidation()
        if self.data is None:
            self.invalid_parts = {"day", "month"}
            raise StopValidation(str(DOES_NOT_EXIST) % {
                "day": parts["day"].zfill(2), "month": parts["month"].zfill(2), "year": parts["year"]})
        today = paris_day(utcnow())
        if self.data > today:
            self.invalid_parts = {"year"} if self.data.year > today.year else set(PARTS)
            raise StopValidation(str(IN_THE_FUTURE))
        if self.data.year < EARLIEST_YEAR:
            self.invalid_parts = {"year"}
            raise StopValidation(str(TOO_OLD) % {"earliest": EARLIEST_YEAR, "latest": today.year})


def _well_formed(part: str, value: str) -> bool:
    if not value.isdigit():
        return False
    if part == "year":
        return len(value) == 4
    return 1 <= int(value) <= (31 if part == "day" else 12)


def _date_of(parts: dict[str, str]) -> dt.date | None:
    """The date the three parts name, or None when they name none."""
    if not all(parts[part].isdigit() for part in PARTS) or len(parts["year"]) != 4:
        return None
    try:
        return dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return None

