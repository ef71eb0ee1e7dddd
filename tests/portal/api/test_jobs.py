"""Cohort jobs over real HTTP: upload, background run on the Huey queue, line results, ownership,
resumption after an interruption, retention, and no identifier left on disk once a job ends."""

import datetime as dt
import logging
import shutil

import pytest
import requests
from sqlalchemy import select, update

from portal.database import db
from registry.contact import holds_identifier
from registry.db import unit_of_work
from registry.jobs import LookupJob, run_job
from registry.models import utcnow
from registry.purposes import Purpose
from tests.portal.api.test_lookup import AI_ONLY, FREE, OPPOSED, file
from tests.registry.nir_factory import make_nir, spaced
from tests.registry.test_no_raw_identifier import find_leaks

COHORT = [make_nir(1, 60 + i % 30, 1 + i % 12, "13", "055", 1 + i) for i in range(25)]


def upload(live, headers, body: bytes, purpose="research", content_type="text/csv"):
    return requests.post(live.url + f"/api/v1/jobs?purpose={purpose}", data=body, timeout=30,
                         headers={**headers, "Content-Type": content_type})


def cohort_file() -> bytes:
    lines = ["nir", spaced(OPPOSED), *COHORT[:10], "", "1234", AI_ONLY, f'"{FREE}"', *COHORT[10:]]
    return ("\r\n".join(lines) + "\n").encode()


def get(live, headers, path, **params):
    return requests.get(live.url + path, headers=headers, params=params, timeout=30)


def expected_results(opposed_lines=(2, 15)) -> list[str]:
    """The line results of ``cohort_file``: line 1 is its header, 13 is blank, 14 a short number."""
    rows = []
    for line in range(2, 32):
        if line == 13:
            continue
        status = "invalid" if line == 14 else "opposed" if line in opposed_lines else "not_opposed"
        rows.append(f"{line},{status},{'length' if line == 14 else ''}")
    return ["line,status,reason", *rows]


def test_a_job_runs_in_the_background_and_returns_a_status_per_line_in_input_order(live, auth, database_url):
    file(database_url, OPPOSED)
    file(database_url, COHORT[3], [Purpose.RESEARCH])
    created = upload(live, auth, cohort_file())
    assert created.status_code == 202
    job = created.json()
    assert job["status"] == "queued" and created.headers["Location"].endswith(job["id"])

    assert live.drain_jobs() == 1
    status = get(live, auth, f"/api/v1/jobs/{job['id']}").json()
    assert status["status"] == "done" and status["progress"] == 1.0
    assert status["counts"] == {"lines": 31, "kept": 26, "opposed": 2, "invalid": 1}
    assert status["result"] == f"/api/v1/jobs/{job['id']}/result" and "invalid_lines" not in status

    result = get(live, auth, f"/api/v1/jobs/{job['id']}/result")
    assert result.headers["Content-Type"].startswith("text/csv")
    assert result.text.splitlines() == expected_results(opposed_lines=(2, 3 + 3))


def test_the_line_results_hold_no_identifier_at_all(live, auth, database_url):
    file(database_url, OPPOSED)
    job = upload(live, auth, cohort_file()).json()
    live.drain_jobs()
    text = get(live, auth, f"/api/v1/jobs/{job['id']}/result").text
    assert not holds_identifier(text)
    assert not any(n in text or spaced(n) in text or n[:13] in text for n in [OPPOSED, AI_ONLY, FREE, *COHORT])
    assert {row.split(",")[1] for row in text.splitlines()[1:]} == {"opposed", "not_opposed", "invalid"}


def test_the_former_part_parameter_is_refused_so_an_old_client_cannot_keep_opposed_lines(live, auth):
    job = upload(live, auth, cohort_file()).json()
    live.drain_jobs()
    for part in ("cleaned", "invalid"):
        response = get(live, auth, f"/api/v1/jobs/{job['id']}/result", part=part)
        assert (response.status_code, response.json()["code"]) == (422, "invalid_request")


def test_a_second_warehouse_cannot_read_the_first_ones_job(live, auth):
    job = upload(live, auth, cohort_file()).json()
    live.drain_jobs()
    other = {"Authorization": "Bearer " + live.token(live.create_warehouse("EDS voisin"))}
    for path in (f"/api/v1/jobs/{job['id']}", f"/api/v1/jobs/{job['id']}/result"):
        response = get(live, other, path)
        assert (response.status_code, response.json()["code"]) == (404, "job_not_found")
    assert get(live, auth, f"/api/v1/jobs/{job['id']}").status_code == 200


