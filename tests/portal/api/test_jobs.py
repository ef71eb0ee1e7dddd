"""Cohort jobs over real HTTP: upload, background run on the Huey queue, results, ownership,
resumption after an interruption, retention."""

import datetime as dt
import logging

import requests
from sqlalchemy import select, update

from portal.database import db
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


def test_a_job_runs_in_the_background_and_returns_the_cleaned_cohort_in_input_order(live, auth, database_url):
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

    cleaned = get(live, auth, f"/api/v1/jobs/{job['id']}/result")
    assert cleaned.headers["Content-Type"].startswith("text/csv")
    rows = cleaned.text.splitlines()
    expected = [f"{3 + i},{n}" for i, n in enumerate(COHORT[:10]) if n != COHORT[3]]
    expected += [f"15,{AI_ONLY}", f"16,{FREE}"] + [f"{17 + i},{n}" for i, n in enumerate(COHORT[10:])]
    assert rows[0] == "line,identifier" and rows[1:] == expected
    invalid = get(live, auth, f"/api/v1/jobs/{job['id']}/result", part="invalid").text.splitlines()
    assert invalid == ["line,identifier,reason", "14,1234,length"]


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
    rows = get(live, auth, f"/api/v1/jobs/{job['id']}/result").text.splitlines()[1:]
    assert len(rows) == len(set(rows)) == 27 and f"{17 + 10},{COHORT[20]}" not in rows
    assert [int(r.split(",")[0]) for r in rows] == sorted(int(r.split(",")[0]) for r in rows)


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
    assert sorted(p.name for p in folder.iterdir()) == ["cleaned.csv", "invalid.csv"], "input goes once done"

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
    for part in ("cleaned", "invalid"):
        texts = [get(live, auth, f"/api/v1/jobs/{job['id']}/result", part=part).text for job in (first, second)]
        assert texts[0] == texts[1]
