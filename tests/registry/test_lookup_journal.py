"""The lookups' journal (``registry.lookup_journal``): what a killed process gathered is replayed
once by another process, never while its owner lives, and never twice, even when the owner died
between committing its records and deleting its file. The owners are real processes killed with
SIGKILL."""

import json
import signal
import subprocess
import sys
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db import create_database_engine
from registry.lookup_records import LookupRecorder, replay_orphans
from registry.lookup_journal import LookupJournal
from registry.models import AuditEvent
from registry.purposes import Purpose

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]

OWNER = """
import datetime as dt, os, signal, sys
from pathlib import Path
from registry.db import create_database_engine
from registry.lookup_journal import LookupJournal
from registry.lookup_records import LookupRecorder
from registry.purposes import Purpose
from sqlalchemy.orm import Session

folder, url, calls, commit_first = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
recorder = LookupRecorder(3600, journal=LookupJournal(folder))
for i in range(calls):
    recorder.add(client_id="eds", warehouse_id=1, purpose=Purpose.RESEARCH, identifiers=3, invalid=1,
                 opposed_digests=[], moment=dt.datetime(2026, 12, 5, 10, 0, i, tzinfo=dt.timezone.utc))
if commit_first:  # dies after its commit, before deleting its journal file
    recorder.journal.written = lambda names: None
    engine = create_database_engine(url)
    with Session(engine) as session:
        recorder.write(session)
print("ready", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def killed_owner(folder: Path, url: str, calls: int, *, commit_first: bool = False) -> None:
    process = subprocess.run([sys.executable, "-c", OWNER, str(folder), url, str(calls), "1" if commit_first else "0"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert process.returncode == -signal.SIGKILL and "ready" in process.stdout, process.stderr[-2000:]


def lookup_calls(engine) -> list[int]:
    with Session(engine) as session:
        return [json.loads(event.details)["calls"]
                for event in session.scalars(select(AuditEvent).where(AuditEvent.action == "api.lookup"))]


@pytest.fixture
def engine(database_url):
    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()


def test_the_records_of_a_killed_process_are_replayed_once(engine, database_url, tmp_path):
    killed_owner(tmp_path, database_url, 5)
    assert len(list(tmp_path.glob("*.jsonl"))) == 1 and lookup_calls(engine) == []
    with Session(engine) as session:
        assert replay_orphans(session, tmp_path) == 1
    assert lookup_calls(engine) == [5]
    assert list(tmp_path.glob("*.jsonl")) == []
    with Session(engine) as session:
        assert replay_orphans(session, tmp_path) == 0
    assert lookup_calls(engine) == [5]


def test_a_file_whose_records_were_committed_before_the_kill_is_not_counted_again(engine, database_url, tmp_path):
    killed_owner(tmp_path, database_url, 4, commit_first=True)
    assert lookup_calls(engine) == [4]
    assert len(list(tmp_path.glob("*.jsonl"))) == 1  # left behind by the kill
    with Session(engine) as session:
        assert replay_orphans(session, tmp_path) == 0
    assert lookup_calls(engine) == [4] and list(tmp_path.glob("*.jsonl")) == []


def test_the_journal_of_a_living_process_is_left_to_it(engine, tmp_path):
    recorder = LookupRecorder(3600, journal=LookupJournal(tmp_path))
    recorder.add(client_id="eds", warehouse_id=1, purpose=Purpose.RESEARCH, identifiers=1, invalid=0,
                 opposed_digests=[], moment=dt.datetime(2026, 12, 5, tzinfo=dt.timezone.utc))
    with Session(engine) as session:
        assert replay_orphans(session, tmp_path) == 0  # locked by its owner: not an orphan
        assert lookup_calls(engine) == []
        recorder.write(session)  # the owner writes its own, and deletes its file
    assert lookup_calls(engine) == [1] and list(tmp_path.glob("*.jsonl")) == []


def test_a_torn_last_line_is_skipped_and_the_rest_replayed(engine, database_url, tmp_path):
    killed_owner(tmp_path, database_url, 3)
    [journal] = tmp_path.glob("*.jsonl")
    with open(journal, "ab") as torn:
        torn.write(b'{"c":"eds","w":1,"p":"res')  # the machine died in the middle of a write
    with Session(engine) as session:
        assert replay_orphans(session, tmp_path) == 1
    assert lookup_calls(engine) == [3]


def test_a_failed_write_keeps_the_journal_for_the_next_one(engine, tmp_path, monkeypatch):
    recorder = LookupRecorder(3600, journal=LookupJournal(tmp_path))
    moment = dt.datetime(2026, 12, 5, tzinfo=dt.timezone.utc)
    recorder.add(client_id="eds", warehouse_id=1, purpose=Purpose.RESEARCH, identifiers=2, invalid=0,
                 opposed_digests=[], moment=moment)
    broken = create_database_engine("sqlite:///" + str(tmp_path / "missing" / "nowhere.db"))
    with Session(broken) as session, pytest.raises(Exception):
        recorder.write(session)
    recorder.add(client_id="eds", warehouse_id=1, purpose=Purpose.RESEARCH, identifiers=2, invalid=0,
                 opposed_digests=[], moment=moment)
    assert len(list(tmp_path.glob("*.jsonl"))) == 2  # the sealed file stays until its records are written
    with Session(engine) as session:
        recorder.write(session)
    assert lookup_calls(engine) == [2] and list(tmp_path.glob("*.jsonl")) == []
