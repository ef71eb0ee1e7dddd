"""The membership index shared by the processes of a machine through one snapshot file: every
process answers as the database does, whoever rebuilds the file and whenever."""

import logging
import multiprocessing
import os
import threading

import numpy as np
import pytest
from sqlalchemy.orm import Session

from registry import membership
from registry.db import begin_write, create_database_engine
from registry.hashing import IdentifierHasher, lookup_key
from registry.identifiers import parse_identifier
from registry.keyring import Keyring
from registry.keys import parse_key
from registry.lookups import lookup_batch
from registry.membership import membership_index
from registry.membership_file import SnapshotFile
from registry.oppositions import change_purposes, file_opposition, withdraw_opposition
from registry.oprf import OprfEvaluator
from registry.purposes import Purpose
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.registry.nir_factory import make_nir

pytestmark = pytest.mark.db

SPAWN = multiprocessing.get_context("spawn")
WAIT = 300  # seconds a child may take on a busy machine


def numbers(count: int, first: int = 0) -> list[str]:
    return [make_nir(1, 50 + i // 999 % 40, 1 + i // 39960 % 12, "13", "055", 1 + i % 999)
            for i in range(first, first + count)]


def test_keyring() -> Keyring:
    """The suite's keyring, built again in a child process."""
    return Keyring(IdentifierHasher(parse_key(TEST_IDENTIFIER_KEY, name="test")),
                   OprfEvaluator(parse_key(TEST_OPRF_KEY, name="test")))


test_keyring.__test__ = False  # a helper, not a test


def database_masks(engine) -> dict[int, int]:
    """lookup key -> union of the masks of its subjects, read straight from the database."""
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT lookup_key, opposed_purposes FROM subjects").all()
    masks: dict[int, int] = {}
    for key, mask in rows:
        masks[key] = masks.get(key, 0) | mask
    return masks


def keys_of(keyring: Keyring, identifiers: list[str]) -> np.ndarray:
    return np.array([lookup_key(keyring.hasher.digest(n)) for n in identifiers], dtype=np.int64)


def masks_through_index(engine, keys: np.ndarray) -> list[int]:
    """Each key's mask as the index gives it: the union of the purposes it is a candidate for."""
    masks = np.zeros(len(keys), np.int64)
    index = membership_index(engine)
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        for purpose in Purpose:
            masks[index.candidates(driver, keys, purpose.bit)] |= purpose.bit
        connection.rollback()
    return masks.tolist()


def mapped_snapshots(directory) -> set[int]:
    """The inodes of the snapshot files this process maps, from the kernel's own list."""
    inodes = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and fields[5].startswith(str(directory)) and fields[5].endswith(".idx"):
                inodes.add(int(fields[4]))
    return inodes


def research_answers(engine, keyring, identifiers):
    with Session(engine) as session:
        return [r.opposed for r in lookup_batch(session, keyring, identifiers, Purpose.RESEARCH)]


def read_in_child(url, directory, identifiers, merge_after, start, stop, results):
    """A server process: preloads, then reads ``identifiers`` through the shared index until
    ``stop``, then once more; reports what it saw."""
    from registry import lookups

    lookups.DIRECT_BELOW = 0
    membership.MERGE_AFTER = merge_after
    membership.share_in(directory)
    keyring, engine = test_keyring(), create_database_engine(url)
    start.wait(WAIT)
    membership_index(engine).preload()
    results.put("ready")
    seen, rounds = mapped_snapshots(directory), []
    while not stop.is_set():
        rounds.append(research_answers(engine, keyring, identifiers))
        seen |= mapped_snapshots(directory)
    final = masks_through_index(engine, keys_of(keyring, identifiers))
    results.put({"rounds": rounds, "final": final, "mapped": sorted(seen | mapped_snapshots(directory)),
                 "loads": membership_index(engine).loads, "answers": research_answers(engine, keyring, identifiers)})
    engine.dispose()


def change_in_child(url, to_file, to_withdraw, done):
    """Another process filing and withdrawing oppositions."""
    keyring, engine = test_keyring(), create_database_engine(url)
    for number in to_file:
        commit(engine, lambda s, n=number: file_opposition(s, keyring, parse_identifier(n)))
    for number in to_withdraw:
        commit(engine, lambda s, n=number: withdraw_opposition(s, keyring, parse_identifier(n)))
    engine.dispose()
    done.put(True)


def commit(engine, action):
    """One change in a write transaction of its own, as the portal's entry points make it."""
    with Session(engine) as session:
        begin_write(session)
        action(session)
        session.commit()


def file_all(engine, keyring, identifiers):
    for number in identifiers:
        commit(engine, lambda s, n=number: file_opposition(s, keyring, parse_identifier(n)))


@pytest.fixture
def writer(database_url):
    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def shared(tmp_path):
    """This process's indexes share a snapshot file in a folder of the test's own."""
    from registry import lookups

    directory = tmp_path / "membership"
    membership.forget_indexes()
    membership.share_in(directory)
    saved = lookups.DIRECT_BELOW
    lookups.DIRECT_BELOW = 0  # however small the batch
    yield directory
    lookups.DIRECT_BELOW = saved
    membership.share_in(None)
    membership.forget_indexes()


class Children:
    """Child processes started with spawn, each handing back one result; all stopped on leaving."""

    def __init__(self):
        self.processes, self.start, self.stop = [], SPAWN.Event(), SPAWN.Event()

    def run(self, target, *args):
        results = SPAWN.Queue()
        process = SPAWN.Process(target=target, args=(*args, results), daemon=True)
        process.start()
        self.processes.append(process)
        return results

    def readers(self, count, *args):
        """``count`` processes running ``read_in_child``, started together and loaded."""
        queues = [self.run(read_in_child, *args, self.start, self.stop) for _ in range(count)]
        self.start.set()
        for results in queues:
            assert results.get(timeout=WAIT) == "ready"
        return queues

    def close(self):
        self.start.set()
        self.stop.set()
        for process in self.processes:
            process.join(WAIT)
            if process.is_alive():
                process.kill()


@pytest.fixture
def children():
    started = Children()
    yield started
    started.close()


def test_the_processes_of_a_machine_map_one_file_read_once_from_the_database(database_url, writer, keyring,
                                                                              shared, children):
    opposed, absent = numbers(40), numbers(40, 1000)
    file_all(writer, keyring, opposed)
    readers = children.readers(3, database_url, shared, opposed + absent, 50_000)
    children.stop.set()
    reports = [reader.get(timeout=WAIT) for reader in readers]
    assert sum(report["loads"] for report in reports) == 1, "one process read the database, the others mapped its file"
    assert len({tuple(report["mapped"]) for report in reports}) == 1 and len(reports[0]["mapped"]) == 1
    assert all(report["answers"] == [True] * 40 + [False] * 40 for report in reports)


def test_answers_through_the_shared_file_equal_the_database_after_concurrent_changes(database_url, writer, keyring,
                                                                                     shared, children):
    before, threads_file, child_files = numbers(60), numbers(90, 2000), numbers(30, 3000)
    absent = numbers(30, 4000)
    file_all(writer, keyring, before)
    everyone = before + threads_file + child_files + absent
    readers = children.readers(2, database_url, shared, everyone, 7)
    changer = children.run(change_in_child, database_url, child_files, child_files[::3])

    def change(turn):
        part = threads_file[turn::3]
        file_all(writer, keyring, part)
        for number in part[::4]:
            commit(writer, lambda s, n=number: withdraw_opposition(s, keyring, parse_identifier(n)))
        for number in part[1::4]:
            commit(writer, lambda s, n=number: change_purposes(s, keyring, parse_identifier(n), [Purpose.AI]))
        for number in before[turn::9]:
            commit(writer, lambda s, n=number: withdraw_opposition(s, keyring, parse_identifier(n)))

    threads = [threading.Thread(target=change, args=(turn,)) for turn in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert changer.get(timeout=WAIT)
    children.stop.set()
    reports = [reader.get(timeout=WAIT) for reader in readers]
    truth = database_masks(writer)
    expected = [truth.get(key, 0) for key in keys_of(keyring, everyone).tolist()]
    assert any(expected) and not all(expected)
    for report in reports:
        assert report["final"] == expected
        assert report["answers"] == [bool(mask & Purpose.RESEARCH.bit) for mask in expected]
        assert len(report["mapped"]) >= 2, "the file was rebuilt and remapped while the changes went on"
    assert masks_through_index(writer, keys_of(keyring, everyone)) == expected


def test_a_process_reading_while_another_swaps_the_file_keeps_right_answers(database_url, writer, keyring, shared,
                                                                            children):
    steady_opposed, steady_absent, churn = numbers(50), numbers(50, 1000), numbers(60, 2000)
    file_all(writer, keyring, steady_opposed)
    (reader,) = children.readers(1, database_url, shared, steady_opposed + steady_absent, 50_000)
    (rebuilder,) = children.readers(1, database_url, shared, churn, 3)
    file_all(writer, keyring, churn)
    for number in churn[::2]:
        commit(writer, lambda s, n=number: withdraw_opposition(s, keyring, parse_identifier(n)))
    children.stop.set()
    reading, rebuilding = reader.get(timeout=WAIT), rebuilder.get(timeout=WAIT)
    assert reading["rounds"], "the reader read while the file was swapped"
    assert all(answers == [True] * 50 + [False] * 50 for answers in reading["rounds"] + [reading["answers"]])
    assert len(reading["mapped"]) >= 2, "the reader moved to the new file"
    assert rebuilding["answers"] == [False, True] * 30


@pytest.mark.parametrize("damage", ["a flipped byte", "cut short", "another database's"])
def test_a_damaged_or_foreign_file_is_ignored_and_rebuilt(writer, keyring, shared, damage):
    opposed, absent = numbers(20), numbers(20, 1000)
    file_all(writer, keyring, opposed)
    assert research_answers(writer, keyring, opposed + absent) == [True] * 20 + [False] * 20
    path = membership_index(writer).shared_path
    content = bytearray(path.read_bytes())
    if damage == "a flipped byte":
        content[4096] ^= 0x40  # the first key: an opposed person would be missed
    elif damage == "cut short":
        content = content[: len(content) - 8]
    else:
        foreign = SnapshotFile(shared, b"\x07" * 32)
        foreign.write(1 << 40, bytes(32), np.zeros(0, np.int64), np.zeros(0, np.uint8), 60, np.zeros(17, np.int32))
        content = foreign.path.read_bytes()
    path.write_bytes(bytes(content))
    membership.forget_indexes()
    assert research_answers(writer, keyring, opposed + absent) == [True] * 20 + [False] * 20
    index = membership_index(writer)
    assert index.loads == 1 and index.shared_path == path, "read again from the database, and shared again"
    membership.forget_indexes()
    assert research_answers(writer, keyring, opposed + absent) == [True] * 20 + [False] * 20
    assert membership_index(writer).loads == 0, "the rebuilt file is whole"


def test_a_folder_that_cannot_be_written_keeps_the_index_in_the_process_and_says_so_once(writer, keyring, shared,
                                                                                        tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    membership.share_in(blocker / "membership")
    opposed, absent = numbers(10), numbers(10, 1000)
    file_all(writer, keyring, opposed)
    with caplog.at_level(logging.WARNING, logger="registry.membership"):
        for _ in range(2):
            membership.forget_indexes()
            assert research_answers(writer, keyring, opposed + absent) == [True] * 10 + [False] * 10
            assert membership_index(writer).shared_path is None
    assert len([r for r in caplog.records if "cannot write its shared file" in r.getMessage()]) == 1
    assert not os.path.exists(blocker / "membership")


@pytest.mark.parametrize("setting", ["a folder", ""])
def test_a_gunicorn_worker_maps_the_file_in_the_folder_the_setting_names(app, tmp_path, shared, setting):
    from portal.api import warm_up
    from portal.database import db

    app.config["MEMBERSHIP_DIR"] = str(tmp_path / "machine") if setting else ""
    warm_up(app)
    with app.app_context():
        path = membership_index(db.engine(app)).shared_path
    assert (path is not None and path.parent == tmp_path / "machine") if setting else path is None


def research_candidates(index, engine, keys) -> list[int]:
    """The positions of ``keys`` that ``index`` names as research candidates, in a read of its own."""
    with engine.connect() as connection:
        found = index.candidates(connection.connection.driver_connection, keys, Purpose.RESEARCH.bit)
        connection.rollback()
    return found.tolist()


def test_a_process_maps_the_file_another_one_put_in_place_at_its_next_lookup_with_no_new_filing(
        writer, keyring, shared, monkeypatch):
    opposed, later = numbers(20), numbers(6, 1000)
    keys = keys_of(keyring, opposed + later + numbers(10, 2000))
    file_all(writer, keyring, opposed)
    this = membership.MembershipIndex(writer, shared)  # this process's index
    assert research_candidates(this, writer, keys) == list(range(20))
    (first_file,) = mapped_snapshots(shared)
    file_all(writer, keyring, later)
    assert research_candidates(this, writer, keys) == list(range(26)), "the new filings, from its overlay"
    monkeypatch.setattr(membership, "MERGE_AFTER", 1)
    other = membership.MembershipIndex(writer, shared)  # another process, which merges its overlay
    assert research_candidates(other, writer, keys) == list(range(26))
    assert len(mapped_snapshots(shared) - {first_file}) == 1, "the other process put a new file in place"
    monkeypatch.setattr(membership, "MERGE_AFTER", 50_000)
    assert research_candidates(this, writer, keys) == list(range(26))
    assert first_file not in mapped_snapshots(shared), "the replaced file is let go, not kept until a filing"
    assert len(mapped_snapshots(shared)) == 1 and this.loads == 1 and other.loads == 0


def test_a_temporary_file_left_by_a_killed_writer_is_removed_at_the_next_write(writer, keyring, shared, monkeypatch):
    opposed = numbers(10)
    file_all(writer, keyring, opposed)
    assert research_answers(writer, keyring, opposed) == [True] * 10
    snapshot = membership_index(writer).shared_path
    abandoned = shared / f".{snapshot.stem}-k1lled.tmp"  # what ``SnapshotFile.write`` was writing
    abandoned.write_bytes(b"half a snapshot")
    another_database = shared / ".membership-0123456789abcdef0123456789abcdef-x7.tmp"
    another_database.write_bytes(b"being written by that database's writer")
    monkeypatch.setattr(membership, "MERGE_AFTER", 1)
    later = numbers(2, 1000)
    file_all(writer, keyring, later)
    assert research_answers(writer, keyring, opposed + later) == [True] * 12
    assert membership_index(writer).loads == 1, "merged into a new file, not read again"
    assert not abandoned.exists() and another_database.exists()
    assert sorted(path.name for path in shared.iterdir() if path.name.endswith(".tmp")) == [another_database.name]
