"""URL converters. ``int`` stops at the largest value an id column holds (2**31 - 1), and a text
part of an address (the default converter) holds no control character: a larger number, or a NUL
byte, in an address is no page (404), where it would otherwise reach PostgreSQL and fail."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, UnicodeConverter

LARGEST_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


class TextConverter(UnicodeConverter):
    def __init__(self, map, minlength: int = 1, maxlength: int | None = None, length: int | None = None) -> None:
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]")


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
