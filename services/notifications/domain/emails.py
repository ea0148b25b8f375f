"""The words of an email: plain text and the same in HTML."""

from __future__ import annotations

import html
from collections.abc import Sequence

FOOTER = "You receive this because this address gets the account's billing communications."


def text_body(subject: str, lines: Sequence[str], account_id: str) -> str:
    parts = [subject, "", *lines, ""]
    if account_id:
        parts += [f"Account: {account_id}", "", FOOTER]
    return "\n".join(parts) + "\n"


def html_body(subject: str, lines: Sequence[str], account_id: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    footer = ""
    if account_id:
        footer = (
            f'<p style="color:#555">Account: {html.escape(account_id)}</p>'
            f'<p style="color:#777;font-size:small">{html.escape(FOOTER)}</p>'
        )
    return (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<h2>{html.escape(subject)}</h2>{paragraphs}{footer}</body></html>"
    )
