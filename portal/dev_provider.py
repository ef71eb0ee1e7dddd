"""The development identity provider: the PyPI package ``oidc-provider-mock`` with the demo citizens.

``./run`` starts it on 127.0.0.1:9400 (``python -m portal.dev_provider``); the browser tests
start the same command on a free port. It stands in for FranceConnect: same authorization code
flow, signed ID tokens (RS256), and the demo citizens' claims, including ``acr`` eidas1.
Never used in production.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from portal.demo import DEMO_CITIZENS

DEFAULT_PORT = 9400


def provider_command(port: int = DEFAULT_PORT, extra_users: tuple[dict, ...] = ()) -> list[str]:
    """The command line that starts the provider with the demo citizens (and ``extra_users``)."""
    command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port), "--require-nonce"]
    for claims in [citizen.claims() for citizen in DEMO_CITIZENS] + list(extra_users):
        command += ["--user-claims", json.dumps(claims, ensure_ascii=False)]
    return command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args()
    from portal.learning.demo import DEMO_PROFESSIONAL

    command = provider_command(args.port, extra_users=(DEMO_PROFESSIONAL,))
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
