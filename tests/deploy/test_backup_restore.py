"""A restore drill: deploy/backup and deploy/restore, as an operator runs them, on PostgreSQL.

A source database in the run's cluster is migrated and filled through the registry's services
(oppositions filed, changed and withdrawn, each with its audit event and log leaf) and the
Flask CLI (signed checkpoints); ``deploy/backup`` dumps it, and ``deploy/restore`` brings the
dump into a second, brand-new cluster and runs verify-audit there. The drill also checks what
the scripts refuse (a dump changed by one byte, a database that already has tables) and that
the dump holds no raw identifier. PostgreSQL only: the SQLite run skips it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from registry.checkpoints import LogCheckpoint
from registry.db import create_database_engine, unit_of_work, upgrade_database
from registry.identifiers import parse_identifier
from registry.models import AuditEvent, OppositionVersion, Subject
from registry.oppositions import Filing, change_purposes, file_opposition, withdraw_opposition
from registry.purposes import Purpose
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_OPRF_KEY
from tests.postgres_cluster import PostgresCluster, find_pg_bin
from tests.registry.nir_factory import make_nir, spaced

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup"
RESTORE = ROOT / "deploy" / "restore"
LOG_SIGNING_KEY = "drill-log-1:" + "5a" * 32

NUMBERS = [
    make_nir(2, 85, 2, "2A", "004", 123),
    make_nir(1, 78, 11, "99", "350", 45),
    make_nir(8, 1, 42, "974", "11", 7),
    make_nir(1, 18, 3, "69", "123", 12),
    make_nir(2, 62, 7, "33", "063", 321),
]


def _flask() -> str:
    venv = ROOT / ".venv" / "bin" / "flask"
    return str(venv if venv.exists() else Path(sys.executable).with_name("flask"))


def _create_database(cluster: PostgresCluster, name: str) -> str:
    admin = create_database_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return cluster.url(name)


def _counts(url: str) -> dict[str, object]:
    engine = create_database_engine(url)
    try:
        with Session(engine) as session:
            return {
                "subjects": session.scalar(select(func.count()).select_from(Subject)),
                "versions": session.scalar(select(func.count()).select_from(OppositionVersion)),
                "events": session.scalar(select(func.count()).select_from(AuditEvent)),
                "checkpoints": session.scalar(select(func.count()).select_from(LogCheckpoint)),
                "chain head": session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)),
                "tables": session.scalar(text(
                    "SELECT count(*) FROM pg_catalog.pg_tables "
                    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")),
            }
    finally:
        engine.dispose()


def _table_count(url: str) -> int:
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(text(
                "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"))
    finally:
        engine.dispose()


@dataclass
class Drill:
    environment: dict[str, str]
    source_url: str
    source_counts: dict[str, object]
    dump: Path
    target: PostgresCluster
    pg_bin: Path
    names: Iterator[int]

    def new_target_database(self) -> str:
        return _create_database(self.target, f"registre_restored_{next(self.names)}")

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*args], cwd=ROOT, env=self.environment, capture_output=True, text=True, timeout=300)

    def restore(self, *args: str) -> subprocess.CompletedProcess:
        return self.run(str(RESTORE), *args)


def _fill(url: str, keyring) -> None:
    """Oppositions filed, changed and withdrawn through the registry's services, each in its
    own unit of work as the portal writes them."""
    people = [parse_identifier(number) for number in NUMBERS]
    engine = create_database_engine(url)
    try:
        with Session(engine) as session:
            for person in people:
                with unit_of_work(session):
                    file_opposition(session, keyring, person)
            with unit_of_work(session):
                change_purposes(session, keyring, people[0], [Purpose.AI, Purpose.RESEARCH])
            with unit_of_work(session):
                withdraw_opposition(session, keyring, people[1])
            with unit_of_work(session):
                file_opposition(session, keyring, people[2], [Purpose.STATISTICS],
                                Filing(channel="counter", actor="agent", evidence="identity document checked"))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def drill(db_engine_name, postgres_cluster, keyring, tmp_path_factory):
    if db_engine_name != "postgresql":
        pytest.skip("the backup and restore drill runs on PostgreSQL (--db=postgresql)")
    pg_bin = find_pg_bin()
    folder = tmp_path_factory.mktemp("drill")
    environment = {
        **os.environ,
        "REGISTRE_ENV_NAME": "development",
        "REGISTRE_INSTANCE_PATH": str(folder / "instance"),
        "REGISTRE_IDENTIFIER_KEY": TEST_IDENTIFIER_KEY,
        "REGISTRE_OPRF_KEY": TEST_OPRF_KEY,
        "REGISTRE_LOG_SIGNING_KEY": LOG_SIGNING_KEY,
        "PG_BIN": str(pg_bin),
        "NO_COLOR": "1",
    }
    for inherited in ("REGISTRE_DATABASE_URL", "DATABASE_URL", "REGISTRE_LOG_SIGNING_KEY_FILE", "REGISTRE_LOG_ORIGIN"):
        environment.pop(inherited, None)

    def flask(url: str, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([_flask(), "--app", "wsgi", "registry", *args], cwd=ROOT,
                                env={**environment, "REGISTRE_DATABASE_URL": url},
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    source_url = _create_database(postgres_cluster, "registre_drill_source")
    engine = create_database_engine(source_url)
    upgrade_database(engine)
    engine.dispose()
    _fill(source_url, keyring)
    flask(source_url, "sign-checkpoint")
    # One more filing after the checkpoint: the restored log must hold leaves past it too.
    more = create_database_engine(source_url)
    try:
        with Session(more) as session, unit_of_work(session):
            file_opposition(session, keyring, parse_identifier(NUMBERS[1]), [Purpose.EDUCATION])
    finally:
        more.dispose()
    flask(source_url, "sign-checkpoint")
    assert "chain intact" in flask(source_url, "verify-audit").stdout
    source_counts = _counts(source_url)
    assert source_counts["events"] >= len(NUMBERS) + 3 and source_counts["checkpoints"] >= 2

    backups = folder / "backups"
    result = subprocess.run([str(BACKUP), source_url, str(backups)], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    dump = Path(result.stdout.strip())

    target = PostgresCluster(pg_bin)
    target.start()
    try:
        yield Drill(environment, source_url, source_counts, dump, target, pg_bin, iter(range(1, 1000)))
    finally:
        target.stop()


def test_the_backup_is_a_checksummed_dump_under_its_final_name_only(drill):
    assert drill.dump.parent.name == "backups"
    assert drill.dump.name.startswith("registre-") and drill.dump.name.endswith("Z.dump")
    assert drill.dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    checked = subprocess.run(["sha256sum", "-c", drill.dump.name + ".sha256"], cwd=drill.dump.parent,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert sorted(p.name for p in drill.dump.parent.iterdir()) == [drill.dump.name, drill.dump.name + ".sha256"]


def test_a_restore_into_a_new_cluster_verifies_and_holds_the_same_registry(drill):
    target_url = drill.new_target_database()
    result = drill.restore(str(drill.dump), target_url)
    assert result.returncode == 0, result.stdout + result.stderr
    events = drill.source_counts["events"]
    assert f"OK: {events} audit events, chain intact" in result.stdout
    assert "the transparency log holds one leaf per event" in result.stdout
    assert f"agrees with its {drill.source_counts['checkpoints']} signed checkpoints" in result.stdout
    assert _counts(target_url) == drill.source_counts


def test_a_dump_changed_by_one_byte_is_refused_before_anything_is_restored(drill, tmp_path):
    tampered = tmp_path / drill.dump.name
    data = bytearray(drill.dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    (tmp_path / (tampered.name + ".sha256")).write_bytes(Path(f"{drill.dump}.sha256").read_bytes())
    target_url = drill.new_target_database()
    result = drill.restore(str(tampered), target_url)
    assert result.returncode != 0
    assert "sha256 mismatch" in result.stderr and "refusing to restore" in result.stderr
    assert _table_count(target_url) == 0


def test_a_dump_without_its_checksum_is_refused(drill, tmp_path):
    alone = tmp_path / drill.dump.name
    alone.write_bytes(drill.dump.read_bytes())
    target_url = drill.new_target_database()
    result = drill.restore(str(alone), target_url)
    assert result.returncode != 0 and ".sha256 is missing" in result.stderr
    assert _table_count(target_url) == 0


def test_a_database_that_has_tables_is_refused_unless_forced(drill):
    target_url = drill.new_target_database()
    assert drill.restore(str(drill.dump), target_url).returncode == 0
    again = drill.restore(str(drill.dump), target_url)
    assert again.returncode != 0
    assert "already has" in again.stderr and "refusing to restore" in again.stderr
    assert _counts(target_url) == drill.source_counts  # untouched
    # the run's own cluster: the source database itself is refused too
    assert drill.restore(str(drill.dump), drill.source_url).returncode != 0
    forced = drill.restore("--force", str(drill.dump), target_url)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "chain intact" in forced.stdout
    assert _counts(target_url) == drill.source_counts


def test_verification_fails_without_the_sources_log_signing_key(drill):
    target_url = drill.new_target_database()
    environment = {**drill.environment, "REGISTRE_LOG_SIGNING_KEY": "other-log-1:" + "77" * 32}
    result = subprocess.run([str(RESTORE), str(drill.dump), target_url], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "BROKEN transparency log" in result.stderr and "verify-audit FAILED" in result.stderr


def _needles(numbers: list[str]) -> set[bytes]:
    forms = set()
    for number in numbers:
        corsica = number.replace("2A", "19").replace("2B", "18")
        for form in (number, number[:13], spaced(number), spaced(number, "."), corsica, corsica[:13]):
            forms |= {form, form.lower()}
    encoded = {form.encode() for form in forms}
    return encoded | {form.hex().encode() for form in encoded}  # and as bytea prints them


def test_the_dump_holds_no_raw_identifier(drill):
    needles = _needles(NUMBERS)
    raw = drill.dump.read_bytes()
    assert not [n for n in needles if n in raw]
    # The archive is compressed: read its data as SQL too, where every cell is in plain text.
    script = subprocess.run([str(drill.pg_bin / "pg_restore"), "--file=-", str(drill.dump)],
                            capture_output=True, check=True).stdout
    assert b"COPY public.audit_events" in script and b"opposition.filed" in script
    assert not [n for n in needles if n in script]


def test_a_failed_dump_leaves_no_backup_behind(drill, tmp_path):
    absent = drill.run(str(BACKUP), drill.source_url.replace("registre_drill_source", "no_such_database"),
                       str(tmp_path))
    assert absent.returncode == 1 and "pg_dump failed" in absent.stderr
    no_tool = subprocess.run([str(BACKUP), drill.source_url, str(tmp_path)], cwd=ROOT,
                             env={**drill.environment, "PG_BIN": str(tmp_path)}, capture_output=True, text=True)
    assert no_tool.returncode == 1 and "pg_dump not found" in no_tool.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_scripts_explain_their_usage():
    for script in (BACKUP, RESTORE):
        result = subprocess.run([str(script)], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 2 and "usage:" in result.stderr
        assert subprocess.run([str(script), "--help"], capture_output=True, text=True).stdout.startswith("usage:")
    not_postgres = subprocess.run([str(BACKUP), "sqlite:///registre.db", "/nonexistent"], capture_output=True, text=True)
    assert not_postgres.returncode == 1 and "PostgreSQL URL" in not_postgres.stderr
