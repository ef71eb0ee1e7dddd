import datetime as dt

import pyotp
import pytest
from sqlalchemy import select

from registry.audit import verify_chain
from registry.models import AuditEvent
from registry.staff import (
    AccountExists,
    InvalidEmail,
    LockoutPolicy,
    LoginRefused,
    UnknownRole,
    WeakPassword,
    check_password,
    check_totp,
    create_staff_account,
    disable_account,
    find_account,
    reset_password,
    reset_totp,
    unlock_account,
)

pytestmark = pytest.mark.db

PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone.utc)


def code_at(account, when):
    return pyotp.TOTP(account.totp_secret).at(when)


@pytest.fixture
def agent(session):
    return create_staff_account(session, " Agent@Example.fr ", "agent", PASSWORD, actor="cli")


def actions(session):
    return [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def test_an_account_keeps_an_argon2id_hash_never_the_password(session, agent):
    assert agent.email == "agent@example.fr"
    assert agent.password_hash.startswith("$argon2id$")
    assert PASSWORD not in agent.password_hash
    assert not agent.enrolled
    assert actions(session) == ["staff.created"]


@pytest.mark.parametrize(("email", "role", "password", "error"), [
    ("not-an-email", "agent", PASSWORD, InvalidEmail),
    ("a@b.fr", "superuser", PASSWORD, UnknownRole),
    ("a@b.fr", "agent", "short", WeakPassword),
])
def test_bad_account_data_is_refused_with_a_code(session, email, role, password, error):
    with pytest.raises(error):
        create_staff_account(session, email, role, password, actor="cli")


def test_an_email_has_one_account(session, agent):
    with pytest.raises(AccountExists):
        create_staff_account(session, "agent@example.fr", "registry_admin", PASSWORD, actor="cli")


def test_password_then_totp_signs_in_and_enrols_the_first_time(session, agent):
    account = check_password(session, "agent@example.fr", PASSWORD, now=T0)
    check_totp(session, account, code_at(account, T0), now=T0)
    assert account.enrolled and account.last_login_at == T0
    assert actions(session) == ["staff.created", "staff.totp_enrolled", "staff.login"]
    assert verify_chain(session).ok


def test_a_totp_code_cannot_be_used_twice(session, agent):
    code = code_at(agent, T0)
    check_totp(session, agent, code, now=T0)
    with pytest.raises(LoginRefused) as refused:
        check_totp(session, agent, code, now=T0 + dt.timedelta(seconds=5))
    assert refused.value.code == "invalid_code"


def test_an_unknown_email_and_a_wrong_password_get_the_same_answer(session, agent):
    with pytest.raises(LoginRefused) as unknown:
        check_password(session, "nobody@example.fr", PASSWORD, now=T0)
    with pytest.raises(LoginRefused) as wrong:
        check_password(session, "agent@example.fr", "wrong password!", now=T0)
    assert unknown.value.code == wrong.value.code == "invalid_credentials"


def test_failures_bring_growing_delays_then_a_lock(session, agent):
    policy = LockoutPolicy(free_attempts=3, base_delay=2, max_delay=300, lock_after=6)
    now = T0
    waits = []
    for _ in range(5):
        with pytest.raises(LoginRefused) as refused:
            check_password(session, "agent@example.fr", "wrong password!", policy=policy, now=now)
        assert refused.value.code == "invalid_credentials"
        try:
            check_password(session, "agent@example.fr", PASSWORD, policy=policy, now=now)
            waits.append(0)
        except LoginRefused as early:
            assert early.code == "wait"
            waits.append(early.retry_after)
        now += dt.timedelta(seconds=policy.delay_after(agent.failed_attempts))
    assert waits == [0, 0, 2, 4, 8]
    with pytest.raises(LoginRefused) as refused:
        check_totp(session, agent, "000000", policy=policy, now=now)
    assert refused.value.code == "locked"
    with pytest.raises(LoginRefused) as refused:
        check_password(session, "agent@example.fr", PASSWORD, policy=policy, now=now + dt.timedelta(minutes=59))
    assert refused.value.code == "locked"
    assert actions(session).count("staff.login_failed") == 6
    assert actions(session)[-1] == "staff.locked"


def test_a_lock_ends_by_itself_after_its_duration(session, agent):
    policy = LockoutPolicy(lock_after=2, base_delay=0, lock_duration=3600)
    for _ in range(2):
        with pytest.raises(LoginRefused):
            check_totp(session, agent, "000000", policy=policy, now=T0)
    with pytest.raises(LoginRefused) as refused:
        check_password(session, "agent@example.fr", PASSWORD, policy=policy, now=T0 + dt.timedelta(seconds=3599))
    assert (refused.value.code, refused.value.retry_after) == ("locked", 1)
    later = T0 + dt.timedelta(seconds=3600)
    account = check_password(session, "agent@example.fr", PASSWORD, policy=policy, now=later)
    check_totp(session, account, code_at(account, later), policy=policy, now=later)
    assert (account.locked_at, account.failed_attempts) == (None, 0)
    assert "staff.lock_expired" in actions(session)


def test_a_refused_attempt_is_never_counted_nor_checked(session, agent):
    """While a delay runs, an attempt is refused before its password is checked: the right
    password does not get through, and the refusal is not a new failure."""
    policy = LockoutPolicy(free_attempts=1, base_delay=60, lock_after=5)
    with pytest.raises(LoginRefused):
        check_password(session, "agent@example.fr", "wrong password!", policy=policy, now=T0)
    for seconds in (1, 30, 59):
        with pytest.raises(LoginRefused) as refused:
            check_password(session, "agent@example.fr", PASSWORD, policy=policy, now=T0 + dt.timedelta(seconds=seconds))
        assert refused.value.code == "wait"
    assert find_account(session, "agent@example.fr").failed_attempts == 1
    assert actions(session).count("staff.login_failed") == 1
    assert check_password(session, "agent@example.fr", PASSWORD, policy=policy, now=T0 + dt.timedelta(seconds=60))


def test_resets_and_a_disable_move_the_session_generation_on(session, agent):
    generations = [agent.session_generation]
    for change in (lambda: reset_password(session, "agent@example.fr", "another long password", actor="cli"),
                   lambda: reset_totp(session, "agent@example.fr", actor="cli"),
                   lambda: unlock_account(session, "agent@example.fr", actor="cli"),
                   lambda: disable_account(session, "agent@example.fr", actor="cli")):
        change()
        generations.append(find_account(session, "agent@example.fr").session_generation)
    assert generations == sorted(set(generations)) and len(generations) == 5
    with pytest.raises(LoginRefused) as refused:
        check_password(session, "agent@example.fr", "another long password", now=T0)
    assert refused.value.code == "invalid_credentials"
    assert {"staff.password_reset", "staff.disabled"} <= set(actions(session))


def test_an_administrator_unlocks_an_account(session, agent):
    policy = LockoutPolicy(lock_after=2, base_delay=0)
    for _ in range(2):
        with pytest.raises(LoginRefused):
            check_totp(session, agent, "000000", policy=policy, now=T0)
    unlock_account(session, "agent@example.fr", actor="staff:99")
    account = check_password(session, "agent@example.fr", PASSWORD, policy=policy, now=T0)
    check_totp(session, account, code_at(account, T0), policy=policy, now=T0)
    assert find_account(session, "agent@example.fr").failed_attempts == 0
    assert "staff.unlocked" in actions(session)


def test_a_success_resets_the_failures(session, agent):
    with pytest.raises(LoginRefused):
        check_password(session, "agent@example.fr", "wrong password!", now=T0)
    check_totp(session, agent, code_at(agent, T0), now=T0)
    assert agent.failed_attempts == 0