def test_upload_errors_are_problems(live, auth, warehouse):
    assert upload(live, auth, b"x", purpose="marketing").json()["code"] == "unknown_purpose"
    assert upload(live, auth, b"x", content_type="application/pdf").status_code == 415
    assert upload(live, auth, b"").status_code == 422
    lookup_only = {"Authorization": "Bearer " + live.token(warehouse, scope="lookup")}
    assert upload(live, lookup_only, b"x").status_code == 403
    assert get(live, auth, "/api/v1/jobs/not-a-job").status_code == 404


def test_a_result_asked_before_the_end_is_409(live, auth):
    job = upload(live, auth, cohort_file()).json()
    response = get(live, auth, f"/api/v1/jobs/{job['id']}/result")
    assert (response.status_code, response.json()["code"]) == (409, "job_not_ready")


def test_an_interrupted_job_resumes_where_it_stopped_and_writes_nothing_twice(live, auth, database_url):
    from portal.api.queue import enqueue_resumable_jobs, jobs_root
    from portal.keys import keyring

    file(database_url, COHORT[20])
    job = upload(live, auth, cohort_file()).json()
    with live.app.app_context():
        job_id = db.session().scalars(select(LookupJob.id)).one()
        # A worker takes the job, commits two chunks of 4 lines, and dies.
        outcome = run_job(live.app.extensions["database"], keyring(), job_id, jobs_root(live.app),
                          chunk_lines=4, stop_after_chunks=2)
        assert outcome.status == "running"
    half = get(live, auth, f"/api/v1/jobs/{job['id']}").json()
    assert half["status"] == "running" and 0 < half["progress"] < 1
    with live.app.app_context():
        # The restarted worker finds the job; its lease has run out.
        session = db.session()
        session.execute(update(LookupJob).values(heartbeat_at=utcnow() - dt.timedelta(minutes=10)))
        session.commit()
        assert enqueue_resumable_jobs() == 1
    live.drain_jobs()
    done = get(live, auth, f"/api/v1/jobs/{job['id']}").json()
    assert done["status"] == "done" and done["counts"] == {"lines": 31, "kept": 27, "opposed": 1, "invalid": 1}
    rows = get(live, auth, f"/api/v1/jobs/{job['id']}/result").text.splitlines()
    assert rows == expected_results(opposed_lines=(17 + 10,)), "every line once, in order, none written twice"
    assert sorted(p.name for p in (jobs_root(live.app) / job["id"]).iterdir()) == ["results.csv"], \
        "the resumed run deletes the upload at its end"


def test_a_worker_killed_between_two_checkpoints_resumes_at_the_first_and_writes_nothing_twice(
        live, auth, database_url, monkeypatch):
    import sqlite3

    import registry.jobs
    from portal.api.queue import jobs_root
    from portal.keys import keyring

    file(database_url, COHORT[20])
    job = upload(live, auth, cohort_file()).json()
    checks = []

    def lookup_then_lose_the_database(*args, **kwargs):
        checks.append(1)
        if len(checks) == 4:  # chunks 1-2 are checkpointed, chunk 3 is written and not yet
            raise sqlite3.OperationalError("the database went away")
        return real_lookup(*args, **kwargs)

    real_lookup = registry.jobs.lookup_batch
    monkeypatch.setattr(registry.jobs, "lookup_batch", lookup_then_lose_the_database)
    with live.app.app_context():
        job_id = db.session().scalars(select(LookupJob.id)).one()
        with pytest.raises(sqlite3.OperationalError):
            run_job(live.app.extensions["database"], keyring(), job_id, jobs_root(live.app), chunk_lines=4,
                    checkpoint_lines=8)
        db.session().rollback()  # a fresh read, after the worker's writes
        stopped = db.session().get(LookupJob, job_id)
        results = jobs_root(live.app) / job["id"] / "results.csv"
        assert stopped.status == "running" and 8 <= stopped.lines_done < 31, "two chunks (of 4 lines or more) committed"
        assert results.stat().st_size > stopped.results_bytes, "the third chunk's rows were on disk, uncommitted"
        db.session().execute(update(LookupJob).values(heartbeat_at=utcnow() - dt.timedelta(minutes=10)))
        db.session().commit()
    monkeypatch.setattr(registry.jobs, "lookup_batch", real_lookup)
    live.drain_jobs()
    done = get(live, auth, f"/api/v1/jobs/{job['id']}").json()
    assert done["status"] == "done" and done["counts"] == {"lines": 31, "kept": 27, "opposed": 1, "invalid": 1}
    rows = get(live, auth, f"/api/v1/jobs/{job['id']}/result").text.splitlines()
    assert rows == expected_results(opposed_lines=(17 + 10,)), "every line once, in order, none written twice"


