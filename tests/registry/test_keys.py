import stat

import pytest

from registry.keyring import load_keyring
from registry.keys import KeyConfigurationError, development_key, load_key, parse_key

GOOD = "prod-2026-1:" + "ab" * 32


def test_a_key_is_read_from_configuration_or_from_a_secret_file(tmp_path):
    from_value = load_key(name="IDENTIFIER_KEY", value=GOOD, path=None)
    secret_file = tmp_path / "identifier.key"
    secret_file.write_text(GOOD + "\n")
    from_file = load_key(name="IDENTIFIER_KEY", value=None, path=str(secret_file))
    assert from_value == from_file
    assert from_value.key_id == "prod-2026-1"


@pytest.mark.parametrize("line", ["nohex", "id:" + "ab" * 10, "bad id!:" + "ab" * 32, "id:" + "zz" * 32])
def test_malformed_keys_are_refused_without_echoing_the_secret(line):
    with pytest.raises(KeyConfigurationError) as error:
        parse_key(line, name="IDENTIFIER_KEY")
    assert "IDENTIFIER_KEY" in str(error.value)
    assert line.split(":")[-1] not in str(error.value)


def test_an_unreadable_key_file_names_the_setting(tmp_path):
    with pytest.raises(KeyConfigurationError, match="IDENTIFIER_KEY"):
        load_key(name="IDENTIFIER_KEY", value=None, path=str(tmp_path / "missing"))


def test_the_development_key_is_generated_once_and_kept_private(tmp_path):
    first = development_key(tmp_path, "identifier")
    second = development_key(tmp_path, "identifier")
    assert first == second
    assert first.is_development_key
    assert stat.S_IMODE((tmp_path / "identifier.key").stat().st_mode) == 0o600


def test_production_refuses_missing_keys():
    with pytest.raises(KeyConfigurationError, match="not configured"):
        load_keyring(identifier_key=None, oprf_key="p:" + "cd" * 32, production=True)


def test_production_refuses_development_keys(tmp_path):
    dev = development_key(tmp_path, "identifier")
    line = f"{dev.key_id}:{dev.secret.hex()}"
    with pytest.raises(KeyConfigurationError, match="development key"):
        load_keyring(identifier_key=line, oprf_key="p:" + "cd" * 32, production=True)


def test_production_accepts_configured_keys():
    keyring = load_keyring(identifier_key=GOOD, oprf_key="oprf-1:" + "cd" * 32, production=True)
    assert keyring.hasher.key_id == "prod-2026-1"
    assert keyring.oprf.key_id == "oprf-1"


def test_development_generates_missing_keys_under_the_instance_folder(tmp_path):
    keyring = load_keyring(production=False, development_folder=tmp_path)
    assert keyring.hasher.key_id.startswith("dev-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["identifier.key", "oprf.key"]
