"""Path templates of google.api.HttpRule, compiled to regular expressions.

Template = "/" Segments [ Verb ] ; Segment = "*" | "**" | LITERAL | Variable ;
Variable = "{" FieldPath [ "=" Segments ] "}" ; Verb = ":" LITERAL .
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

MAX_TEMPLATE_LENGTH = 1000


class TemplateError(ValueError):
    """A path template that does not follow the HttpRule grammar."""


@dataclass(frozen=True)
class Variable:
    field_path: str
    # True when the variable spans one segment: '/' may then arrive percent-encoded.
    single_segment: bool


@dataclass(frozen=True)
class PathTemplate:
    text: str
    pattern: re.Pattern[str]
    variables: tuple[Variable, ...]
    verb: str
    literal_count: int

    def match(self, raw_path: str) -> dict[str, str] | None:
        """Variable values by field path, decoded, or None when the path does not match."""
        found = self.pattern.fullmatch(raw_path)
        if found is None:
            return None
        values = {}
        for index, variable in enumerate(self.variables):
            raw = found.group(f"v{index}")
            values[variable.field_path] = _decode(raw, variable.single_segment)
        return values

    @property
    def openapi_path(self) -> str:
        """The template as an OpenAPI path: /v1/a/{account_id}/b:verb."""
        path = re.sub(r"\{([^}=]+)(=[^}]*)?\}", r"{\1}", self.text)
        return path


def _decode(raw: str, single_segment: bool) -> str:
    if single_segment:
        return unquote(raw)
    # Multi-segment values keep an encoded '/' encoded (RFC 6570 reserved expansion).
    return "%2F".join(unquote(piece) for piece in re.split("%2[Ff]", raw))


def compile_template(text: str) -> PathTemplate:
    if not text.startswith("/") or len(text) > MAX_TEMPLATE_LENGTH:
        raise TemplateError(f"template must start with '/': {text!r}")
    body, verb = _split_verb(text[1:])
    variables: list[Variable] = []
    parts, literals = _segments(body, variables, inside_variable=False)
    pattern = "/" + parts + (":" + re.escape(verb) if verb else "")
    return PathTemplate(text, re.compile(pattern), tuple(variables), verb, literals)


def _split_verb(body: str) -> tuple[str, str]:
    depth = 0
    last_colon = -1
    for index, char in enumerate(body):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == ":" and depth == 0:
            last_colon = index
    if depth != 0:
        raise TemplateError(f"unbalanced braces in {body!r}")
    if last_colon < 0:
        return body, ""
    verb = body[last_colon + 1 :]
    if not verb or "/" in verb:
        raise TemplateError(f"bad verb in {body!r}")
    return body[:last_colon], verb


def _split_segments(body: str) -> list[str]:
    segments: list[str] = []
    depth = 0
    current = ""
    for char in body:
        if char == "/" and depth == 0:
            segments.append(current)
            current = ""
            continue
        depth += char == "{"
        depth -= char == "}"
        current += char
    segments.append(current)
    return segments


def _segments(body: str, variables: list[Variable], inside_variable: bool) -> tuple[str, int]:
    out: list[str] = []
    literals = 0
    for segment in _split_segments(body):
        if not segment:
            raise TemplateError(f"empty segment in {body!r}")
        if segment == "*":
            out.append("[^/]+")
        elif segment == "**":
            out.append(".+")
        elif segment.startswith("{") and segment.endswith("}"):
            if inside_variable:
                raise TemplateError(f"nested variable in {body!r}")
            out.append(_variable(segment[1:-1], variables))
        elif re.fullmatch(r"[A-Za-z0-9._~-]+", segment):
            out.append(re.escape(segment))
            literals += 1
        else:
            raise TemplateError(f"bad segment {segment!r}")
    return "/".join(out), literals


def _variable(inner: str, variables: list[Variable]) -> str:
    field_path, _, sub = inner.partition("=")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", field_path):
        raise TemplateError(f"bad field path {field_path!r}")
    index = len(variables)
    sub = sub or "*"
    variables.append(Variable(field_path, single_segment=sub == "*"))
    sub_pattern, _ = _segments(sub, variables, inside_variable=True)
    return f"(?P<v{index}>{sub_pattern})"
