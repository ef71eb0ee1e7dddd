"""The identifier keyring, loaded from configuration once per app."""

from pathlib import Path

from flask import Flask, current_app

from registry.keyring import Keyring, load_keyring
from registry.keys import KeyConfigurationError

from portal.config import ConfigurationError


def init_app(app: Flask) -> None:
    config = app.config
    try:
        app.extensions["keyring"] = load_keyring(
            identifier_key=config["IDENTIFIER_KEY"],
            identifier_key_file=config["IDENTIFIER_KEY_FILE"],
            oprf_key=config["OPRF_KEY"],
            oprf_key_file=config["OPRF_KEY_FILE"],
            production=config["PRODUCTION"],
            development_folder=Path(app.instance_path) / "keys",
        )
    except KeyConfigurationError as exc:
        raise ConfigurationError(str(exc)) from None


def keyring() -> Keyring:
    return current_app.extensions["keyring"]
