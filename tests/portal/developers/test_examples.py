"""The curl, Python and registre-check examples of the developer page run as shown: read from
the page served over HTTP, run against a live server with real HTTP, with a warehouse's
credentials in the environment as the page says."""

from __future__ import annotations

import csv
import html
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from tests.portal.api.conftest import LiveServer, make_api_app

pytestmark = pytest.mark.db
BIN = Path(sys.executable).parent


def page_examples(url: str) -> dict[str, str]:
    page = requests.get(url, timeout=30)
    assert page.status_code == 200
    return {name: html.unescape(text) for name, text in
            re.findall(r'<code data-example="([a-z_]+)">(.*?)</code>', page.text, flags=re.S)}


@pytest.fixture
def server(database_url, tmp_path):
    from portal.database import db

    app = make_api_app(database_url, tmp_path)
    with LiveServer(app) as live:
        result = app.test_cli_runner().invoke(args=["registry", "seed-sandbox"])
        assert result.exit_code == 0, result.output
        yield live
    db.dispose(app)


@pytest.fixture
def environment(server, tmp_path) -> dict:
    credentials = server.create_warehouse("EDS des exemples", "--scope", "lookup jobs")
    return {**os.environ, "REGISTRE_API_URL": server.url, "REGISTRE_CLIENT_ID": credentials["client_id"],
            "REGISTRE_CLIENT_SECRET": credentials["client_secret"], "PATH": f"{BIN}:{os.environ['PATH']}"}


def run(command: list[str], environment: dict, cwd: Path, timeout: int = 120) -> str:
    done = subprocess.run(command, env=environment, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


@pytest.mark.parametrize("language", ["", "/en"])
def test_the_curl_batch_example_answers_in_order_with_its_validity(server, environment, tmp_path, language):
    from portal.developers.examples import NOT_OPPOSED, OPPOSED

    examples = page_examples(server.url + language + "/developpeurs/")
    answer = json.loads(run(["bash", "-euo", "pipefail", "-c", examples["curl_lookup"]], environment, tmp_path))
    assert answer["results"] == [{"identifier": OPPOSED, "opposed": True},
                                 {"identifier": NOT_OPPOSED, "opposed": False},
                                 {"identifier": "123", "error": "length"}]
    assert answer["checked_at"] < answer["valid_until"]


def test_the_python_example_prints_each_result(server, environment, tmp_path):
    examples = page_examples(server.url + "/developpeurs/")
    script = tmp_path / "lookup.py"
    script.write_text(examples["python_lookup"], encoding="utf-8")
    lines = run([sys.executable, str(script)], environment, tmp_path).splitlines()
    assert lines[0].startswith("checked at ") and " - valid until " in lines[0]
    assert [line.split()[1] for line in lines[1:]] == ["opposed", "not"]


def test_the_curl_job_example_waits_for_the_results(server, environment, tmp_path):
    examples = page_examples(server.url + "/developpeurs/")
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            server.drain_jobs()
            stop.wait(0.2)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    try:
        output = run(["bash", "-euo", "pipefail", "-c", examples["curl_job"].replace("sleep 2", "sleep 0.2")],
                     environment, tmp_path)
    finally:
        stop.set()
        thread.join()
    assert output.splitlines() == ["line,status,reason", "2,opposed,", "3,not_opposed,"]


def test_the_registre_check_example_cleans_the_example_cohort(server, environment, tmp_path):
    examples = page_examples(server.url + "/developpeurs/")
    (tmp_path / "cohort.csv").write_text(examples["cohort_csv"], encoding="utf-8")
    run(["bash", "-euo", "pipefail", "-c", examples["check_csv"].rstrip("\n") + " --quiet"], environment, tmp_path)
    with open(tmp_path / "cleaned.csv", encoding="utf-8", newline="") as cleaned:
        rows = list(csv.reader(cleaned, delimiter=";"))
    from portal.developers.examples import NOT_OPPOSED

    assert rows == [["nir", "age", "site"], [NOT_OPPOSED, "41", "Lyon"]]
    summary = json.loads((tmp_path / "cleaned.csv.summary.json").read_text())
    assert summary["valid_until"] and summary["checked_at"]


def test_the_private_example_checks_without_sending_the_numbers(server, tmp_path):
    credentials = server.create_warehouse("EDS privé", "--scope", "private-lookup")
    declared = server.app.test_cli_runner().invoke(args=["registry", "declare-cohort", credentials["client_id"], "100"])
    assert declared.exit_code == 0, declared.output
    environment = {**os.environ, "REGISTRE_API_URL": server.url, "REGISTRE_CLIENT_ID": credentials["client_id"],
                   "REGISTRE_CLIENT_SECRET": credentials["client_secret"], "PATH": f"{BIN}:{os.environ['PATH']}"}
    examples = page_examples(server.url + "/developpeurs/")
    (tmp_path / "cohort.csv").write_text(examples["cohort_csv"], encoding="utf-8")
    command = examples["check_private"].rstrip("\n") + f" --quiet --workers 1 --filter-cache {tmp_path / 'cache'}"
    run(["bash", "-euo", "pipefail", "-c", command], environment, tmp_path, timeout=300)
    from portal.developers.examples import NOT_OPPOSED

    with open(tmp_path / "cleaned.csv", encoding="utf-8", newline="") as cleaned:
        assert list(csv.reader(cleaned, delimiter=";")) == [["nir", "age", "site"], [NOT_OPPOSED, "41", "Lyon"]]
