"""The English catalogue is complete and current: every visible string has a translation."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def extracted_ids(tmp_path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).with_name("pybabel")), "extract",
         "-F", "translations/babel.cfg", "-k", "_l", "-o", str(pot), "portal"],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


def test_the_english_catalogue_matches_the_source(tmp_path):
    with (ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id for m in catalogue if m.id and m.string}
    in_catalogue = {m.id for m in catalogue if m.id}
    source = extracted_ids(tmp_path)
    assert sorted(source - translated, key=str) == [], "strings without an English translation: run pybabel update"
    assert sorted(in_catalogue - source, key=str) == [], "stale strings in the English catalogue"


def test_the_message_template_is_current(tmp_path):
    """``translations/messages.pot`` holds exactly the strings of the source (re-extract when not)."""
    with (ROOT / "translations/messages.pot").open("rb") as handle:
        committed = {m.id for m in read_po(handle) if m.id}
    assert sorted(extracted_ids(tmp_path) ^ committed, key=str) == [], (
        "translations/messages.pot is stale: pybabel extract -F translations/babel.cfg -k _l "
        "--no-location --sort-output --omit-header -o translations/messages.pot portal"
    )


def test_the_english_catalogue_is_not_marked_fuzzy():
    """pybabel skips a catalogue whose header is fuzzy: every English page would fall back to French."""
    with (ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        assert not read_po(handle).fuzzy
