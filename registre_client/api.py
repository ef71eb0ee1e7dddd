"""A small client of the lookup API: tokens renewed before they expire, retries with backoff on
network errors and on 502/503/504, and on 429 when its ``Retry-After`` is short (a longer one,
such as the private lookup's daily allowance, is reported rather than waited for)."""

from __future__ import annotations

import base64
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRYABLE = (502, 503, 504)
MAX_RETRY_AFTER = 120  # seconds: a 429 asking to wait longer is reported, not waited for


class ApiError(RuntimeError):
    """The API refused a request; ``code`` is the problem's stable code."""

    def __init__(self, status: int, code: str, detail: str = "") -> None:
        super().__init__(f"{status} {code}: {detail}".rstrip(": "))
        self.status, self.code, self.detail = status, code, detail

    def __reduce__(self):  # raised in a worker process, it travels back to the parent
        return ApiError, (self.status, self.code, self.detail)


class RegistryClient:
    def __init__(self, base_url: str, client_id: str, client_secret: str, *, retries: int = 8,
                 backoff: float = 0.5, timeout: float = 120, permit: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.permit = permit  # the data permit every lookup, job and private evaluation names
        self._credentials = (client_id, client_secret)
        self._token: str | None = None
        self._token_expires = 0.0
        self.timeout = timeout
        self.retries, self.backoff = retries, backoff
        retry = Retry(total=retries, connect=retries, read=retries, status=retries, backoff_factor=backoff,
                      status_forcelist=RETRYABLE, allowed_methods=None, respect_retry_after_header=False,
                      raise_on_status=False)
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    @property
    def credentials(self) -> tuple[str, str]:
        return self._credentials

    def token(self) -> str:
        if self._token is None or time.monotonic() > self._token_expires - 60:
            response = self.session.post(self.base_url + "/api/v1/token", data={"grant_type": "client_credentials"},
                                         auth=self._credentials, timeout=self.timeout)
            body = self._checked(response)
            self._token = body["access_token"]
            self._token_expires = time.monotonic() + int(body["expires_in"])
        return self._token

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """Send with a valid token; on 401 get a new token once and send again; on 429 wait as
        told (when that is short) and send again, up to ``retries`` times."""
        for attempt in range(self.retries + 1):
            response = self._send_authorised(method, path, dict(kwargs))
            wait = _retry_after(response)
            if response.status_code != 429 or (wait or 0) > MAX_RETRY_AFTER or attempt == self.retries:
                return response
            time.sleep(wait or self.backoff * 2**attempt)
            if hasattr(kwargs.get("data"), "seek"):
                kwargs["data"].seek(0)
        return response

    def _send_authorised(self, method: str, path: str, kwargs: dict) -> requests.Response:
        for attempt in (1, 2):
            headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self.token()}"}
            response = self.session.request(method, self.base_url + path, headers=headers, timeout=self.timeout,
                                            **kwargs)
            if response.status_code == 401 and attempt == 1:
                self._token = None
                if hasattr(kwargs.get("data"), "seek"):
                    kwargs["data"].seek(0)
                kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                continue
            return response
        return response

    @staticmethod
    def _checked(response: requests.Response) -> dict:
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            raise ApiError(response.status_code, problem.get("code", "http_error"), problem.get("detail", ""))
        return response.json()

    def lookup(self, purpose: str, identifiers: list[str]) -> dict:
        """The answer: ``results`` in input order, ``checked_at`` and ``valid_until``."""
        body = {"purpose": purpose, "identifiers": identifiers}
        if self.permit is not None:
            body["permit"] = self.permit
        response = self.request("POST", "/api/v1/lookup", json=body)
        return self._checked(response)

    def create_job(self, purpose: str, body) -> dict:
        params = {"purpose": purpose} if self.permit is None else {"purpose": purpose, "permit": self.permit}
        response = self.request("POST", "/api/v1/jobs", params=params, data=body,
                                headers={"Content-Type": "text/csv"})
        return self._checked(response)

    def job(self, job_id: str) -> dict:
        return self._checked(self.request("GET", f"/api/v1/jobs/{job_id}"))

    def private_key(self) -> tuple[str, bytes]:
        """The registry's OPRF key id and public key, as it serves them."""
        body = self._checked(self.session.get(self.base_url + "/api/v1/private/key", timeout=self.timeout))
        return body["key_id"], base64.b64decode(body["public_key"])

    def private_evaluate(self, purpose: str, elements: list[bytes]) -> tuple[str, list[bytes], bytes]:
        """Send blinded elements; returns the key id, the evaluated elements and the batch proof."""
        body = {"purpose": purpose, "blinded_elements": [base64.b64encode(e).decode("ascii") for e in elements]}
        if self.permit is not None:
            body["permit"] = self.permit
        response = self.request("POST", "/api/v1/private/evaluate", json=body)
        body = self._checked(response)
        try:
            evaluated = [base64.b64decode(e, validate=True) for e in body["evaluated_elements"]]
            return body["key_id"], evaluated, base64.b64decode(body["proof"], validate=True)
        except (KeyError, TypeError, ValueError):
            raise ApiError(response.status_code, "malformed_answer", "the evaluation answer is not readable") from None

    def private_filter(self, purpose: str, *, since: int | None = None,
                       etag: str | None = None) -> tuple[dict | None, str | None, dict]:
        """The filter (full or a delta since a version), or None when unchanged; its ETag; and its
        freshness (``checked_at``, ``valid_until``), which "unchanged" renews too."""
        params = {"purpose": purpose} if since is None else {"purpose": purpose, "since": since}
        headers = {"If-None-Match": etag} if etag else {}
        response = self.request("GET", "/api/v1/private/filter", params=params, headers=headers)
        freshness = {"checked_at": response.headers.get("Registre-Checked-At"),
                     "valid_until": response.headers.get("Registre-Valid-Until")}
        if response.status_code == 304:
            return None, etag, freshness
        return self._checked(response), response.headers.get("ETag"), freshness

    def acknowledge(self, purpose: str, cohort_size: int, opposed_count: int, filter_version: int) -> None:
        self._checked(self.request("POST", "/api/v1/private/acknowledgements", json={
            "purpose": purpose, "cohort_size": cohort_size, "opposed_count": opposed_count,
            "filter_version": filter_version}))

    def job_result(self, job_id: str) -> requests.Response:
        """The job's line results (``line,status,reason``), streamed."""
        response = self.request("GET", f"/api/v1/jobs/{job_id}/result", stream=True)
        if response.status_code >= 400:
            self._checked(response)
        return response


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
