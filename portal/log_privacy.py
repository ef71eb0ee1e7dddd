"""Keep client IP addresses out of the logs.

The development server writes one line per request that starts with the client's address; a
privacy registry must not keep it even there. Production runs gunicorn with no access log.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

# werkzeug formats the address into the message itself: "<address> - - [<date>] ..."
_LEADING_ADDRESS = re.compile(r"^\S+(?= - - \[)")



class DropClientAddress(logging.Filter):
    """Replace the address at the head of werkzeug's request lines with a dash."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _LEADING_ADDRESS.sub("-", record.msg, count=1)
        return True


def init_app(app: Flask) -> None:
    werkzeug_logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, DropClientAddress) for f in werkzeug_logger.filters):
        werkzeug_logger.addFilter(DropClientAddress())
