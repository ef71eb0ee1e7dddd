"""Campaign pages are Markdown written by campaign managers, rendered to HTML only through here.

Raw HTML in the source is not interpreted, and the rendered HTML is cleaned again by ``nh3``
(an allow-list sanitiser) so that a page can never carry a script, an event handler, a style or
a link to anything but http(s), mailto or a path on this site.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4", "blockquote", "code", "pre", "hr",
    "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}
URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(source: str) -> str:
    """Safe HTML for a campaign page; headings start at h2 because the page title is the h1."""
    html = _markdown.render(_demote_top_headings(source or ""))
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def _demote_top_headings(source: str) -> str:
    """A ``# Heading`` in the source becomes ``## Heading``: one h1 per page, the title's."""
    lines = []
    for line in source.splitlines():
        if line.startswith("# "):
            line = "#" + line
        lines.append(line)
    return "\n".join(lines)
