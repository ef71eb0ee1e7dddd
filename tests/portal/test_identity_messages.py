"""Every refusal and every incomplete proof of identity has a message a person understands, in
French and in English, on the citizen pages and at the counter."""

from pathlib import Path

from babel.messages.pofile import read_po

from portal.citizen.labels import SELF_IDENTITY_MESSAGES, UNVERIFIABLE_MESSAGES
from portal.staff.identity_messages import IDENTITY_MESSAGES
from registry.identifiers import IDENTITY_REASONS
from registry.identity_proof import UNVERIFIABLE_REASONS

CATALOGUE = Path(__file__).resolve().parents[2] / "translations/en/LC_MESSAGES/messages.po"


def english() -> dict[str, str]:
    with CATALOGUE.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def test_every_identity_refusal_has_a_french_and_english_message_for_citizens_and_agents():
    translations = english()
    assert set(SELF_IDENTITY_MESSAGES) == set(IDENTITY_REASONS)
    assert set(IDENTITY_MESSAGES) == set(IDENTITY_REASONS)
    for code in IDENTITY_REASONS:
        for message in (SELF_IDENTITY_MESSAGES[code], IDENTITY_MESSAGES[code][1]):
            assert translations.get(message._args[0]), code


def test_every_incomplete_proof_says_where_to_go_in_french_and_english():
    translations = english()
    assert set(UNVERIFIABLE_MESSAGES) == set(UNVERIFIABLE_REASONS)
    for reason in UNVERIFIABLE_REASONS:
        source = UNVERIFIABLE_MESSAGES[reason]._args[0]
        assert "guichet" in source and "counter" in translations.get(source, ""), reason
