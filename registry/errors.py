"""Typed domain errors with stable codes; the web layer turns a code into a translated message."""


class RegistryError(Exception):
    code = "registry_error"
    message = "The registry could not do this."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)


class NoActiveOpposition(RegistryError):
    code = "no_active_opposition"
    message = "There is no current opposition to change or withdraw."


class NothingChosen(RegistryError):
    code = "no_purpose_chosen"
    message = "Choose at least one purpose, or withdraw the opposition."


class InvalidChoice(RegistryError):
    code = "invalid_choice"
    message = "A value is not one of the allowed choices."
