"""What citizens, warehouses and operators do to a ``deploy/cluster``, over real HTTPS through its
proxy: sign in through the identity provider and file, take a token and look up, send a cohort
job. Used by the cluster's tests and by ``bench/cluster_faults.py``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urljoin

import requests

from deploy.cluster import Cluster

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@dataclass(frozen=True)
class Citizen:
    sub: str
    nir: str
    gender: str
    birthdate: str


class ClusterClient:
    def __init__(self, cluster: Cluster, timeout: float = 30.0) -> None:
        self.cluster = cluster
        ports = cluster.state["ports"]
        self.public = f"https://127.0.0.1:{ports['public']}"
        self.internal = f"https://127.0.0.1:{ports['internal']}"
        self.verify = str(cluster.path("tls", "certificate.pem"))
        self.timeout = timeout

    def node_url(self, node: str) -> str:
        """An app node itself, past the proxy (plain http on loopback: the API and the probes)."""
        return f"http://127.0.0.1:{self.cluster.state['ports'][node]}"

    def session(self) -> requests.Session:
        http = requests.Session()
        http.trust_env = False  # else REQUESTS_CA_BUNDLE would override the cluster's certificate
        http.verify = self.verify
        return http

    def citizens(self) -> list[Citizen]:
        people = json.loads(self.cluster.path("keys", "citizens.json").read_text())
        return [Citizen(person["sub"], person["nir"], person["gender"], person["birthdate"]) for person in people]

    # -- citizens --------------------------------------------------------------------------
    def sign_in(self, http: requests.Session, sub: str) -> requests.Response:
        """The real authorization code flow: the portal, the provider's consent, the callback."""
        start = http.get(self.public + "/connexion", params={"next": "/mon-espace"}, allow_redirects=False,
                         timeout=self.timeout)
        if start.status_code != 302:
            return start
        consent = requests.post(start.headers["Location"], data={"sub": sub}, allow_redirects=False,
                                timeout=self.timeout)
        if consent.status_code != 302:
            return consent
        return http.get(urljoin(self.public, consent.headers["Location"]), allow_redirects=False, timeout=self.timeout)

    def file_self(self, http: requests.Session, nir: str) -> requests.Response:
        """File an opposition to every purpose; 303 to the receipt once it is acknowledged."""
        form = http.get(self.public + "/mon-espace/opposition", timeout=self.timeout)
        token = CSRF.search(form.text)
        if form.status_code != 200 or token is None:
            return form
        return http.post(self.public + "/mon-espace/opposition", allow_redirects=False, timeout=self.timeout,
                         headers={"Referer": form.url},  # over https, the CSRF check wants the page it came from
                         data={"nir": nir, "scope": "all", "confirm": "y", "csrf_token": token.group(1)})

    # -- agents (through the internal listener) ---------------------------------------------
    def create_agent(self, email: str, password: str) -> None:
        self.cluster.flask("staff", "create", email, "--role", "agent", input=f"{password}\n{password}\n")

    def agent_sign_in(self, http: requests.Session, email: str, password: str) -> requests.Response:
        """Password, then the TOTP code from the secret the first sign-in shows for enrolment."""
        import pyotp

        page = http.get(self.internal + "/staff/connexion", timeout=self.timeout)
        first = http.post(self.internal + "/staff/connexion", allow_redirects=False, timeout=self.timeout,
                          headers={"Referer": page.url},
                          data={"email": email, "password": password, "csrf_token": CSRF.search(page.text).group(1)})
        if first.status_code != 302:
            return first
        page = http.get(self.internal + "/staff/connexion/code", timeout=self.timeout)
        secret = re.search(r"data-totp-secret>([A-Z2-7 ]+)<", page.text)
        if secret is None:
            return page
        code = pyotp.TOTP(secret.group(1).replace(" ", "")).now()
        return http.post(self.internal + "/staff/connexion/code", allow_redirects=False, timeout=self.timeout,
                         headers={"Referer": page.url}, data={"code": code, "csrf_token": CSRF.search(page.text).group(1)})

    def agent_files(self, http: requests.Session, person: Citizen) -> requests.Response:
        """An agent files at the counter for ``person`` (every purpose); 302 to the receipt."""
        form = http.get(self.internal + "/staff/depot", timeout=self.timeout)
        token = CSRF.search(form.text)
        if form.status_code != 200 or token is None:
            return form
        return http.post(self.internal + "/staff/depot", allow_redirects=False, timeout=self.timeout,
                         headers={"Referer": form.url},
                         data={"identifier": person.nir, "sex": person.gender, "birthdate": person.birthdate,
                               "channel": "counter", "request": "all", "csrf_token": token.group(1)})

    # -- warehouses ------------------------------------------------------------------------
    def create_warehouse(self, name: str) -> dict:
        return json.loads(self.cluster.flask("registry", "create-warehouse", name, "--json"))

    def token(self, credentials: dict, base: str | None = None) -> str:
        answer = requests.post((base or self.public) + "/api/v1/token", data={"grant_type": "client_credentials"},
                               auth=(credentials["client_id"], credentials["client_secret"]),
                               verify=self.verify, timeout=self.timeout)
        answer.raise_for_status()
        return answer.json()["access_token"]

    def lookup(self, token: str, identifiers: list[str], base: str | None = None,
               http: requests.Session | None = None) -> requests.Response:
        return (http or requests).post((base or self.public) + "/api/v1/lookup", verify=self.verify,
                                       timeout=self.timeout, headers={"Authorization": "Bearer " + token},
                                       json={"purpose": "research", "identifiers": identifiers})

    def send_job(self, token: str, lines: bytes) -> requests.Response:
        return requests.post(self.public + "/api/v1/jobs", params={"purpose": "research"}, data=lines,
                             headers={"Authorization": "Bearer " + token, "Content-Type": "text/plain"},
                             verify=self.verify, timeout=120)

    def job(self, token: str, job_id: str) -> dict:
        answer = requests.get(self.public + f"/api/v1/jobs/{job_id}", verify=self.verify, timeout=self.timeout,
                              headers={"Authorization": "Bearer " + token})
        answer.raise_for_status()
        return answer.json()
