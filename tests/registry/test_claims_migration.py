"""Migration 0010 on a database in the shape before claims: every person keeps every purpose they
were opposed to, single-holder histories are unchanged, and a person whose opposition another
holder weakened gets back what their holders had filed (a ``restored`` version).

The old shape is written with SQL over the tables as they were at 0009_daily_statistics. People
are made of random digests, not numbers; nothing here prints a digest or a subject id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import random
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit import chain_event, verify_chain
from registry.log_checks import verify_log
from registry.db import create_database_engine, upgrade_database
from registry.hashing import lookup_key
from registry.purposes import ALL_PURPOSES_MASK, Purpose
from tests.conftest import _create_pg_database

pytestmark = pytest.mark.db

BEFORE_CLAIMS = "0009_daily_statistics"
T0 = dt.datetime(2026, 1, 5, 9, 0)
AI, RESEARCH = Purpose.AI.bit, Purpose.RESEARCH.bit
HOLDER = re.compile(r"(account:\d+|channel:(online|counter|phone|post))")
_databases = itertools.count(1)


@pytest.fixture
def old_engine(db_engine_name, postgres_cluster, tmp_path):
    """A fresh database migrated up to the revision before claims."""
    if postgres_cluster is not None:
        url = _create_pg_database(postgres_cluster, f"registre_claims_{next(_databases)}")
    else:
        url = f"sqlite:///{tmp_path / 'before-claims.db'}"
    engine = create_database_engine(url)
    upgrade_database(engine, BEFORE_CLAIMS)
    yield engine
    engine.dispose()


def _insert(connection, table: str, rows: list[dict], datetimes: tuple[str, ...] = ()) -> None:
    """``INSERT INTO table (...) VALUES (...)`` for every row; datetime columns bound as such."""
    columns = list(rows[0])
    statement = sa.text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})")
    statement = statement.bindparams(*(sa.bindparam(c, type_=sa.DateTime()) for c in columns if c in datetimes))
    connection.execute(statement, rows)


class OldRegistry:
    """Builds the pre-claims shape: subjects, their versions, accounts and account links."""

    def __init__(self) -> None:
        self.subjects: list[dict] = []
        self.versions: list[dict] = []
        self.accounts: set[int] = set()
        self.links: dict[tuple[int, int], tuple[str, str | None]] = {}
        self.histories: dict[int, list[tuple[str, int]]] = {}  # subject id -> [(holder, mask)]
        self.clock = itertools.count()
        self.receipts = itertools.count(1)

    def person(self, label: str) -> int:
        subject_id = len(self.subjects) + 1
        digest = hashlib.sha256(f"person-{label}".encode()).digest()
        self.subjects.append({
            "id": subject_id, "id_hash": digest, "lookup_key": lookup_key(digest), "hash_key_id": "test-hmac-1",
            "oprf_output": hashlib.sha512(digest).digest(), "oprf_key_id": "test-oprf-1",
            "opposed_purposes": 0, "current_version": 0, "created_at": T0, "updated_at": T0,
        })
        self.histories[subject_id] = []
        return subject_id

    def version(self, subject_id: int, mask: int, *, channel: str = "online", actor: str = "self",
                proxy_for: str | None = None, filed_by: str | None = None) -> None:
        subject = self.subjects[subject_id - 1]
        previous = subject["opposed_purposes"]
        number = subject["current_version"] + 1
        if number == 1:
            action = "filed"
        elif mask == 0:
            action = "withdrawn"
        else:
            action = "refiled" if previous == 0 else "changed"
        when = T0 + dt.timedelta(minutes=next(self.clock))
        self.versions.append({
            "subject_id": subject_id, "version": number, "action": action, "purposes_mask": mask,
            "channel": channel, "actor": actor, "proxy_for": proxy_for, "filed_by": filed_by,
            "effective_at": when, "recorded_at": when, "receipt_reference": f"RNO-TEST-{next(self.receipts):014d}",
        })
        subject.update(opposed_purposes=mask, current_version=number, updated_at=when)
        if filed_by and filed_by.startswith("account:"):
            account_id = int(filed_by.split(":")[1])
            self.accounts.add(account_id)
            relation = "proxy" if actor == "proxy" else "self"
            self.links.setdefault((account_id, subject_id), (relation, proxy_for))
            holder = filed_by
        else:
            holder = f"channel:{channel}"
        self.histories[subject_id].append((holder, mask))

    def account(self, subject_id: int, account_id: int, mask: int, **filing) -> None:
        self.version(subject_id, mask, filed_by=f"account:{account_id}", **filing)

    def agent(self, subject_id: int, mask: int, channel: str = "counter", staff: int = 1) -> None:
        self.version(subject_id, mask, channel=channel, actor="agent", filed_by=f"staff:{staff}")

    def write(self, engine) -> None:
        with engine.begin() as connection:
            _insert(connection, "accounts", [
                {"id": a, "issuer": "https://fc.example", "subject": f"sub-{a}", "created_at": T0, "last_login_at": T0}
                for a in sorted(self.accounts)], ("created_at", "last_login_at"))
            _insert(connection, "subjects", self.subjects, ("created_at", "updated_at"))
            _insert(connection, "opposition_versions", self.versions, ("effective_at", "recorded_at"))
            _insert(connection, "account_subjects", [
                {"account_id": a, "subject_id": s, "relation": relation, "proxy_for": proxy_for, "created_at": T0}
                for (a, s), (relation, proxy_for) in sorted(self.links.items())], ("created_at",))
            with Session(bind=connection) as session:  # the chain as the old registry left it
                for subject in self.subjects[:3]:
                    chain_event(session, action="opposition.filed", actor="account:1",
                                 target=f"subject:{subject['id']}", details={"version": 1})
                session.flush()

    def expected_after(self, subject_id: int) -> int:
        """The migration's rule: each holder keeps the mask of its latest version; the union is in force."""
        last: dict[str, int] = {}
        for holder, mask in self.histories[subject_id]:
            last[holder] = mask
        union = 0
        for mask in last.values():
            union |= mask
        return union

    def single_holder(self, subject_id: int) -> bool:
        return len({holder for holder, _ in self.histories[subject_id]}) == 1


