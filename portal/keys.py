"""The identifier keyring, loaded from configuration once per app."""

from pathlib import Path

from flask import Flask, current_app

from registry.checkpoints import NoteSigner, load_signer
from registry.keyring import Keyring, load_keyring
from registry.keys import KeyConfigurationError

from portal.config import ConfigurationError

PRODUCTION_ORIGIN = "registre-opposition.sante.gouv.fr/journal"


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
        app.extensions["log_signer"] = load_signer(
            origin=config["LOG_ORIGIN"] or _default_origin(config),
            key=config["LOG_SIGNING_KEY"],
            key_file=config["LOG_SIGNING_KEY_FILE"],
            production=config["PRODUCTION"],
            development_folder=Path(app.instance_path) / "keys",
        )
    except KeyConfigurationError as exc:
        raise ConfigurationError(str(exc)) from None


def _default_origin(config) -> str:
    """The log's name when ``LOG_ORIGIN`` is unset: the national one in production, a name that
    cannot be mistaken for it elsewhere."""
    if config["PRODUCTION"] and not config["STAGING"]:
        return PRODUCTION_ORIGIN
    return f"{config['ENV_NAME']}.registre-opposition.invalid/journal"


def keyring() -> Keyring:
    return current_app.extensions["keyring"]


def log_signer() -> NoteSigner:
    """The transparency log's checkpoint signer (``registry.checkpoints``)."""
    return current_app.extensions["log_signer"]
