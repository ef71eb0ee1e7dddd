"""The development identity provider: the PyPI package ``oidc-provider-mock`` with the demo citizens.

``./run`` starts it on 127.0.0.1:9400 (``python -m portal.dev_provider``); the browser tests
start the same command on a free port. It stands in for FranceConnect: same authorization code
flow, signed ID tokens (RS256), and the demo citizens' claims, including ``acr`` eidas1.
Never used in production.

The package logs every request with the client's address and query string (uvicorn's access
log) and every authorization with the whole user, claims included (names, birth date and
place). Here it runs in this process, quietly: no access log, and the package's own records keep
their message and lose their data (``QuietRecords``). The claims travel inside the process, not
on its command line, where anyone listing processes would read them.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from portal.demo import DEMO_CITIZENS

DEFAULT_PORT = 9400
# The package's own records (``logging.getLogger(__package__)``) and uvicorn's, which serves it.
PROVIDER_LOGGERS = ("oidc_provider_mock", "uvicorn.error")
# Attributes every LogRecord has; anything else came from ``extra=`` (the user, the client...).
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def provider_command(port: int = DEFAULT_PORT, extra_users: tuple[dict, ...] = ()) -> list[str]:
    """The command line that starts the provider with the demo citizens, the demo professional
    and ``extra_users`` (claims as dicts, for tests), as ``./run`` starts it."""
    command = [sys.executable, "-m", "portal.dev_provider", "--port", str(port)]
    if extra_users:
        command += ["--extra-users", json.dumps(list(extra_users), ensure_ascii=False)]
    return command


class QuietRecords(logging.Filter):
    """Keep a record's message and drop what was attached to it: the package attaches the user
    (with every claim) and the client to its records, and its formatter prints all of them.
    Where the package gives a short message (``_msg``) beside a long one that quotes the
    request, the short one stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        short = vars(record).get("_msg")
        for name in [name for name in vars(record) if name not in _RECORD_ATTRIBUTES]:
            delattr(record, name)
        if isinstance(short, str):
            record.msg, record.args = short, None
        return True


def quiet_logs() -> None:
    """No access log (client addresses, query strings), and nothing attached to the provider's
    records. Call before the server starts."""
    logging.getLogger("uvicorn.access").disabled = True
    for name in PROVIDER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietRecords) for f in logger.filters):
            logger.addFilter(QuietRecords())


def users(extra_users: list[dict] = ()) -> list[dict]:
    """Every user the provider offers: the demo citizens, the demo professional, then the extras."""
    from portal.learning.demo import DEMO_PROFESSIONAL

    return [citizen.claims() for citizen in DEMO_CITIZENS] + [DEMO_PROFESSIONAL] + list(extra_users)


def serve(port: int, claims: list[dict]) -> None:
    """Run ``oidc-provider-mock`` (its own command, in this process) with ``claims``, quietly."""
    quiet_logs()
    from oidc_provider_mock.__main__ import run

    args = ["--host", "127.0.0.1", "--port", str(port), "--require-nonce"]
    for user in claims:
        args += ["--user-claims", json.dumps(user, ensure_ascii=False)]
    run.main(args=args, prog_name="oidc-provider-mock")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--extra-users", default="[]", help="more users' claims, as a JSON list (tests)")
    parser.add_argument("--extra-users-file", help="a JSON file of more users' claims (deploy/cluster's citizens)")
    args = parser.parse_args()
    extra = json.loads(args.extra_users)
    if args.extra_users_file:
        with open(args.extra_users_file, encoding="utf-8") as source:
            extra += json.load(source)
    serve(args.port, users(extra))


if __name__ == "__main__":
    main()
