"""English calls the citizen's choice an "opt-out", as the service's English name does ("National
opt-out registry"), never "opposition" in one place and "opt-out" in the next: in the catalogue,
in the English page templates and in the English lessons."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
# "opposition" as an English word; not inside an identifier (droit-opposition-registre), a code
# (the audit prefix "opposition.") or a Jinja expression.
OPPOSITION = re.compile(r"(?<![-\w./])[Oo]ppositions?(?![-\w]|\.\))")
JINJA_OR_TAG = re.compile(r"{{.*?}}|{%.*?%}|<[^>]*>", re.S)


def test_the_english_catalogue_says_opt_out():
    with (ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    found = [string for message in catalogue if message.id
             for string in (message.string if isinstance(message.string, tuple) else (message.string,))
             if OPPOSITION.search(string or "")]
    assert found == []


def test_the_english_pages_and_lessons_say_opt_out():
    found = []
    for path in [*ROOT.glob("portal/templates/**/*_en.html"), *ROOT.glob("campaigns/content/modules/*.en.yaml")]:
        text = JINJA_OR_TAG.sub(" ", path.read_text()) if path.suffix == ".html" else path.read_text()
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in OPPOSITION.finditer(text)]
    assert found == []
