"""``registre-check`` against a live server: batches, a job, retries after server errors, and a
run interrupted then resumed; the cleaned file and the invalid rows' report rebuilt from the
user's own file and a job's line results."""

import csv
import json
import threading

import pytest

from registre_client.cli import main
from registre_client.cohort_csv import UnreadableResults, parse_line_results, rebuild_from_line_results
from tests.portal.api.conftest import LiveServer, make_api_app
from tests.portal.api.test_lookup import OPPOSED, file
from tests.registry.nir_factory import make_nir, spaced

PEOPLE = [make_nir(1, 50 + i % 40, 1 + i % 12, "69", "123", 1 + i) for i in range(23)]


class Flaky:
    """WSGI middleware failing chosen lookup calls: the outside network, misbehaving."""

    def __init__(self, app, failures: dict[int, int]) -> None:
        self.app, self.failures, self.calls = app, failures, 0

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/api/v1/lookup":
            self.calls += 1
            status = self.failures.pop(self.calls, None)
            if status:
                start_response(f"{status} Failing", [("Content-Type", "application/problem+json"),
                                                      ("Retry-After", "0")])
                return [json.dumps({"status": status, "code": "test_failure"}).encode()]
        return self.app(environ, start_response)


@pytest.fixture
def cohort(tmp_path):
    path = tmp_path / "cohort.csv"
    with open(path, "w", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["patient", "nir", "site"])
        writer.writerow(["p0", spaced(OPPOSED), "Lyon"])
        for i, number in enumerate(PEOPLE):
            writer.writerow([f"p{i + 1}", number, "Lyon"])
        writer.writerow(["bad", "12345", "Lyon"])
    return path


def expected_rows():
    return [["patient", "nir", "site"]] + [[f"p{i + 1}", n, "Lyon"] for i, n in enumerate(PEOPLE)]


def expected_invalid_report():
    """The short number is row 26 of the cohort file (header row 1, OPPOSED row 2, 23 people)."""
    return [["row", "reason", "patient", "nir", "site"], ["26", "length", "bad", "12345", "Lyon"]]


def run(live, cohort, out, *extra):
    app = live.app
    credentials = live.create_warehouse("EDS client") if not hasattr(live, "credentials") else live.credentials
    live.credentials = credentials
    return main([str(cohort), "--column", "nir", "--purpose", "research", "--out", str(out), "--url", live.url,
                 f"--client-id={credentials['client_id']}", f"--client-secret={credentials['client_secret']}",
                 "--quiet", *extra])


def read(path):
    with open(path, newline="") as source:
        return list(csv.reader(source))


def test_batches_write_the_cleaned_cohort_with_all_columns_and_a_summary(live, database_url, cohort, tmp_path):
    file(database_url, OPPOSED)
    out = tmp_path / "cleaned.csv"
    assert run(live, cohort, out, "--batch-size", "5") == 0
    assert read(out) == expected_rows()
    assert read(tmp_path / "cleaned.csv.invalid.csv") == expected_invalid_report()
    summary = json.loads((tmp_path / "cleaned.csv.summary.json").read_text())
    assert (summary["mode"], summary["rows"], summary["kept"], summary["opposed"], summary["invalid"]) == (
        "batches", 25, 23, 1, 1)
    assert not (tmp_path / "cleaned.csv.state.json").exists()


def run_with_worker(live, function):
    """``function()`` while a thread runs the job queue, as a worker would."""
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            live.drain_jobs()
            stop.wait(0.05)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    try:
        return function()
    finally:
        stop.set()
        thread.join()


