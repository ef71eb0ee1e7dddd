"""``registre-check --private`` against a live server: the same cleaned CSV as the ordinary mode,
while the server receives no identifier and no unblinded output; a bad proof stops the run."""

import base64
import csv
import json
import logging

import pytest

from registre_client.cli import main
from registry.purposes import Purpose
from tests.portal.api.conftest import live_server_behind
from tests.portal.api.test_lookup import file
from tests.portal.api.test_private_api import RecordingMiddleware
from tests.registry.nir_factory import make_nir, spaced

pytestmark = pytest.mark.db

PEOPLE = [make_nir(1 + i % 2, 40 + i % 50, 1 + i % 12, "13", "055", 10 + i) for i in range(30)]
OPPOSED = PEOPLE[3:30:4]  # 7 of them
AI_ONLY = PEOPLE[5]


class TamperedProof:
    """WSGI middleware flipping one bit of every evaluation proof: a registry that misbehaves."""

    def __init__(self, app) -> None:
        self.app, self.tampered = app, 0

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] != "/api/v1/private/evaluate":
            return self.app(environ, start_response)
        captured = {}

        def keep(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)

        body = b"".join(self.app(environ, keep))
        if captured["status"].startswith("200"):
            answer = json.loads(body)
            proof = bytearray(base64.b64decode(answer["proof"]))
            proof[3] ^= 0x10
            answer["proof"] = base64.b64encode(bytes(proof)).decode()
            body = json.dumps(answer).encode()
            self.tampered += 1
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]


def write_cohort(path):
    with open(path, "w", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["patient", "nir", "site"])
        for i, number in enumerate(PEOPLE):
            writer.writerow([f"p{i}", spaced(number) if i % 3 == 0 else number, "Marseille"])
            if i == 10:
                writer.writerow(["bad", "1 85 12 345", "Marseille"])
        writer.writerow(["empty", "", "Marseille"])
    return path


def give_private_warehouse(server, name: str, scope: str) -> None:
    """A warehouse with ``scope`` and a declared cohort of 100, as ``server.credentials``."""
    credentials = server.create_warehouse(name, "--scope", scope)
    result = server.app.test_cli_runner().invoke(args=["registry", "declare-cohort", credentials["client_id"], "100"])
    assert result.exit_code == 0, result.output
    server.credentials = credentials


@pytest.fixture
def served(database_url, tmp_path):
    """A live API whose every request (path, query and body) is recorded."""
    with live_server_behind(RecordingMiddleware, database_url, tmp_path) as (server, recorder):
        server.recorder = recorder
        give_private_warehouse(server, "EDS privé", "lookup private-lookup")
        yield server


def check(server, cohort, out, *extra, purpose="research"):
    return main([str(cohort), "--column", "nir", "--purpose", purpose, "--out", str(out), "--url", server.url,
                 f"--client-id={server.credentials['client_id']}",
                 f"--client-secret={server.credentials['client_secret']}", "--quiet",
                 "--filter-cache", str(out.parent / "cache"), *extra])


def read(path):
    with open(path, newline="") as source:
        return list(csv.reader(source))


def unblinded_outputs(server, numbers):
    """What the warehouse holds after unblinding: the OPRF outputs of its cohort."""
    from portal.keys import keyring
    from registry.identifiers import normalise

    with server.app.app_context():
        return [keyring().oprf.output(normalise(n)) for n in numbers]


def test_private_run_writes_the_ordinary_cleaned_csv_and_the_server_sees_no_identifier(
        served, database_url, tmp_path, caplog):
    for number in OPPOSED:
        file(database_url, number)
    file(database_url, AI_ONLY, [Purpose.AI])
    cohort = write_cohort(tmp_path / "cohort.csv")
    caplog.set_level(logging.DEBUG)

    private_out = tmp_path / "private.csv"
    assert check(served, cohort, private_out, "--private", "--batch-size", "8", "--workers", "2") == 0
    private_capture = b"\n".join(served.recorder.seen)
    private_logs = caplog.text

    ordinary_out = tmp_path / "ordinary.csv"
    assert check(served, cohort, ordinary_out, "--batch-size", "8") == 0
    assert read(private_out) == read(ordinary_out)
    report = read(tmp_path / "private.csv.invalid.csv")
    assert report == read(tmp_path / "ordinary.csv.invalid.csv") == [
        ["row", "reason", "patient", "nir", "site"], ["13", "length", "bad", "1 85 12 345", "Marseille"],
        ["33", "empty", "empty", "", "Marseille"]]
    kept = read(private_out)
    assert len(kept) == 1 + len(PEOPLE) - len(OPPOSED), "the header and every person not opposed"
    assert [row[0] for row in kept[1:]].count("p5") == 1, "an opposition to another purpose keeps the row"

    summary = json.loads((tmp_path / "private.csv.summary.json").read_text())
    ordinary = json.loads((tmp_path / "ordinary.csv.summary.json").read_text())
    assert {k: summary[k] for k in ("rows", "kept", "opposed", "invalid")} == {
        k: ordinary[k] for k in ("rows", "kept", "opposed", "invalid")} == {
        "rows": 32, "kept": 23, "opposed": 7, "invalid": 2}
    assert summary["mode"] == "private" and summary["acknowledged"] is True

    assert b"/api/v1/private/evaluate" in private_capture, "the capture holds the private run's requests"
    forms = {f for n in PEOPLE for f in (n, spaced(n), n[:13], n.replace(" ", ""))}
    outputs = unblinded_outputs(served, PEOPLE)
    unblinded = {f for o in outputs for f in (o, o.hex().encode(), base64.b64encode(o), o[:8],
                                               base64.b64encode(o[:8]), o[:8].hex().encode())}
    assert not any(f.encode() in private_capture for f in forms)
    assert not any(f in private_capture for f in unblinded)
    assert not any(f in private_logs for f in forms)
    assert not any(f.decode() in private_logs for f in unblinded if f.isascii() and len(f) > 8)
    assert any(f.encode() in b"\n".join(served.recorder.seen) for f in forms), "the ordinary run sent them"


