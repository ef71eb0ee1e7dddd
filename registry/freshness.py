"""How long a warehouse may rely on an answer of the registry, one rule for every answer.

A person may oppose at any time; a warehouse that checked last month does not know it. Every
answer therefore says when the registry was read (``checked_at``) and until when the warehouse
may rely on it (``valid_until``): a lookup, a job's results, a private filter. Past that moment
the warehouse checks again before it uses or releases the data. The same period flags, on the
compliance board, an active warehouse that has not checked for longer.
"""

from __future__ import annotations

import datetime as dt

DEFAULT_VALIDITY_DAYS = 7


def validity(days: float | int | str | None) -> dt.timedelta:
    """The setting (``REGISTRE_ANSWER_VALIDITY_DAYS``) as a period: a positive number of days."""
    value = float(DEFAULT_VALIDITY_DAYS if days in (None, "") else days)
    if not value > 0:
        raise ValueError("the validity of an answer is a positive number of days")
    return dt.timedelta(days=value)


def valid_until(checked_at: dt.datetime, period: dt.timedelta) -> dt.datetime:
    return checked_at + period


def stamp(moment: dt.datetime | None) -> str | None:
    """An instant as the API writes it: ISO 8601 in UTC with a ``Z``."""
    return moment.isoformat().replace("+00:00", "Z") if moment else None