def test_a_large_file_goes_as_a_job_and_the_cohort_and_invalid_report_are_rebuilt_from_line_results(
        live, database_url, cohort, tmp_path):
    file(database_url, OPPOSED)
    out = tmp_path / "cleaned.csv"
    assert run_with_worker(live, lambda: run(live, cohort, out, "--job-threshold", "10", "--poll", "0.05")) == 0
    assert read(out) == expected_rows()
    assert read(tmp_path / "cleaned.csv.invalid.csv") == expected_invalid_report()
    summary = json.loads((tmp_path / "cleaned.csv.summary.json").read_text())
    assert (summary["mode"], summary["kept"], summary["opposed"], summary["invalid"]) == ("job", 23, 1, 1)
    assert not list(tmp_path.glob("*.upload.tmp")), "the upload copy of the identifiers is removed"


def test_server_errors_are_retried_and_an_interrupted_run_resumes(database_url, tmp_path, cohort):
    app = make_api_app(database_url, tmp_path)
    flaky = Flaky(app.wsgi_app, {2: 503, 3: 502})
    app.wsgi_app = flaky
    out = tmp_path / "cleaned.csv"
    with LiveServer(app) as live:
        file(database_url, OPPOSED)
        assert run(live, cohort, out, "--batch-size", "5") == 0
        assert read(out) == expected_rows() and flaky.calls == 7  # 5 batches, 2 of them sent twice

        out.unlink()
        flaky.calls, flaky.failures = 0, {3: 400}  # a refusal that is not retried stops the run
        assert run(live, cohort, out, "--batch-size", "5") == 2
        state = json.loads((tmp_path / "cleaned.csv.state.json").read_text())
        assert state["counts"]["rows"] == 10
        assert run(live, cohort, out, "--batch-size", "5") == 0
        assert flaky.calls == 6, "the two batches answered before the stop are not sent again"
    assert read(out) == expected_rows()
    assert read(tmp_path / "cleaned.csv.invalid.csv") == expected_invalid_report(), "no row twice after resuming"
    from portal.database import db

    db.dispose(app)


def write_csv(path, rows):
    with open(path, "w", newline="") as target:
        csv.writer(target).writerows(rows)
    return path


def test_the_cleaned_file_and_invalid_report_are_rebuilt_from_the_users_file_and_line_results(tmp_path):
    source = write_csv(tmp_path / "cohort.csv", [
        ["patient", "nir"], ["a", PEOPLE[0]], ["b", "1234"], ["c", ""], ["d", PEOPLE[1]], ["e", PEOPLE[2]]])
    # what the server answers for the upload "identifier\n<a>\n1234\n\n<d>\n<e>\n": line 4 was blank
    results = ["line,status,reason", "2,not_opposed,", "3,invalid,length", "5,opposed,", "6,not_opposed,"]
    counts = rebuild_from_line_results(source, "nir", parse_line_results(results), tmp_path / "out.csv",
                                       tmp_path / "out.csv.invalid.csv")
    assert counts == {"rows": 5, "kept": 2, "opposed": 1, "invalid": 2}
    assert read(tmp_path / "out.csv") == [["patient", "nir"], ["a", PEOPLE[0]], ["e", PEOPLE[2]]]
    assert read(tmp_path / "out.csv.invalid.csv") == [
        ["row", "reason", "patient", "nir"], ["3", "length", "b", "1234"], ["4", "empty", "c", ""]]


@pytest.mark.parametrize("results", [
    pytest.param(["line,identifier", "2,x"], id="the former cleaned file"),
    pytest.param(["line,status,reason", "2,kept,"], id="an unknown status"),
    pytest.param(["line,status,reason", "3,opposed,", "2,opposed,"], id="lines out of order"),
    pytest.param(["line,status,reason", "9,opposed,"], id="a line the file does not have"),
])
def test_line_results_in_another_format_stop_the_rebuild_and_nothing_is_written(tmp_path, results):
    source = write_csv(tmp_path / "cohort.csv", [["nir"], [PEOPLE[0]], [PEOPLE[1]]])
    with pytest.raises(UnreadableResults):
        rebuild_from_line_results(source, "nir", parse_line_results(results), tmp_path / "out.csv",
                                  tmp_path / "out.csv.invalid.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort.csv"]
