"""The private lookup over real HTTP: same answers as the ordinary lookup, and the server never
receives an identifier or an unblinded output."""

import base64

import pytest
import requests

from registry.identifiers import normalise
from registry.private_client import ProofRejected, blind_batch, unblind_batch
from tests.registry.nir_factory import make_nir, spaced

from tests.portal.api.conftest import live_server_behind

COHORT = [make_nir(1 + i % 2, 50 + i, 1 + i % 12, "33", "063", 200 + i) for i in range(8)]
OPPOSED = COHORT[:3]


class RecordingMiddleware:
    """Keeps every request line and body the server receives, as a capture would."""

    def __init__(self, app):
        self.app, self.seen = app, []

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        import io

        environ["wsgi.input"] = io.BytesIO(body)
        self.seen.append(environ.get("PATH_INFO", "").encode() + b"?" + environ.get("QUERY_STRING", "").encode() + b"\n" + body)
        return self.app(environ, start_response)


@pytest.fixture
def recorded(database_url, tmp_path):
    with live_server_behind(RecordingMiddleware, database_url, tmp_path) as (server, recorder):
        server.recorder = recorder
        yield server


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def private_run(server, headers, cohort, purpose="research"):
    """The client's private run: blind, evaluate, verify, unblind, fetch the filter, test."""
    key = requests.get(server.url + "/api/v1/private/key", timeout=30).json()
    batch = blind_batch([normalise(v) for v in cohort])
    answer = requests.post(server.url + "/api/v1/private/evaluate", headers=headers, timeout=60,
                           json={"purpose": purpose, "blinded_elements": [b64(e) for e in batch.elements]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    outputs = unblind_batch(batch, [base64.b64decode(e) for e in body["evaluated_elements"]],
                            base64.b64decode(body["proof"]), base64.b64decode(key["public_key"]))
    published = requests.get(server.url + "/api/v1/private/filter", params={"purpose": purpose},
                             headers=headers, timeout=30).json()
    prefixes = base64.b64decode(published["prefixes"])
    size = published["prefix_size"]
    members = {prefixes[i:i + size] for i in range(0, len(prefixes), size)}
    return [o[:size] in members for o in outputs], outputs, published


def file_oppositions(server, numbers):
    from portal.database import db
    from portal.keys import keyring
    from registry.identifiers import parse_identifier
    from registry.oppositions import file_opposition

    with server.app.app_context():
        for number in numbers:
            file_opposition(db.session(), keyring(), parse_identifier(number))
        db.session().commit()


@pytest.fixture
def private_headers(recorded):
    credentials = recorded.create_warehouse("EDS privé", "--scope", "lookup private-lookup")
    result = recorded.app.test_cli_runner().invoke(
        args=["registry", "declare-cohort", credentials["client_id"], "20"])
    assert result.exit_code == 0, result.output
    return {"Authorization": "Bearer " + recorded.token(credentials)}


def test_private_mode_matches_the_ordinary_lookup_and_the_server_sees_no_identifier(recorded, private_headers):
    file_oppositions(recorded, OPPOSED)
    private, outputs, _ = private_run(recorded, private_headers, COHORT)

    captured_before_ordinary = b"".join(recorded.recorder.seen)
    ordinary = requests.post(recorded.url + "/api/v1/lookup", headers=private_headers, timeout=30,
                             json={"purpose": "research", "identifiers": COHORT}).json()["results"]
    assert private == [r["opposed"] for r in ordinary]
    assert private.count(True) == len(OPPOSED)

    forms = {f for v in COHORT for f in (v, spaced(v), v[:13])}
    unblinded = {f for o in outputs for f in (o, o.hex().encode(), b64(o).encode(), o[:8], b64(o[:8]).encode())}
    assert not any(f.encode() in captured_before_ordinary for f in forms)
    assert not any(f in captured_before_ordinary for f in unblinded)
    assert any(f.encode() in b"".join(recorded.recorder.seen) for f in forms), "the capture does see raw bodies"


def test_a_tampered_proof_from_the_server_stops_the_client(recorded, private_headers):
    batch = blind_batch(COHORT[:2])
    key = requests.get(recorded.url + "/api/v1/private/key", timeout=30).json()
    body = requests.post(recorded.url + "/api/v1/private/evaluate", headers=private_headers, timeout=30,
                         json={"purpose": "ai", "blinded_elements": [b64(e) for e in batch.elements]}).json()
    proof = bytearray(base64.b64decode(body["proof"]))
    proof[5] ^= 0x40
    with pytest.raises(ProofRejected):
        unblind_batch(batch, [base64.b64decode(e) for e in body["evaluated_elements"]], bytes(proof),
                      base64.b64decode(key["public_key"]))


def test_the_allowance_caps_evaluations_with_429_and_retry_after(recorded, private_headers):
    def evaluate(count):
        batch = blind_batch(COHORT[:1] * count)
        return requests.post(recorded.url + "/api/v1/private/evaluate", headers=private_headers, timeout=30,
                             json={"purpose": "ai", "blinded_elements": [b64(e) for e in batch.elements]})

    assert evaluate(30).status_code == 200  # declared 20, so 40 a day
    refused = evaluate(11)
    assert refused.status_code == 429
    assert refused.json()["code"] == "private_quota_exceeded"
    assert 0 < int(refused.headers["Retry-After"]) <= 86400
    assert evaluate(10).status_code == 200


def test_without_a_declared_cohort_or_the_scope_evaluation_is_refused(recorded):
    plain = recorded.create_warehouse("EDS sans quota", "--scope", "lookup private-lookup")
    headers = {"Authorization": "Bearer " + recorded.token(plain)}
    body = {"purpose": "ai", "blinded_elements": [b64(blind_batch(COHORT[:1]).elements[0])]}
    no_allowance = requests.post(recorded.url + "/api/v1/private/evaluate", headers=headers, json=body, timeout=30)
    assert (no_allowance.status_code, no_allowance.json()["code"]) == (403, "no_private_allowance")
    lookup_only = recorded.create_warehouse("EDS classique", "--scope", "lookup")
    headers = {"Authorization": "Bearer " + recorded.token(lookup_only)}
    no_scope = requests.post(recorded.url + "/api/v1/private/evaluate", headers=headers, json=body, timeout=30)
    assert (no_scope.status_code, no_scope.json()["code"]) == (403, "insufficient_scope")


@pytest.mark.parametrize(("body", "status", "pointer"), [
    ({"purpose": "ai", "blinded_elements": ["not base64!"]}, 422, "/blinded_elements/0"),
    ({"purpose": "ai", "blinded_elements": [b64(b"\xff" * 32)]}, 422, "/blinded_elements/0"),
    ({"purpose": "nope", "blinded_elements": [b64(b"\x00" * 32)]}, 422, "/purpose"),
    ({"purpose": "ai", "blinded_elements": []}, 422, "/blinded_elements"),
    ({"purpose": "ai", "blinded_elements": ["AAAA"] * 10_001}, 413, None),
], ids=["not base64", "not a point", "unknown purpose", "empty", "too many"])
def test_bad_evaluation_requests_get_problems(recorded, private_headers, body, status, pointer):
    response = requests.post(recorded.url + "/api/v1/private/evaluate", headers=private_headers, json=body, timeout=30)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json().get("pointer") == pointer


def test_the_filter_revalidates_with_its_etag_and_serves_deltas(recorded, private_headers):
    file_oppositions(recorded, OPPOSED[:1])
    url = recorded.url + "/api/v1/private/filter"
    first = requests.get(url, params={"purpose": "research"}, headers=private_headers, timeout=30)
    assert first.json()["count"] == 1
    again = requests.get(url, params={"purpose": "research"}, timeout=30,
                         headers={**private_headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    file_oppositions(recorded, OPPOSED[1:3])
    delta = requests.get(url, params={"purpose": "research", "since": first.json()["version"]},
                         headers=private_headers, timeout=30).json()
    assert (len(delta["added"]), delta["removed"]) == (2, [])
    assert delta["version"] > first.json()["version"]


def test_an_acknowledgement_keeps_counts_only(recorded, private_headers):
    response = requests.post(recorded.url + "/api/v1/private/acknowledgements", headers=private_headers, timeout=30,
                             json={"purpose": "research", "cohort_size": 8, "opposed_count": 3, "filter_version": 4})
    assert response.status_code == 201
    wrong = requests.post(recorded.url + "/api/v1/private/acknowledgements", headers=private_headers, timeout=30,
                          json={"purpose": "research", "cohort_size": 2, "opposed_count": 3, "filter_version": 4})
    assert wrong.status_code == 422
    from portal.database import db
    from registry.private_quota import latest_acknowledgements

    with recorded.app.app_context():
        (ack,) = latest_acknowledgements(db.session(), 1)
        assert (ack.cohort_size, ack.opposed_count, ack.filter_version) == (8, 3, 4)
