"""The lookups' audit counts and transparency records, gathered per process and written in
groups (``registry.lookup_records``) about every ``API_RECORD_INTERVAL`` seconds, and when the
process exits.

The lookup that finds a write due makes it once its answer is sent: its caller does not wait,
and no thread competes with the requests for the interpreter while they are coming. A
background thread writes what is left when the traffic stops. With an interval of 0 each call
writes its own records before it answers.

Each record is first appended to the process's journal (``registry.lookup_journal``) in
``API_RECORD_JOURNAL`` (default ``instance/journal/lookups``; a folder local to the node), fsync-ed
when ``API_RECORD_JOURNAL_SYNC`` is true (an empty folder turns the journal off, outside
production only: ``bench/lookup_journal.py`` measures it against no journal). The journals a killed process left are written by the
node's next process: its writer thread looks for them when it starts and at every turn, and with
an interval of 0 the process's first request does."""

from __future__ import annotations

import atexit
import os
import threading
from functools import partial
from pathlib import Path

from flask import Flask, Response, current_app

from registry.lookup_journal import LookupJournal
from registry.lookup_records import LookupRecorder, replay_orphans

from portal.config import ConfigurationError
from portal.database import db


def init_app(app: Flask) -> None:
    app.config.setdefault("API_RECORD_INTERVAL", 10.0)
    app.config.setdefault("API_RECORD_JOURNAL", str(Path(app.instance_path) / "journal" / "lookups"))
    app.config.setdefault("API_RECORD_JOURNAL_SYNC", False)
    journal = None
    if app.config["API_RECORD_JOURNAL"]:
        journal = LookupJournal(Path(app.config["API_RECORD_JOURNAL"]), sync=bool(app.config["API_RECORD_JOURNAL_SYNC"]))
    elif app.config["PRODUCTION"]:
        raise ConfigurationError("REGISTRE_API_RECORD_JOURNAL is empty: production journals the lookups' records")
    recorder = LookupRecorder(float(app.config["API_RECORD_INTERVAL"]), journal=journal)
    app.extensions["lookup_recorder"] = recorder
    writer = app.extensions["lookup_record_writer"] = _Writer(app, recorder)
    app.before_request(writer.ensure_running)
    atexit.register(_write_at_exit, app, recorder)


def lookup_recorder() -> LookupRecorder:
    return current_app.extensions["lookup_recorder"]


def records_gathered(response: Response) -> None:
    """Called after each lookup with its response: write now (interval 0), or once the response
    is sent when a write is due; and make sure the thread that writes after the traffic runs."""
    recorder = lookup_recorder()
    if recorder.interval <= 0:
        write_records(recorder)
        return
    app = current_app._get_current_object()
    if recorder.claim_write():
        response.call_on_close(partial(_write_in_context, app, recorder))
    app.extensions["lookup_record_writer"].ensure_running()


def write_records(recorder: LookupRecorder) -> None:
    """Write what was gathered; a failure is logged and the records kept for the next write."""
    try:
        recorder.write(db.session())
    except Exception as error:  # the answers were right; the records wait for the next turn
        current_app.logger.error("lookup records not written yet: %s", type(error).__name__)


def _write_in_context(app: Flask, recorder: LookupRecorder) -> None:
    with app.app_context():
        write_records(recorder)


def replay_journals(app: Flask) -> int:
    """Write what the node's killed processes left in their journals; a failure is logged and
    the files are left for the next turn."""
    with app.app_context():
        journal = app.extensions["lookup_recorder"].journal
        if journal is None:
            return 0
        try:
            replayed = replay_orphans(db.session(), journal.folder)
        except Exception as error:
            app.logger.error("lookup journals not replayed yet: %s", type(error).__name__)
            return 0
    if replayed:
        app.logger.warning("lookup journals of %d stopped process(es) replayed", replayed)
    return replayed


class _Writer:
    """One daemon thread per process (a forked child starts its own) that writes the records
    the requests left (those still pending an interval after a write was due) and replays the
    journals of the node's dead processes. Started by the process's first request. With an
    interval of 0 (every call writes) there is no thread: the first request replays."""

    def __init__(self, app: Flask, recorder: LookupRecorder) -> None:
        self.app, self.recorder = app, recorder
        self._lock = threading.Lock()
        self._pid: int | None = None

    def ensure_running(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                if self.recorder.interval <= 0:
                    replay_journals(self.app)
                else:
                    threading.Thread(target=self._run, name="lookup-records", daemon=True).start()

    def _run(self) -> None:
        stop = threading.Event()
        replay_journals(self.app)
        while not stop.wait(self.recorder.interval):
            if self.recorder.claim_write(late=self.recorder.interval):
                _write_in_context(self.app, self.recorder)
            replay_journals(self.app)


def _write_at_exit(app: Flask, recorder: LookupRecorder) -> None:
    if not recorder.pending:
        return
    with app.app_context():
        try:
            recorder.write(db.session())
        except Exception as error:
            app.logger.error("lookup records lost at exit: %s", type(error).__name__)
