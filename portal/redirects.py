"""Where a ``next`` parameter may send someone after a sign-in: a path of this site, nothing else.

Browsers drop tabs and line breaks from addresses and read a backslash as a slash, so
``/\t/evil.example`` or ``/\\evil.example`` lead to another site, and a line break in a
``Location`` header is refused by the server (a 500). The target is therefore accepted only
when it is a plain path: it starts with a single ``/``, holds no control character, space or
backslash, and has neither scheme nor host once parsed. Anything else gives ``None`` and the
caller's default page.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit


def safe_next(target: str | None, *, within: str = "/") -> str | None:
    """``target`` when it is a path of this site under ``within``; None otherwise."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if any(unicodedata.category(char)[0] in "CZ" for char in target) or "\\" in target:
        return None  # control, format, space and separator characters; backslashes
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(within):
        return None
    return target
