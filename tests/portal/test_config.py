import pytest

from portal import create_app
from portal.config import ConfigurationError

PROD_KEYS = {"IDENTIFIER_KEY": "prod-1:" + "ab" * 32, "OPRF_KEY": "prod-oprf-1:" + "cd" * 32}


def test_settings_come_from_prefixed_environment_variables(monkeypatch, database_url):
    monkeypatch.setenv("REGISTRE_DATABASE_URL", database_url)
    monkeypatch.setenv("REGISTRE_IDENTIFIER_KEY", PROD_KEYS["IDENTIFIER_KEY"])
    monkeypatch.setenv("REGISTRE_OPRF_KEY", PROD_KEYS["OPRF_KEY"])
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["DATABASE_URL"] == database_url
    assert app.extensions["keyring"].hasher.key_id == "prod-1"


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", **PROD_KEYS})


@pytest.mark.parametrize("missing", ["IDENTIFIER_KEY", "OPRF_KEY"])
def test_production_refuses_to_start_without_identifier_keys(missing):
    config = {"ENV_NAME": "production", "SECRET_KEY": "s" * 32, **PROD_KEYS, missing: None}
    with pytest.raises(ConfigurationError, match=missing):
        create_app(config)


def test_production_refuses_the_development_key(tmp_path):
    from registry.keys import development_key

    development_key(tmp_path, "identifier")  # what the embedded default generates under instance/
    with pytest.raises(ConfigurationError, match="development key"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": "s" * 32, **PROD_KEYS,
                    "IDENTIFIER_KEY": None, "IDENTIFIER_KEY_FILE": str(tmp_path / "identifier.key")})


def test_the_embedded_default_generates_its_keys_once_under_the_instance_folder(tmp_path):
    first = create_app({"INSTANCE_PATH": str(tmp_path)})
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert first.extensions["keyring"].hasher.key_id.startswith("dev-")
    assert first.extensions["keyring"].hasher.key_id == second.extensions["keyring"].hasher.key_id
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["identifier.key", "oprf.key"]
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'registre.db'}"


def test_production_sets_secure_cookies_and_refuses_test_identifiers(database_url):
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "s" * 32, "DATABASE_URL": database_url, **PROD_KEYS})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["ALLOW_TEST_IDENTIFIERS"] is False
