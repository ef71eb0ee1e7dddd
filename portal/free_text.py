"""What a person types as free text never brings a social security number into the registry:
one validator for every such field (``registry.contact.holds_identifier`` finds a number however
it is typed: any separator, full-width digits, 2A/2B, with or without its key)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from registry.contact import holds_identifier

MESSAGE = _l("Ce texte contient un numéro de sécurité sociale : retirez-le. Le registre n'en garde jamais en clair.")


class NoIdentifier:
    """A wtforms validator: refuses a value holding a social security number."""

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and holds_identifier(field.data):
            raise ValidationError(str(MESSAGE))