def test_a_job_held_by_a_live_worker_is_left_alone(live, auth):
    from portal.api.queue import jobs_root
    from portal.keys import keyring

    upload(live, auth, cohort_file())
    with live.app.app_context():
        job_id = db.session().scalars(select(LookupJob.id)).one()
        sessions = live.app.extensions["database"]
        run_job(sessions, keyring(), job_id, jobs_root(live.app), chunk_lines=4, stop_after_chunks=1)
        second = run_job(sessions, keyring(), job_id, jobs_root(live.app))
    assert second.status == "running" and second.retry_in is not None


def test_files_are_deleted_after_retention_and_no_identifier_is_left_anywhere(live, auth, database_url, caplog):
    from portal.api.queue import jobs_root

    caplog.set_level(logging.DEBUG)
    file(database_url, OPPOSED)
    job = upload(live, auth, cohort_file()).json()
    live.drain_jobs()
    requests.post(live.url + "/api/v1/lookup", headers=auth, timeout=30,
                  json={"purpose": "research", "identifiers": [OPPOSED, *COHORT]})
    folder = jobs_root(live.app) / job["id"]
    assert sorted(p.name for p in folder.iterdir()) == ["results.csv"], "the upload goes once done"

    not_yet = live.app.test_cli_runner().invoke(args=["registry", "purge-jobs"])
    assert "0 expired jobs purged" in not_yet.output and folder.exists()
    with live.app.app_context():
        session = db.session()
        session.execute(update(LookupJob).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        session.commit()
    purged = live.app.test_cli_runner().invoke(args=["registry", "purge-jobs"])
    assert "1 expired jobs purged" in purged.output
    assert not folder.exists() and list(jobs_root(live.app).iterdir()) == []
    gone = get(live, auth, f"/api/v1/jobs/{job['id']}/result")
    assert (gone.status_code, gone.json()["code"]) == (410, "job_expired")
    assert get(live, auth, f"/api/v1/jobs/{job['id']}").json()["counts"]["kept"] == 27

    with live.app.app_context():
        assert find_leaks(db.session(), [OPPOSED, AI_ONLY, FREE, *COHORT]) == []
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert not any(n in logged or spaced(n) in logged for n in [OPPOSED, AI_ONLY, FREE, *COHORT])


def test_a_job_checked_in_two_processes_writes_exactly_what_one_process_writes(live, auth, database_url):
    from portal.api.queue import jobs_root
    from portal.keys import keyring

    file(database_url, COHORT[7])
    body = cohort_file() * 3  # 93 lines, the header line only once at the top
    first, second = upload(live, auth, body).json(), upload(live, auth, body).json()
    with live.app.app_context():
        ids = db.session().scalars(select(LookupJob.id).order_by(LookupJob.id)).all()
        sessions = live.app.extensions["database"]
        for job_id, processes in zip(ids, (1, 2)):
            assert run_job(sessions, keyring(), job_id, jobs_root(live.app), chunk_lines=4,
                           processes=processes).status == "done"
    one, two = (get(live, auth, f"/api/v1/jobs/{job['id']}").json() for job in (first, second))
    assert one["counts"] == two["counts"] == {"lines": 93, "kept": 81, "opposed": 3, "invalid": 5}
    texts = [get(live, auth, f"/api/v1/jobs/{job['id']}/result").text for job in (first, second)]
    assert texts[0] == texts[1] and len(texts[0].splitlines()) == 1 + 81 + 3 + 5


def valid_numbers_in(root) -> list[str]:
    """The files under ``root`` that hold a valid number in any form (the contact form's own
    detector: any separators, full-width digits...), named relative to ``root``."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*")
                  if path.is_file() and holds_identifier(path.read_bytes().decode("utf-8", "replace")))


def test_no_job_folder_holds_a_valid_number_once_its_job_completes(live, auth, database_url):
    """Every job folder is scanned after its job ends: done, done after a resumption, failed."""
    from portal.api.queue import jobs_root
    from portal.keys import keyring

    file(database_url, OPPOSED)
    body = cohort_file()
    done = upload(live, auth, body).json()
    live.drain_jobs()
    resumed = upload(live, auth, body).json()
    with live.app.app_context():
        sessions = live.app.extensions["database"]
        job_id = db.session().scalars(select(LookupJob.id).where(LookupJob.public_id == resumed["id"])).one()
        run_job(sessions, keyring(), job_id, jobs_root(live.app), chunk_lines=4, stop_after_chunks=3)
        assert valid_numbers_in(jobs_root(live.app)) == [f"{resumed['id']}/input.txt"], \
            "the scan sees numbers: the running job still needs its upload"
        with unit_of_work(db.session()) as session:  # the worker died; its lease ran out
            session.execute(update(LookupJob).values(heartbeat_at=utcnow() - dt.timedelta(minutes=10)))
        assert run_job(sessions, keyring(), job_id, jobs_root(live.app), chunk_lines=4).status == "done"
    root = jobs_root(live.app)
    assert sorted(p.name for p in root.iterdir()) == sorted([done["id"], resumed["id"]])
    assert valid_numbers_in(root) == []
    everything = b"".join(path.read_bytes() for path in root.rglob("*") if path.is_file())
    assert not any(form.encode() in everything for n in [OPPOSED, AI_ONLY, FREE, *COHORT]
                   for form in (n, spaced(n), n[:13]))


def test_a_failed_job_keeps_neither_its_upload_nor_its_partial_results(live, auth, monkeypatch, caplog):
    from portal.api.queue import jobs_root
    from portal.keys import keyring
    import registry.jobs

    job = upload(live, auth, cohort_file()).json()
    checked = []

    def failing_lookup(*args, **kwargs):  # the second chunk cannot be checked
        if checked:
            raise RuntimeError("a chunk that cannot be checked")
        checked.append(True)
        return real_lookup(*args, **kwargs)

    real_lookup = registry.jobs.lookup_batch
    monkeypatch.setattr(registry.jobs, "lookup_batch", failing_lookup)
    caplog.set_level(logging.DEBUG)
    with live.app.app_context():
        job_id = db.session().scalars(select(LookupJob.id)).one()
        outcome = run_job(live.app.extensions["database"], keyring(), job_id, jobs_root(live.app), chunk_lines=4)
    assert outcome.status == "failed"
    status = get(live, auth, f"/api/v1/jobs/{job['id']}").json()
    assert status["status"] == "failed" and status["finished_at"] and "result" not in status
    response = get(live, auth, f"/api/v1/jobs/{job['id']}/result")
    assert (response.status_code, response.json()["code"]) == (409, "job_not_ready")
    assert list((jobs_root(live.app) / job["id"]).iterdir()) == []
    assert "RuntimeError" in caplog.text and not any(n in caplog.text for n in [OPPOSED, *COHORT])


def test_an_upload_left_behind_by_a_worker_stopped_after_the_end_is_deleted_when_a_worker_starts(live, auth):
    from portal.api.queue import enqueue_resumable_jobs, jobs_root
    from portal.keys import keyring

    job = upload(live, auth, cohort_file()).json()
    live.drain_jobs()
    upload_path = jobs_root(live.app) / job["id"] / "input.txt"
    upload_path.write_bytes(cohort_file())  # as if the worker had stopped before deleting it
    with live.app.app_context():
        assert enqueue_resumable_jobs() == 0, "a finished job is not queued again"
    assert not upload_path.exists()

    upload_path.write_bytes(cohort_file())
    with live.app.app_context():  # the same job's task delivered again
        job_id = db.session().scalars(select(LookupJob.id)).one()
        assert run_job(live.app.extensions["database"], keyring(), job_id, jobs_root(live.app)).status == "done"
    assert not upload_path.exists()

    upload_path.write_bytes(cohort_file())
    assert "0 expired jobs purged" in live.app.test_cli_runner().invoke(args=["registry", "purge-jobs"]).output
    assert not upload_path.exists() and (upload_path.parent / "results.csv").exists()


def test_a_job_whose_upload_vanished_fails_instead_of_being_retried_forever(live, auth):
    from portal.api.queue import jobs_root

    job = upload(live, auth, cohort_file()).json()
    shutil.rmtree(jobs_root(live.app) / job["id"])
    live.drain_jobs()
    assert get(live, auth, f"/api/v1/jobs/{job['id']}").json()["status"] == "failed"


def test_a_job_reports_demo_numbers_invalid_only_when_test_numbers_are_off(api_app, auth, live):
    from portal.demo import DEMO_PEOPLE

    body = ("\n".join([DEMO_PEOPLE[0].nir, COHORT[0]]) + "\n").encode()
    rows = {}
    for allowed in (True, False):
        api_app.config["ALLOW_TEST_IDENTIFIERS"] = allowed
        job = upload(live, auth, body).json()
        live.drain_jobs()
        rows[allowed] = get(live, auth, f"/api/v1/jobs/{job['id']}/result").text.splitlines()[1:]
    assert rows[True] == ["1,not_opposed,", "2,not_opposed,"]
    assert rows[False] == ["1,invalid,test_identifier", "2,not_opposed,"]