def build_old_registry() -> tuple[OldRegistry, dict[str, int]]:
    old = OldRegistry()
    named = {}
    # (a) filed at a counter for everything, then withdrawn by a stranger's account linked as proxy
    named["attacked"] = attacked = old.person("attacked")
    old.agent(attacked, ALL_PURPOSES_MASK)
    old.account(attacked, 2, 0, actor="proxy", proxy_for="protected_adult")
    # (b) filed online for themself, narrowed by themself
    named["self narrowed"] = narrowed = old.person("self-narrowed")
    old.account(narrowed, 1, ALL_PURPOSES_MASK)
    old.account(narrowed, 1, AI | RESEARCH)
    # (c) filed for themself, narrowed by another account
    named["narrowed by another"] = other = old.person("narrowed-by-another")
    old.account(other, 3, ALL_PURPOSES_MASK)
    old.account(other, 4, AI, actor="proxy", proxy_for="minor")
    # (d) filed and withdrawn by themself
    named["self withdrawn"] = withdrawn = old.person("self-withdrawn")
    old.account(withdrawn, 5, ALL_PURPOSES_MASK)
    old.account(withdrawn, 5, 0)
    # (e) generated people: most with one holder, some with several
    rng = random.Random(20261204)
    next_account = itertools.count(10)
    for n in range(300):
        subject_id = old.person(f"generated-{n}")
        holders = [_random_holder(rng, next_account) for _ in range(1 if n < 240 else rng.randint(2, 3))]
        mask = 0
        for step in range(rng.randint(1, 6)):
            kind, who = rng.choice(holders)
            mask = 0 if step and rng.random() < 0.3 else rng.randint(1, ALL_PURPOSES_MASK)
            if step == 0 and mask == 0:
                mask = ALL_PURPOSES_MASK
            if kind == "agent":
                old.agent(subject_id, mask, channel=who, staff=rng.randint(1, 4))
            elif kind == "proxy":
                old.account(subject_id, who, mask, actor="proxy", proxy_for=rng.choice(["minor", "protected_adult"]))
            elif kind == "self":
                old.account(subject_id, who, mask)
            else:
                old.version(subject_id, mask)  # online, before accounts: no filed_by
    return old, named


def _random_holder(rng: random.Random, accounts) -> tuple[str, object]:
    kind = rng.choice(["agent", "agent", "self", "self", "proxy", "anonymous"])
    if kind == "agent":
        return kind, rng.choice(["counter", "post", "phone"])
    if kind == "anonymous":
        return kind, None
    return kind, next(accounts)


def effective_masks(connection) -> dict[int, int]:
    return dict(connection.execute(sa.text("SELECT id, opposed_purposes FROM subjects")).all())


