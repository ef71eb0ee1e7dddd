"""The two writes whose form depends on the engine, written once for the whole registry.

SQLite and PostgreSQL share ``INSERT ... ON CONFLICT``, but SQLAlchemy builds it from each
dialect's own ``insert``: ``upsert`` picks it. The raw-driver fast paths (``registry.transparency``,
``registry.warehouses``: statements run thousands of times a second, where SQLAlchemy's overhead
would cost more than the query) pass datetimes to SQLite as the text SQLAlchemy stores, which
``sqlite_datetime_text`` writes (the sqlite3 driver's own datetime adapter is deprecated).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert(session: Session, entity, values: Mapping[str, Any] | Sequence[Mapping[str, Any]], *,
           key: Iterable[str], add: Iterable[str] = ()) -> None:
    """Insert the row ``values`` into ``entity`` (a model or a table) in one atomic statement; when
    a row with the same ``key`` columns exists, add the new values of the ``add`` columns to
    its own (a counter), or leave it as it is when ``add`` is empty. Two writers never race on a
    new row, and neither waits for the other to read first. ``values`` may be a list of rows
    with the same columns: one statement sent for all of them."""
    rows = [values] if isinstance(values, Mapping) else list(values)
    if not rows:
        return
    table = getattr(entity, "__table__", entity)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    added = {column: table.c[column] + statement.excluded[column] for column in add}
    if added:
        statement = statement.on_conflict_do_update(index_elements=list(key), set_=added)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(key))
    session.execute(statement, rows)


def sqlite_datetime_text(moment: dt.datetime) -> str:
    """A naive UTC datetime as SQLAlchemy stores it in SQLite, so that values passed to the raw
    driver compare, as text, with the stored ones."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
