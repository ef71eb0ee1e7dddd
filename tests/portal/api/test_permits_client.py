"""``registre-check --permit``: in batches and as a job, rows answered under a permit's exception
are left out unless ``--keep-exceptions``, and the summary says how many were kept that way; a
refused permit stops the run with its code."""

import json

import pytest

from tests.portal.api.test_permits import add_permits
from tests.registre_client.test_cli import PEOPLE, cohort, expected_rows, read, run, run_with_worker  # noqa: F401
from tests.portal.api.test_lookup import OPPOSED, file


@pytest.fixture
def holder(live, database_url):
    live.credentials = live.create_warehouse("EDS client")
    add_permits(database_url, live.credentials["client_id"], live.create_warehouse("EDS voisin")["client_id"])
    file(database_url, OPPOSED)


@pytest.mark.parametrize("mode", [[], ["--job-threshold", "10", "--poll", "0.05"]], ids=["batches", "job"])
def test_rows_under_an_exception_are_left_out_unless_kept(live, holder, cohort, tmp_path, capsys, mode):
    out = tmp_path / "cleaned.csv"
    assert run_with_worker(live, lambda: run(live, cohort, out, "--permit", "P-EXC", *mode)) == 0
    assert read(out) == expected_rows()
    summary = json.loads((tmp_path / "cleaned.csv.summary.json").read_text())
    assert (summary["opposed"], summary["exceptions"], summary.get("kept_by_exception", 0)) == (1, 1, 0)
    assert "add --keep-exceptions" in capsys.readouterr().err

    kept = tmp_path / "kept.csv"
    assert run_with_worker(live, lambda: run(live, cohort, kept, "--permit", "P-EXC", "--keep-exceptions",
                                             *mode)) == 0
    rows = read(kept)
    assert rows[1][0] == "p0" and rows[2:] == expected_rows()[1:]
    summary = json.loads((tmp_path / "kept.csv.summary.json").read_text())
    assert (summary["kept"], summary["opposed"], summary["kept_by_exception"]) == (len(PEOPLE) + 1, 0, 1)
    assert "1 of the kept rows are opposed people kept under the exception of permit P-EXC" in capsys.readouterr().err


def test_a_permit_without_exception_keeps_nothing_more(live, holder, cohort, tmp_path):
    out = tmp_path / "cleaned.csv"
    assert run(live, cohort, out, "--permit", "P-OK", "--keep-exceptions") == 0
    assert read(out) == expected_rows()


def test_a_refused_permit_stops_the_run_with_its_code(live, holder, cohort, tmp_path, capsys):
    assert run(live, cohort, tmp_path / "cleaned.csv", "--permit", "P-OTHER") == 2
    assert "permit_not_held" in capsys.readouterr().err
    assert not (tmp_path / "cleaned.csv.summary.json").exists()