def test_the_acknowledgement_carries_counts_only_and_reaches_the_registry(served, database_url, tmp_path):
    for number in OPPOSED:
        file(database_url, number)
    cohort = write_cohort(tmp_path / "cohort.csv")
    assert check(served, cohort, tmp_path / "out.csv", "--private", "--workers", "1") == 0
    (ack_request,) = [r for r in served.recorder.seen if r.startswith(b"/api/v1/private/acknowledgements")]
    body = json.loads(ack_request.split(b"\n", 1)[1])
    assert set(body) == {"purpose", "cohort_size", "opposed_count", "filter_version"}
    from portal.database import db
    from registry.private_quota import latest_acknowledgements
    from registry.warehouses import Warehouse
    from sqlalchemy import select

    with served.app.app_context():
        warehouse = db.session().scalars(select(Warehouse)).one()
        (ack,) = latest_acknowledgements(db.session(), warehouse.id)
        assert (ack.purpose, ack.cohort_size, ack.opposed_count) == ("research", 30, 7)


def test_the_filter_is_kept_and_refreshed_with_a_delta(served, database_url, tmp_path):
    file(database_url, OPPOSED[0])
    cohort = write_cohort(tmp_path / "cohort.csv")
    assert check(served, cohort, tmp_path / "first.csv", "--private", "--workers", "1") == 0
    assert len(read(tmp_path / "first.csv")) == 1 + len(PEOPLE) - 1
    assert list((tmp_path / "cache").glob("*.bin")), "the filter is kept for the next run"

    file(database_url, OPPOSED[1])
    served.recorder.seen.clear()
    assert check(served, cohort, tmp_path / "second.csv", "--private", "--workers", "1") == 0
    (filter_request,) = [r for r in served.recorder.seen if r.startswith(b"/api/v1/private/filter")]
    assert b"since=" in filter_request, "a known filter is refreshed with a delta"
    kept = {row[0] for row in read(tmp_path / "second.csv")[1:]}
    assert "p3" not in kept and "p7" not in kept and len(kept) == len(PEOPLE) - 2


def test_a_tampered_proof_stops_the_client_and_writes_nothing(database_url, tmp_path, capsys):
    cohort = write_cohort(tmp_path / "cohort.csv")
    out = tmp_path / "out.csv"
    with live_server_behind(TamperedProof, database_url, tmp_path) as (server, tampering):
        server.recorder = None
        give_private_warehouse(server, "EDS", "private-lookup")
        assert check(server, cohort, out, "--private", "--batch-size", "8", "--workers", "2") == 3
    assert tampering.tampered >= 1
    assert "proof does not verify" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob("out.csv*")), "no cleaned file, no partial file"


def test_proofs_checked_against_another_key_stop_the_client(served, tmp_path, capsys):
    from registry.keys import SecretKey
    from registry.oprf import OprfEvaluator

    other = OprfEvaluator(SecretKey("other", b"\x07" * 32)).public_key
    cohort = write_cohort(tmp_path / "cohort.csv")
    out = tmp_path / "out.csv"
    assert check(served, cohort, out, "--private", "--workers", "1",
                 "--public-key", base64.b64encode(other).decode()) == 3
    assert "proof does not verify" in capsys.readouterr().err
    assert not out.exists()


def test_a_used_up_allowance_is_reported_not_waited_for(served, tmp_path, capsys):
    cohort = write_cohort(tmp_path / "cohort.csv")
    for _ in range(6):  # 100 declared: 200 a day, 30 a run
        assert check(served, cohort, tmp_path / "out.csv", "--private", "--workers", "1") == 0
    assert check(served, cohort, tmp_path / "again.csv", "--private", "--workers", "1") == 2
    assert "private_quota_exceeded" in capsys.readouterr().err
    assert not (tmp_path / "again.csv").exists()


@pytest.mark.parametrize("key", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_public_key_is_a_usage_error(tmp_path, key, capsys):
    cohort = write_cohort(tmp_path / "cohort.csv")
    with pytest.raises(SystemExit) as stop:
        main([str(cohort), "--purpose", "research", "--out", str(tmp_path / "o.csv"), "--client-id", "x",
              "--client-secret", "y", "--private", "--public-key", key])
    assert stop.value.code == 2
    assert "public key is the base64 of 32 bytes" in capsys.readouterr().err

