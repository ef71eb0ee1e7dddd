"""What "my space" shows for each person an account filed for, built before rendering so that
templates only format and loop."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts import AccountSubject, account_links
from registry.models import OppositionVersion
from registry.oppositions import OppositionState, subject_state
from registry.purposes import Purpose
from registry.transparency import applications_for_subject


@dataclass(frozen=True)
class WarehouseApplication:
    """A warehouse applied this opposition: the shape the "who applied my opposition" section
    lists (filled from the registry's transparency records once lookups record matches)."""

    warehouse: str
    purpose: Purpose
    first_applied_at: dt.datetime
    last_applied_at: dt.datetime


@dataclass(frozen=True)
class OppositionCard:
    link: AccountSubject
    state: OppositionState
    history: list[OppositionVersion]
    applications: list[WarehouseApplication]


def warehouse_applications(session: Session, subject_id: int) -> list[WarehouseApplication]:
    """Which warehouses applied this subject's opposition (recorded when their lookups matched),
    newest first."""
    return [
        WarehouseApplication(a.warehouse_name, a.purpose, a.first_seen, a.last_seen)
        for a in applications_for_subject(session, subject_id)
    ]


def opposition_cards(session: Session, account_id: int) -> list[OppositionCard]:
    cards = []
    for link in account_links(session, account_id):
        history = list(session.scalars(
            select(OppositionVersion).where(OppositionVersion.subject_id == link.subject_id)
            .order_by(OppositionVersion.version.desc())
        ))
        cards.append(OppositionCard(link, subject_state(session, link.subject), history,
                                    warehouse_applications(session, link.subject_id)))
    return cards
