"""The funnel hook of the literacy modules, for the campaign reach counters to come.

Views call ``record_funnel_step`` at each step (lesson viewed, quiz started, completed, passed) so
that the campaigns issue only has to fill this function in: daily counters per placement,
aggregate only, nothing read from or written to the visitor's device. Until then it checks the
step and records nothing: the only stored trace of a citizen's quiz is the per-question aggregate.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

FUNNEL_STEPS = ("lesson_viewed", "quiz_started", "quiz_completed", "quiz_passed")


def record_funnel_step(session: Session, step: str, module_slug: str, audience: str) -> None:
    """Count one funnel step for a module (not yet stored; see the module docstring)."""
    if step not in FUNNEL_STEPS:
        raise ValueError(f"unknown funnel step {step!r}")
