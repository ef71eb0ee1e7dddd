"""A job upload saved by a spreadsheet or a Windows editor starts with a UTF-8 byte-order mark:
it is dropped as the upload arrives, so that the header line is seen as a header and the first
number of a file without one is checked as a number."""

import codecs

import pytest
from tests.portal.api.conftest import live_server_behind
from tests.portal.api.test_jobs import COHORT, get, upload


def results(live, auth, created) -> list[str]:
    assert created.status_code == 202, created.text
    assert live.drain_jobs() == 1
    job = get(live, auth, f"/api/v1/jobs/{created.json()['id']}").json()
    assert job["status"] == "done"
    return get(live, auth, f"/api/v1/jobs/{job['id']}/result").text.splitlines()


def not_opposed(lines) -> list[str]:
    return ["line,status,reason", *(f"{line},not_opposed," for line in lines)]


@pytest.mark.parametrize("header", ["nir\r\n", "\"NIR\"\r\n", ""], ids=["header", "quoted header", "no header"])
def test_a_byte_order_mark_before_the_first_line_is_dropped(live, auth, header):
    body = codecs.BOM_UTF8 + (header + "\r\n".join(COHORT[:3]) + "\r\n").encode()
    first = 2 if header else 1
    assert results(live, auth, upload(live, auth, body)) == not_opposed(range(first, first + 3))


class ShortReads:
    """WSGI middleware whose request bodies come in the pieces given (``piece_sizes``, then whole):
    a slow network, or a client that sends the byte-order mark in a packet of its own."""

    def __init__(self, app) -> None:
        self.app, self.piece_sizes = app, []

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/api/v1/jobs" and environ["REQUEST_METHOD"] == "POST":
            environ["wsgi.input"] = _Pieces(environ["wsgi.input"], list(self.piece_sizes))
        return self.app(environ, start_response)


class _Pieces:
    def __init__(self, stream, sizes) -> None:
        self.stream, self.sizes = stream, sizes

    def read(self, size=-1):
        if self.sizes:
            size = self.sizes.pop(0) if size is None or size < 0 else min(size, self.sizes.pop(0))
        return self.stream.read(size)

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


@pytest.mark.parametrize("piece_sizes", [[1, 1, 1], [1, 2], [3]], ids=["a byte at a time", "1 then 2", "alone"])
def test_a_byte_order_mark_split_across_the_first_reads_is_dropped(database_url, tmp_path, piece_sizes):
    with live_server_behind(ShortReads, database_url, tmp_path) as (live, short_reads):
        short_reads.piece_sizes = piece_sizes
        auth = {"Authorization": "Bearer " + live.token(live.create_warehouse("CHU de Test"))}
        body = codecs.BOM_UTF8 + ("\n".join(COHORT[:3]) + "\n").encode()
        assert results(live, auth, upload(live, auth, body)) == not_opposed(range(1, 4))


def test_a_file_holding_only_a_byte_order_mark_is_empty(live, auth):
    response = upload(live, auth, codecs.BOM_UTF8)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_request")
