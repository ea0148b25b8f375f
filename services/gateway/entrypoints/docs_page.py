"""A self-contained HTML page that renders the OpenAPI document (no scripts, no CDN)."""

from __future__ import annotations

import html
import json
from typing import Any

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#222}
h2{border-bottom:1px solid #ccc;margin-top:2.5rem}
details{border:1px solid #ddd;border-radius:4px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer;font-family:monospace}
.m{display:inline-block;width:4.5rem;font-weight:bold}
.get{color:#1565c0}.post{color:#2e7d32}.put{color:#ef6c00}.patch{color:#6a1b9a}.delete{color:#c62828}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.2rem .5rem;
text-align:left;font-size:.9rem}pre{background:#f6f8fa;padding:.5rem;overflow:auto;font-size:.8rem}
"""


def render(document: dict[str, Any]) -> str:
    info = document["info"]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{_e(info['title'])}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(info['title'])} <small>{_e(info['version'])}</small></h1>",
        f"<p>{_e(info.get('description', ''))}</p>",
        "<p>The machine-readable document: <a href='/openapi.json'>/openapi.json</a>.</p>",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            tag = (operation.get("tags") or ["Other"])[0]
            by_tag.setdefault(tag, []).append((method, path, operation))
    for tag in sorted(by_tag):
        parts.append(f"<h2>{_e(tag)}</h2>")
        for method, path, operation in sorted(by_tag[tag], key=lambda item: (item[1], item[0])):
            parts.append(_operation(method, path, operation))
    parts.append("<h2>Schemas</h2>")
    for name, schema in document["components"]["schemas"].items():
        parts.append(
            f"<details id='{_e(name)}'><summary>{_e(name)}</summary>{_json(schema)}</details>"
        )
    parts.append("</body></html>")
    return "".join(parts)


def _operation(method: str, path: str, operation: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{_e(p['name'])}</td><td>{_e(p['in'])}</td>"
        f"<td>{'yes' if p.get('required') else ''}</td><td>{_e(json.dumps(p['schema']))}</td></tr>"
        for p in operation.get("parameters", [])
    )
    table = (
        f"<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>{rows}</table>"
        if rows
        else ""
    )
    body = ""
    if "requestBody" in operation:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        body = f"<p>Request body (application/json):</p>{_json(schema)}"
    responses = ", ".join(_e(code) for code in operation["responses"])
    return (
        f"<details><summary><span class='m {method}'>{method.upper()}</span>{_e(path)}"
        f" &mdash; {_e(operation.get('summary', ''))}</summary>"
        f"<p>{_e(operation.get('description', ''))}</p>{table}{body}"
        f"<p>Responses: {responses}</p></details>"
    )


def _json(value: Any) -> str:
    return f"<pre>{_e(json.dumps(value, indent=2))}</pre>"


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)
