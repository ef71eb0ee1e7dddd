"""The purposes a person can oppose, after EHDS article 53(1).

Stored as a bit mask so a lookup for one purpose is a single AND; the codes are the stable
public names used in the API and in forms. The English labels are defaults: the web layer
translates them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Purpose(enum.Enum):
    """A secondary-use purpose; ``value`` is (code, bit, English label)."""

    PUBLIC_HEALTH = ("public_health", 1 << 0, "Public interest in public and occupational health")
    POLICY = ("policy", 1 << 1, "Policy-making and regulation")
    STATISTICS = ("statistics", 1 << 2, "Official statistics")
    EDUCATION = ("education", 1 << 3, "Education and teaching in health")
    RESEARCH = ("research", 1 << 4, "Scientific research")
    INNOVATION = ("innovation", 1 << 5, "Development and innovation of products and services")
    AI = ("ai", 1 << 6, "Training, testing and evaluating algorithms, including AI")
    CARE_IMPROVEMENT = ("care_improvement", 1 << 7, "Improving care and personalised treatment")

    @property
    def code(self) -> str:
        return self.value[0]

    @property
    def bit(self) -> int:
        return self.value[1]

    @property
    def label(self) -> str:
        return self.value[2]


ALL_PURPOSES_MASK = sum(p.bit for p in Purpose)
_BY_CODE = {p.code: p for p in Purpose}


class UnknownPurpose(ValueError):
    """A purpose code that is not one of ``Purpose``; ``code`` is the stable reason."""

    code = "unknown_purpose"

    def __init__(self, value: str) -> None:
        super().__init__(f"unknown purpose {value[:40]!r}; expected one of {', '.join(_BY_CODE)}")


def purpose_from_code(code: str) -> Purpose:
    try:
        return _BY_CODE[code]
    except KeyError:
        raise UnknownPurpose(code) from None


def mask_of(purposes: Iterable[Purpose]) -> int:
    mask = 0
    for purpose in purposes:
        mask |= purpose.bit
    return mask


def purposes_of(mask: int) -> list[Purpose]:
    """The purposes in a mask, in the canonical order."""
    return [p for p in Purpose if mask & p.bit]
