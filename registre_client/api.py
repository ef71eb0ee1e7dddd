"""A small client of the lookup API: tokens renewed before they expire, retries with backoff on
network errors and on 429/502/503/504 (honouring ``Retry-After``)."""

from __future__ import annotations

import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRYABLE = (429, 502, 503, 504)


class ApiError(RuntimeError):
    """The API refused a request; ``code`` is the problem's stable code."""

    def __init__(self, status: int, code: str, detail: str = "") -> None:
        super().__init__(f"{status} {code}: {detail}".rstrip(": "))
        self.status, self.code = status, code


class RegistryClient:
    def __init__(self, base_url: str, client_id: str, client_secret: str, *, retries: int = 8,
                 backoff: float = 0.5, timeout: float = 120) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = (client_id, client_secret)
        self._token: str | None = None
        self._token_expires = 0.0
        self.timeout = timeout
        retry = Retry(total=retries, connect=retries, read=retries, status=retries, backoff_factor=backoff,
                      status_forcelist=RETRYABLE, allowed_methods=None, respect_retry_after_header=True,
                      raise_on_status=False)
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    def token(self) -> str:
        if self._token is None or time.monotonic() > self._token_expires - 60:
            response = self.session.post(self.base_url + "/api/v1/token", data={"grant_type": "client_credentials"},
                                         auth=self._credentials, timeout=self.timeout)
            body = self._checked(response)
            self._token = body["access_token"]
            self._token_expires = time.monotonic() + int(body["expires_in"])
        return self._token

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """Send with a valid token; on 401 get a new token once and send again."""
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

    def lookup(self, purpose: str, identifiers: list[str]) -> list[dict]:
        response = self.request("POST", "/api/v1/lookup", json={"purpose": purpose, "identifiers": identifiers})
        return self._checked(response)["results"]

    def create_job(self, purpose: str, body) -> dict:
        response = self.request("POST", "/api/v1/jobs", params={"purpose": purpose}, data=body,
                                headers={"Content-Type": "text/csv"})
        return self._checked(response)

    def job(self, job_id: str) -> dict:
        return self._checked(self.request("GET", f"/api/v1/jobs/{job_id}"))

    def job_result(self, job_id: str, part: str = "cleaned") -> requests.Response:
        response = self.request("GET", f"/api/v1/jobs/{job_id}/result", params={"part": part}, stream=True)
        if response.status_code >= 400:
            self._checked(response)
        return response
