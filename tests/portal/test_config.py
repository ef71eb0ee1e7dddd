import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal import create_app
from portal.config import ConfigurationError
from tests.conftest import production_config

PROD_KEYS = {"IDENTIFIER_KEY": "prod-1:" + "ab" * 32, "OPRF_KEY": "prod-oprf-1:" + "cd" * 32}
ROOT = Path(__file__).resolve().parents[2]


def test_settings_come_from_prefixed_environment_variables(monkeypatch, database_url):
    monkeypatch.setenv("REGISTRE_DATABASE_URL", database_url)
    monkeypatch.setenv("REGISTRE_IDENTIFIER_KEY", PROD_KEYS["IDENTIFIER_KEY"])
    monkeypatch.setenv("REGISTRE_OPRF_KEY", PROD_KEYS["OPRF_KEY"])
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["DATABASE_URL"] == database_url
    assert app.extensions["keyring"].hasher.key_id == "prod-1"


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app(production_config(SECRET_KEY=None))


@pytest.mark.parametrize("missing", ["IDENTIFIER_KEY", "OPRF_KEY", "LOG_SIGNING_KEY"])
def test_production_refuses_to_start_without_identifier_keys(missing):
    with pytest.raises(ConfigurationError, match=missing):
        create_app(production_config(**{missing: None}))


def test_the_app_runs_in_production_unless_told_otherwise(monkeypatch, tmp_path):
    monkeypatch.delenv("REGISTRE_ENV_NAME")
    with pytest.raises(ConfigurationError) as refused:
        create_app({"INSTANCE_PATH": str(tmp_path)})
    for setting in ("REGISTRE_SECRET_KEY", "REGISTRE_OPERATOR_NAME", "REGISTRE_DPO_CONTACT", "REGISTRE_PHONE_NUMBER",
                    "REGISTRE_POSTAL_ADDRESS", "REGISTRE_RATELIMIT_STORAGE_URI", "REGISTRE_TRUSTED_PROXIES"):
        assert setting in str(refused.value)


@pytest.mark.parametrize("setting, value, named", [
    ("OPERATOR_NAME", None, "REGISTRE_OPERATOR_NAME"),
    ("COUNTERS", "", "REGISTRE_COUNTERS"),
    ("RATELIMIT_STORAGE_URI", "memory://", "REGISTRE_RATELIMIT_STORAGE_URI"),
    ("JOBS_QUEUE_URL", None, "REGISTRE_JOBS_QUEUE_URL"),
    ("JOBS_QUEUE_URL", "sqlite:///instance/jobs-queue.db", "REGISTRE_JOBS_QUEUE_URL"),
    ("TRUSTED_PROXIES", None, "REGISTRE_TRUSTED_PROXIES"),
    ("TRUSTED_PROXIES", "two", "REGISTRE_TRUSTED_PROXIES"),
    ("TRUSTED_PROXIES", -1, "REGISTRE_TRUSTED_PROXIES"),
    ("ENV_NAME", "prod", "REGISTRE_ENV_NAME"),
])
def test_production_refuses_each_unsafe_setting_by_name(setting, value, named):
    with pytest.raises(ConfigurationError, match=named):
        create_app(production_config(**{setting: value}))


def test_a_complete_production_configuration_starts(database_url):
    app = create_app(production_config(DATABASE_URL=database_url))
    assert app.config["PRODUCTION"] and not app.config["STAGING"]


def test_gunicorn_with_an_empty_environment_refuses_to_start_naming_the_settings(tmp_path):
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "REGISTRE_INSTANCE_PATH": str(tmp_path)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run([str(gunicorn), "--bind", "127.0.0.1:0", "--workers", "1", "wsgi:app"], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    for setting in ("REGISTRE_SECRET_KEY", "REGISTRE_OPERATOR_NAME", "REGISTRE_RATELIMIT_STORAGE_URI",
                    "REGISTRE_TRUSTED_PROXIES"):
        assert setting in result.stderr
    assert not (tmp_path / "registre.db").exists()  # refused before anything was created


def test_flask_commands_run_in_production_unless_told_otherwise(tmp_path):
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "REGISTRE_INSTANCE_PATH": str(tmp_path)}
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run([str(flask), "--app", "wsgi", "registry", "migrate"], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "REGISTRE_TRUSTED_PROXIES" in result.stderr


def test_staging_accepts_a_loopback_identity_provider_over_http_and_says_so(database_url, caplog):
    app = create_app(production_config(ENV_NAME="staging", DATABASE_URL=database_url,
                                       FRANCECONNECT_ISSUER="http://127.0.0.1:9400", FRANCECONNECT_CLIENT_ID="c",
                                       FRANCECONNECT_CLIENT_SECRET="s"))
    assert app.config["PRODUCTION"] and app.config["STAGING"]
    assert "franceconnect" in app.extensions
    assert "STAGING" in caplog.text and "http://127.0.0.1:9400" in caplog.text


@pytest.mark.parametrize("environment, issuer", [
    ("production", "http://127.0.0.1:9400"),
    ("staging", "http://idp.example.fr"),
])
def test_production_refuses_an_identity_provider_over_http(environment, issuer):
    with pytest.raises(ConfigurationError, match="FRANCECONNECT_ISSUER"):
        create_app(production_config(ENV_NAME=environment, FRANCECONNECT_ISSUER=issuer, FRANCECONNECT_CLIENT_ID="c",
                                     FRANCECONNECT_CLIENT_SECRET="s"))


def test_production_refuses_the_development_key(tmp_path):
    from registry.keys import development_key

    development_key(tmp_path, "identifier")  # what the embedded default generates under instance/
    with pytest.raises(ConfigurationError, match="development key"):
        create_app(production_config(IDENTIFIER_KEY=None, IDENTIFIER_KEY_FILE=str(tmp_path / "identifier.key")))


def test_the_embedded_default_generates_its_keys_once_under_the_instance_folder(tmp_path):
    first = create_app({"ENV_NAME": "development", "INSTANCE_PATH": str(tmp_path)})
    second = create_app({"ENV_NAME": "development", "INSTANCE_PATH": str(tmp_path)})
    assert first.extensions["keyring"].hasher.key_id.startswith("dev-")
    assert first.extensions["keyring"].hasher.key_id == second.extensions["keyring"].hasher.key_id
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["contact.key", "identifier.key", "log-signing.key", "oprf.key"]
    assert first.extensions["log_signer"].verifier_key == second.extensions["log_signer"].verifier_key
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'registre.db'}"


def test_production_refuses_a_development_log_key_and_a_seed_of_the_wrong_size(tmp_path):
    from registry.keys import development_key

    dev = development_key(tmp_path, "log-signing")
    with pytest.raises(ConfigurationError, match="LOG_SIGNING_KEY is a development key"):
        create_app(production_config(LOG_SIGNING_KEY=f"{dev.key_id}:{dev.secret.hex()}"))
    with pytest.raises(ConfigurationError, match="exactly 32 bytes"):
        create_app(production_config(LOG_SIGNING_KEY="prod-log-2:" + "ab" * 48))


def test_production_sets_secure_cookies_and_refuses_test_identifiers(database_url):
    app = create_app(production_config(DATABASE_URL=database_url))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["ALLOW_TEST_IDENTIFIERS"] is False
