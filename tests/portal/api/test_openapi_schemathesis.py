"""schemathesis against the live server's own ``/api/v1/openapi.json``: generated requests
(valid and invalid) for every operation, with every default check: no 500, and every response
matches the document (status, content type, headers, body schema)."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from registry.purposes import Purpose

# A text/csv body is any text: schemathesis' "negative" text bodies (a string turned into an
# array, then sent as text) are valid cohort files, which the API rightly accepts.
TEXT_BODY_OPERATIONS = {"POST /api/v1/jobs"}

# What JSON Schema cannot say, so that a schema-valid request is rightly refused with 422: the
# counts of an acknowledgement must agree (opposed <= cohort), and a blinded element must be the
# encoding of a ristretto255 group element, not just any 32 bytes.
# The same for the log's proofs: an index below the size, sizes in order, none beyond the log.
# A FHIR Parameters resource holds exactly one purpose and at least one identifier, in any order.
CROSS_FIELD_OPERATIONS = {"POST /api/v1/private/acknowledgements", "POST /api/v1/private/evaluate",
                          "POST /fhir/r4/$opposition-check",
                          "GET /api/v1/transparency/proof/inclusion", "GET /api/v1/transparency/proof/consistency"}

EXAMPLES = 40
# A permit must be in the register, which JSON Schema cannot say: the document the tests read
# names this one only (held by the test warehouse, in force, every purpose), so that a schema-valid
# request names a permit the registry knows.
PERMIT = "P-SCHEMATHESIS"


def only_the_test_permit(node) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "permit" and isinstance(value, dict) and "pattern" in value:
                node[key] = {"type": "string", "enum": [PERMIT]}
            elif key == "schema" and node.get("name") == "permit":
                node[key] = {"type": "string", "enum": [PERMIT]}
            else:
                only_the_test_permit(value)
    elif isinstance(node, list):
        for value in node:
            only_the_test_permit(value)


def operations(live):
    # 413 is how the API refuses a batch over 10,000 identifiers (the issue asks for it): an
    # invalid request, so it belongs with the statuses a rejection may have.
    config = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": [
        "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]}}})
    document = requests.get(live.url + "/api/v1/openapi.json", timeout=30).json()
    only_the_test_permit(document)
    schema = schemathesis.openapi.from_dict(document, config=config)
    found = [result.ok() for result in schema.get_all_operations()]
    found = [operation for operation in found if operation.label != "GET /api/v1/openapi.json"]
    # schemathesis leaves out the document's own address; every other operation is here
    assert len(found) == 17, " ".join(o.label for o in found)
    return found


@pytest.fixture
def auth(live) -> dict:
    """A warehouse allowed every scope, with a declared cohort for the private lookup."""
    credentials = live.create_warehouse("EDS complet", "--scope", "lookup jobs private-lookup")
    result = live.app.test_cli_runner().invoke(args=["registry", "declare-cohort", credentials["client_id"], "100000"])
    assert result.exit_code == 0, result.output
    result = live.app.test_cli_runner().invoke(args=[
        "registry", "permits", "create", PERMIT, "--title", "Projet", "--issuing-body", "Health Data Hub",
        *[f"--purpose={p.code}" for p in Purpose], "--starts", "2000-01-01", "--ends", "2999-12-31",
        "--url", "https://example.org/permit", "--holder", credentials["client_id"]])
    assert result.exit_code == 0, result.output
    return {"Authorization": "Bearer " + live.token(credentials)}


def test_schemathesis_finds_no_server_error_and_no_response_that_breaks_the_spec(live, auth):
    negative_impossible = []
    for operation, mode in [(o, m) for o in operations(live) for m in GenerationMode]:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case):
            excluded = [negative_data_rejection] if operation.label in TEXT_BODY_OPERATIONS else []
            if operation.label in CROSS_FIELD_OPERATIONS:
                excluded.append(positive_data_acceptance)
            case.call_and_validate(base_url=live.url, headers=dict(auth), excluded_checks=excluded)

        try:
            check()
        except Unsatisfiable:
            # an operation without inputs (health, purposes) has no invalid request to generate
            assert mode is GenerationMode.NEGATIVE, operation.label
            negative_impossible.append(operation.label)
    assert sorted(negative_impossible) == ["GET /api/v1/health", "GET /api/v1/private/key", "GET /api/v1/purposes",
                                           "GET /api/v1/transparency/checkpoint", "GET /api/v1/transparency/key",
                                           "GET /fhir/r4/metadata"]
