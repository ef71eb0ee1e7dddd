"""The funnel hook accepts the four steps and stores nothing yet."""

import pytest

from campaigns.reach import FUNNEL_STEPS, record_funnel_step


def test_each_funnel_step_is_accepted_and_nothing_is_written(session):
    for step in FUNNEL_STEPS:
        assert record_funnel_step(session, step, "vos-donnees-de-sante", "citizens") is None
    assert not session.new and not session.dirty


def test_an_unknown_step_is_a_programming_error(session):
    with pytest.raises(ValueError):
        record_funnel_step(session, "clicked", "vos-donnees-de-sante", "citizens")
