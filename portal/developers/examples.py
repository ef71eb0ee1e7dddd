"""The runnable examples of the developer pages: curl, Python and ``registre-check``.

Each is plain text shown as is on the page, the same in both languages, and run as shown by the
test suite against a live server (``tests/portal/developers/test_examples.py`` reads them from the
rendered page). They read the API's address and the credentials from the environment
(``REGISTRE_API_URL``, ``REGISTRE_CLIENT_ID``, ``REGISTRE_CLIENT_SECRET``), the same variables
``registre-check`` reads, and use synthetic numbers only (``portal.demo``: birthplaces that never
existed), which the sandbox accepts and production refuses.
"""

from __future__ import annotations

from registry.identifiers import normalise

from portal.demo import DEMO_PEOPLE

# Opposed to every purpose in a seeded sandbox, and not opposed at all.
OPPOSED = normalise(DEMO_PEOPLE[3].nir)
NOT_OPPOSED = normalise(DEMO_PEOPLE[0].nir)

_TOKEN = ('TOKEN=$(curl -sS --fail-with-body -u "$REGISTRE_CLIENT_ID:$REGISTRE_CLIENT_SECRET" \\\n'
          '  -d grant_type=client_credentials -d scope={scope} "$REGISTRE_API_URL/api/v1/token" \\\n'
          "  | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"access_token\"])')\n")


def environment(api_url: str) -> str:
    return (f"export REGISTRE_API_URL={api_url}\n"
            "export REGISTRE_CLIENT_ID=rno_...      # given by the one-time link\n"
            "read -rs REGISTRE_CLIENT_SECRET && export REGISTRE_CLIENT_SECRET   # typed, kept out of the history\n")


CURL_LOOKUP = _TOKEN.format(scope="lookup") + (
    'curl -sS --fail-with-body "$REGISTRE_API_URL/api/v1/lookup" \\\n'
    '  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\\n'
    f'  -d \'{{"purpose": "research", "identifiers": ["{OPPOSED}", "{NOT_OPPOSED}", "123"]}}\'\n'
)

CURL_JOB = _TOKEN.format(scope="jobs") + (
    f"printf 'nir\\n{OPPOSED}\\n{NOT_OPPOSED}\\n' > cohort.csv\n"
    'JOB=$(curl -sS --fail-with-body "$REGISTRE_API_URL/api/v1/jobs?purpose=research" \\\n'
    '  -H "Authorization: Bearer $TOKEN" -H "Content-Type: text/csv" --data-binary @cohort.csv \\\n'
    "  | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"id\"])')\n"
    'until curl -sS "$REGISTRE_API_URL/api/v1/jobs/$JOB" -H "Authorization: Bearer $TOKEN" \\\n'
    '  | grep -q \'"status": *"done"\'; do sleep 2; done\n'
    'curl -sS --fail-with-body "$REGISTRE_API_URL/api/v1/jobs/$JOB/result" -H "Authorization: Bearer $TOKEN"\n'
)

PYTHON_LOOKUP = f'''import os

import requests

api = os.environ["REGISTRE_API_URL"]
token = requests.post(f"{{api}}/api/v1/token", timeout=30,
                      data={{"grant_type": "client_credentials", "scope": "lookup"}},
                      auth=(os.environ["REGISTRE_CLIENT_ID"], os.environ["REGISTRE_CLIENT_SECRET"]))
token.raise_for_status()
answer = requests.post(f"{{api}}/api/v1/lookup", timeout=60,
                       headers={{"Authorization": "Bearer " + token.json()["access_token"]}},
                       json={{"purpose": "research", "identifiers": ["{OPPOSED}", "{NOT_OPPOSED}"]}})
if answer.status_code != 200:  # a problem (RFC 9457): its code says what to change
    raise SystemExit(f"{{answer.status_code}} {{answer.json()['code']}}: {{answer.json().get('detail', '')}}")
body = answer.json()
print("checked at", body["checked_at"], "- valid until", body["valid_until"])
for result in body["results"]:
    print(result["identifier"], "opposed" if result.get("opposed") else result.get("error", "not opposed"))
'''

COHORT_CSV = f"nir;age;site\n{OPPOSED};8;Lyon\n{NOT_OPPOSED};41;Lyon\n123;50;Bron\n"

CHECK_CSV = "registre-check cohort.csv --column nir --purpose research --out cleaned.csv\n"

CHECK_PRIVATE = ("registre-check cohort.csv --column nir --purpose research --out cleaned.csv --private \\\n"
                 '  --public-key "$(curl -sS "$REGISTRE_API_URL/api/v1/private/key" \\\n'
                 "  | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"public_key\"])')\"\n")


def examples(api_url: str) -> dict[str, str]:
    return {"environment": environment(api_url), "curl_lookup": CURL_LOOKUP, "curl_job": CURL_JOB,
            "python_lookup": PYTHON_LOOKUP, "cohort_csv": COHORT_CSV, "check_csv": CHECK_CSV,
            "check_private": CHECK_PRIVATE}
