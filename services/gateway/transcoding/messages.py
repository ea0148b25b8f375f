"""JSON bodies, path variables and query parameters into request messages, and back.

Input accepts both the proto field names and their lowerCamelCase JSON names; output uses the
proto field names (snake_case), with int64 as strings and enums as names (proto3 JSON mapping).
Every failure names the offending field by its proto path, e.g. "plan.monthly_fee".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

MAX_DEPTH = 32
_PREFIX = re.compile(r"^(Failed to parse \S+ field: )+")
_SUFFIX = re.compile(r" at [\w.\[\]]+\.?$")
_TRUE = ("true", "1")
_FALSE = ("false", "0")


class FieldError(ValueError):
    """A request field that cannot be read; `field` is its proto path."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem


def is_well_known(descriptor: Any) -> bool:
    return bool(descriptor.file.name.startswith("google/protobuf/"))


def is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def is_map(field: FieldDescriptor) -> bool:
    message_type = field.message_type
    return bool(message_type is not None and message_type.GetOptions().map_entry)


def find_field(descriptor: Any, name: str) -> FieldDescriptor | None:
    """A field by its proto name or its JSON (lowerCamelCase) name."""
    field = descriptor.fields_by_name.get(name)
    if field is None:
        field = descriptor.fields_by_camelcase_name.get(name)
    return field


def merge_json(message: Message, data: object, path: str = "", depth: int = 0) -> None:
    """Merge a decoded JSON object into `message`, naming the field of any problem."""
    if depth > MAX_DEPTH:
        raise FieldError(path, f"nested deeper than {MAX_DEPTH} levels")
    if is_well_known(message.DESCRIPTOR):
        _parse_leaf(message, data, path)
        return
    if not isinstance(data, dict):
        raise FieldError(path, "expected a JSON object")
    seen: set[str] = set()
    for key, value in data.items():
        field = find_field(message.DESCRIPTOR, key)
        field_path = _join(path, field.name if field else key)
        if field is None:
            raise FieldError(field_path, "unknown field")
        group = field.containing_oneof
        for name in (field.name, group.name if group is not None and value is not None else ""):
            if name and name in seen:
                raise FieldError(field_path, f"{name!r} is given more than once")
            seen.add(name)
        _merge_field(message, field, value, field_path, depth)


def _merge_field(
    message: Message, field: FieldDescriptor, value: object, path: str, depth: int
) -> None:
    if value is None:
        return
    nested = field.message_type
    if nested is None or is_map(field) or is_well_known(nested):
        _parse_single(message, field, value, path)
        return
    if is_repeated(field):
        if not isinstance(value, list):
            raise FieldError(path, "expected a JSON array")
        container = getattr(message, field.name)
        for index, item in enumerate(value):
            merge_json(container.add(), item, f"{path}[{index}]", depth + 1)
        return
    child = getattr(message, field.name)
    child.SetInParent()
    merge_json(child, value, path, depth + 1)


def _parse_single(message: Message, field: FieldDescriptor, value: object, path: str) -> None:
    try:
        json_format.ParseDict({field.json_name: value}, message)
    except (json_format.ParseError, ValueError, TypeError) as error:
        raise FieldError(path, _clean(str(error))) from None


def _parse_leaf(message: Message, value: Any, path: str) -> None:
    try:
        json_format.ParseDict(value, message)
    except (json_format.ParseError, ValueError, TypeError, AttributeError) as error:
        raise FieldError(path, _clean(str(error))) from None


def _clean(problem: str) -> str:
    first = problem.strip().splitlines()[0] if problem.strip() else "invalid value"
    return _SUFFIX.sub("", _PREFIX.sub("", first)).rstrip(".") or "invalid value"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def set_text_values(message: Message, dotted_name: str, values: Sequence[str]) -> str:
    """Set the field at a dotted path from URL text (path variable or query parameter).

    Returns the field's proto path. Intermediate fields must be singular messages; the leaf a
    scalar, an enum or a well-known type written as text (Timestamp, Duration, FieldMask).
    """
    target = message
    parts = dotted_name.split(".")
    proto_path: list[str] = []
    for index, part in enumerate(parts):
        field = find_field(target.DESCRIPTOR, part)
        proto_path.append(field.name if field else part)
        path = ".".join(proto_path)
        if field is None:
            raise FieldError(path, "unknown field")
        last = index == len(parts) - 1
        nested = field.message_type
        if not last:
            if nested is None or is_repeated(field) or is_well_known(nested):
                raise FieldError(path, "is not a message field")
            target = getattr(target, field.name)
            continue
        if is_map(field) or (nested is not None and not is_well_known(nested)):
            raise FieldError(path, "cannot be set from text")
        if not is_repeated(field) and len(values) > 1:
            raise FieldError(path, "is given more than once")
        converted = [_from_text(field, value, path) for value in values]
        _parse_single(target, field, converted if is_repeated(field) else converted[0], path)
    return ".".join(proto_path)


def _from_text(field: FieldDescriptor, value: str, path: str) -> object:
    if field.type != FieldDescriptor.TYPE_BOOL:
        return value
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise FieldError(path, f"expected true or false, got {value!r}")


def to_json(message: Message) -> dict[str, Any]:
    result: dict[str, Any] = json_format.MessageToDict(
        message,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )
    return result


def string_fields(message: Message, name: str, path: str = "") -> Iterator[tuple[str, str]]:
    """Every set string field called `name`, at any depth, with its proto path."""
    for field, value in message.ListFields():
        field_path = _join(path, field.name)
        if field.name == name and field.type == FieldDescriptor.TYPE_STRING:
            if is_repeated(field):
                for item in value:
                    yield field_path, item
            else:
                yield field_path, value
        elif field.message_type is not None and not is_map(field):
            items = value if is_repeated(field) else [value]
            for index, item in enumerate(items):
                suffix = f"[{index}]" if is_repeated(field) else ""
                yield from string_fields(item, name, field_path + suffix)


def given_paths(message: Message, data: object = None) -> set[str]:
    """The proto paths of the fields a request sets: every field with a value in `message`,
    and every key of the decoded JSON body `data`, whatever its value (even 0 or null)."""
    paths: set[str] = set()
    _set_paths(message, "", paths)
    if isinstance(data, dict):
        _json_paths(message.DESCRIPTOR, data, "", paths, 0)
    return paths


def _set_paths(message: Message, path: str, paths: set[str]) -> None:
    for field, value in message.ListFields():
        field_path = _join(path, field.name)
        paths.add(field_path)
        nested = field.message_type
        if nested is None or is_map(field) or is_well_known(nested):
            continue
        for item in value if is_repeated(field) else [value]:
            _set_paths(item, field_path, paths)


def _json_paths(
    descriptor: Any, data: dict[str, Any], path: str, paths: set[str], depth: int
) -> None:
    if depth > MAX_DEPTH:
        return
    for key, value in data.items():
        field = find_field(descriptor, key)
        if field is None:
            continue
        field_path = _join(path, field.name)
        paths.add(field_path)
        nested = field.message_type
        if nested is None or is_map(field) or is_well_known(nested):
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                _json_paths(nested, item, field_path, paths, depth + 1)
