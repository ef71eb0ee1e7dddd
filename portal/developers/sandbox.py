"""The sandbox: an instance of the same software started with ``REGISTRE_SANDBOX=true``.

Why a separate instance and not a path prefix on production: a separate instance has, by
construction, its own database (so its own warehouse clients, oppositions, audit chain and
transparency log) and its own keys; no routing or configuration mistake can mix a trial with a
real opposition, a sandbox credential with production, or a sandbox event with the public log.
Trial load does not reach production, and the sandbox can be reset at will.

What the setting changes here:
- synthetic numbers only (``registry.identifiers.is_synthetic``: birthplaces that never existed):
  a lookup or a job upload holding a valid number that is not synthetic is refused whole with
  ``sandbox_real_identifier`` (422) before anything is read or kept; production refuses the
  synthetic ones (``ALLOW_TEST_IDENTIFIERS``, off in production, is on in the sandbox);
- the public transparency log is not served (its events are in the sandbox's database only);
- run as production (``REGISTRE_ENV_NAME`` production or staging), a sandbox refuses to start
  unless every key id says ``sandbox`` (its own keys, never production's), and production
  refuses keys whose id says ``sandbox``.
"""

from __future__ import annotations

import io

import click
from flask import Flask, current_app, request
from werkzeug.wsgi import get_input_stream

from registry.identifiers import identifier_error, is_synthetic, normalise_fast

SANDBOX_PROBLEMS = {
    "sandbox_real_identifier": "The sandbox accepts made-up numbers only (birthplaces that never existed); "
                               "this request holds a real one and was refused whole.",
}
KEY_SETTINGS = ("IDENTIFIER_KEY", "OPRF_KEY", "LOG_SIGNING_KEY", "CONTACT_KEY")
SANDBOX_UPLOAD_BYTES = 20 * 1024 * 1024  # a sandbox job file is read whole to be checked first
TRANSPARENCY_PREFIX = "/api/v1/transparency/"


def real_number_at(values) -> int | None:
    """The position of the first value that is a valid number but not a synthetic one."""
    for index, raw in enumerate(values):
        if not isinstance(raw, str):
            continue
        value = normalise_fast(raw.strip().strip('"'))
        if len(value) == 15 and identifier_error(value) is None and not is_synthetic(value):
            return index
    return None


def _refused(detail: str):
    from portal.api.problems import problem_response

    return problem_response(422, "sandbox_real_identifier", detail)


def _replace_body(data: bytes) -> None:
    environ = request.environ
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = False


def _read_body(limit: int) -> bytes | None:
    stream = get_input_stream(request.environ, max_content_length=limit)
    data = stream.read(limit + 1)
    return None if len(data) > limit else data


def check_sandbox_request():
    """Before an API view, in the sandbox: refuse real numbers, hide the public log."""
    path = request.path
    if path.startswith(TRANSPARENCY_PREFIX):
        from portal.api.problems import problem_response

        return problem_response(404, "not_found", "The sandbox publishes no transparency log.")
    if request.method != "POST" or path not in ("/api/v1/lookup", "/api/v1/jobs"):
        return None
    data = _read_body(current_app.config["MAX_CONTENT_LENGTH"] if path.endswith("lookup") else SANDBOX_UPLOAD_BYTES)
    if data is None:
        from portal.api.problems import problem_response

        return problem_response(413, "body_too_large", "The sandbox takes files of 20 MB at most.")
    _replace_body(data)
    if path.endswith("lookup"):
        import orjson

        try:
            body = orjson.loads(data)
        except ValueError:
            return None  # the view answers malformed_json
        values = body.get("identifiers") if isinstance(body, dict) else None
        where = real_number_at(values) if isinstance(values, list) else None
        if where is not None:
            return _refused(f"identifiers/{where} is a real number.")
        return None
    lines = data.decode("utf-8", "replace").splitlines()
    where = real_number_at(line.split(",")[0].split(";")[0] for line in lines)
    if where is not None:
        return _refused(f"Line {where + 1} holds a real number.")
    return None


def _key_ids(config) -> dict[str, str]:
    from registry.keys import KeyConfigurationError, load_key

    ids = {}
    for name in KEY_SETTINGS:
        try:
            key = load_key(name=name, value=config.get(name), path=config.get(name + "_FILE"))
        except (KeyConfigurationError, OSError, ValueError):
            continue
        if key is not None:
            ids[name] = key.key_id
    return ids


def key_problems(config) -> list[str]:
    """In production or staging: a sandbox needs keys of its own (ids saying ``sandbox``), and
    production refuses them."""
    if not config.get("PRODUCTION"):
        return []
    ids = _key_ids(config)
    if config["SANDBOX"]:
        return [f"REGISTRE_{name}'s key id {key_id!r} does not say 'sandbox': the sandbox needs keys of its own"
                for name, key_id in ids.items() if "sandbox" not in key_id]
    return [f"REGISTRE_{name}'s key id {key_id!r} is a sandbox key" for name, key_id in ids.items()
            if "sandbox" in key_id]


def init_app(app: Flask) -> None:
    from portal.config import ConfigurationError

    problems = key_problems(app.config)
    if problems:
        raise ConfigurationError("refusing to start: " + "; ".join(problems))
    if app.config["SANDBOX"]:
        app.config["ALLOW_TEST_IDENTIFIERS"] = True
        app.before_request(check_sandbox_request)
        app.logger.warning("this instance is the sandbox: synthetic numbers only, no public transparency log")

    from portal.cli import registry_cli

    @registry_cli.command("seed-sandbox")
    def seed_sandbox_command() -> None:
        """File the made-up people's oppositions that the developer pages' examples use
        (idempotent); only in the sandbox or in development."""
        from registry.db import unit_of_work

        from portal.database import db
        from portal.demo import seed_demo_content

        if current_app.config["PRODUCTION"] and not current_app.config["SANDBOX"]:
            raise click.ClickException("the sandbox's made-up oppositions are never loaded in production")
        with unit_of_work(db.session()) as session:
            created = seed_demo_content(session)
        click.echo(f"Sandbox ready ({created} new made-up oppositions).")