def test_migrating_to_claims_keeps_every_purpose_and_restores_what_another_holder_took(old_engine):
    old, named = build_old_registry()
    old.write(old_engine)
    with old_engine.connect() as connection:
        before = effective_masks(connection)
        version_masks = dict(connection.execute(sa.text("SELECT id, purposes_mask FROM opposition_versions")).all())

    upgrade_database(old_engine)

    with old_engine.connect() as connection:
        after = effective_masks(connection)
        assert after.keys() == before.keys()
        lost = [s for s in before if before[s] & ~after[s]]
        assert lost == [], f"{len(lost)} people lost a purpose"
        changed_single = [s for s in before if old.single_holder(s) and after[s] != before[s]]
        assert changed_single == [], f"{len(changed_single)} single-holder people changed"
        wrong = [s for s in before if after[s] != old.expected_after(s)]
        assert wrong == [], f"{len(wrong)} people are not the union of their holders' latest filings"
        assert after[named["attacked"]] == ALL_PURPOSES_MASK
        assert after[named["narrowed by another"]] == ALL_PURPOSES_MASK
        assert after[named["self narrowed"]] == AI | RESEARCH and after[named["self withdrawn"]] == 0

        restored = dict(connection.execute(sa.text(
            "SELECT subject_id, purposes_mask FROM opposition_versions WHERE action = 'restored'")).all())
        expected_restored = {s for s in before if after[s] != before[s]}
        assert set(restored) == expected_restored
        assert {named["attacked"], named["narrowed by another"]} <= expected_restored
        assert all(restored[s] == after[s] for s in restored)
        current = dict(connection.execute(sa.text("SELECT id, current_version FROM subjects")).all())
        old_current = {s["id"]: s["current_version"] for s in old.subjects}
        assert all(current[s] == old_current[s] + (s in restored) for s in current)

        versions = connection.execute(sa.text(
            "SELECT id, action, claim_id, claim_mask FROM opposition_versions")).all()
        unattributed = [v for v in versions if v.action != "restored" and v.claim_id is None]
        assert unattributed == []
        assert all(v.claim_id is None for v in versions if v.action == "restored")
        assert all(v.claim_mask == version_masks[v.id] for v in versions if v.action != "restored")

        claims = connection.execute(sa.text(
            "SELECT subject_id, holder, relation, proxy_for, purposes_mask FROM opposition_claims")).all()
        assert all(HOLDER.fullmatch(c.holder) for c in claims)
        assert {c.relation for c in claims if c.holder.startswith("channel:")} <= {"agent"}
        for (account_id, subject_id), (relation, proxy_for) in old.links.items():
            [claim] = [c for c in claims if c.subject_id == subject_id and c.holder == f"account:{account_id}"]
            assert (claim.relation, claim.proxy_for) == (relation, proxy_for)
        union: dict[int, int] = {}
        for claim in claims:
            union[claim.subject_id] = union.get(claim.subject_id, 0) | claim.purposes_mask
        assert all(union[s] == after[s] for s in after)
        attacked_claims = {c.holder: c.purposes_mask for c in claims if c.subject_id == named["attacked"]}
        assert attacked_claims == {"channel:counter": ALL_PURPOSES_MASK, "account:2": 0}

        assert connection.execute(sa.text("SELECT COUNT(*) FROM person_bindings")).scalar_one() == 0
        assert "account_subjects" not in sa.inspect(connection).get_table_names()

        events = connection.execute(sa.text(
            "SELECT action, details FROM audit_events WHERE actor = 'migration:0010' ORDER BY seq")).all()
        assert [e.action for e in events].count("opposition.restored") == len(restored)
        assert events[-1].action == "registry.claims_migrated"
        figures = json.loads(events[-1].details)
        assert figures == {"subjects": len(before), "restored": len(restored)}
        counted = connection.execute(sa.text(
            "SELECT SUM(count) FROM opposition_statistics WHERE dimension = 'action'")).scalar_one()
        assert counted == len(restored)

    with Session(old_engine) as session:
        report = verify_chain(session)
        assert report.ok, report.reason
        assert report.count == 3 + len(restored) + 1
        # migration 0013 made every event, those of 0010 included, a leaf of the transparency log
        log = verify_log(session)
        assert log.ok and log.size == report.count, log.problem
        linked = session.execute(sa.text(
            "SELECT COUNT(*) FROM opposition_versions WHERE audit_seq IS NOT NULL AND action = 'restored'")).scalar_one()
        assert linked == len(restored)
