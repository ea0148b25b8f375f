"""The contracts' comments, read from the descriptor set `make gen` writes beside the code.

Keys are full names: "billing.wallet.v1.TopUp" (message), "billing.wallet.v1.TopUp.amount"
(field), "billing.wallet.v1.WalletService.TopUp" (method), enum values by their full name.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path

from google.protobuf import descriptor_pb2

DESCRIPTOR_SET = "descriptors.binpb"
# Paths in SourceCodeInfo (descriptor.proto field numbers).
_MESSAGE_TYPE, _ENUM_TYPE, _SERVICE = 4, 5, 6
_FIELD, _NESTED_TYPE, _NESTED_ENUM = 2, 3, 4
_ENUM_VALUE, _METHOD = 2, 2


def load(package: str = "billing") -> dict[str, str]:
    """Comment per full name; empty when the descriptor set is missing (an older build)."""
    for folder in _folders(package):
        path = Path(folder) / DESCRIPTOR_SET
        if path.is_file():
            files = descriptor_pb2.FileDescriptorSet.FromString(path.read_bytes())
            return from_files(files.file)
    return {}


def _folders(package: str) -> Iterable[str]:
    try:
        return list(importlib.import_module(package).__path__)
    except ImportError:
        return []


def from_files(files: Iterable[descriptor_pb2.FileDescriptorProto]) -> dict[str, str]:
    found: dict[str, str] = {}
    for file in files:
        if not file.HasField("source_code_info"):
            continue
        names = _names(file)
        for location in file.source_code_info.location:
            name = names.get(tuple(location.path))
            text = _clean(location.leading_comments or location.trailing_comments)
            if name and text:
                found[name] = text
    return found


def _names(file: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    names: dict[tuple[int, ...], str] = {}
    prefix = file.package

    def message(proto: descriptor_pb2.DescriptorProto, path: tuple[int, ...], scope: str) -> None:
        full = f"{scope}.{proto.name}"
        names[path] = full
        for index, field in enumerate(proto.field):
            names[(*path, _FIELD, index)] = f"{full}.{field.name}"
        for index, nested in enumerate(proto.nested_type):
            message(nested, (*path, _NESTED_TYPE, index), full)
        for index, nested_enum in enumerate(proto.enum_type):
            enum(nested_enum, (*path, _NESTED_ENUM, index), full)

    def enum(proto: descriptor_pb2.EnumDescriptorProto, path: tuple[int, ...], scope: str) -> None:
        names[path] = f"{scope}.{proto.name}"
        for index, value in enumerate(proto.value):
            # Enum values are scoped beside their enum, as protobuf names them.
            names[(*path, _ENUM_VALUE, index)] = f"{scope}.{value.name}"

    for index, proto in enumerate(file.message_type):
        message(proto, (_MESSAGE_TYPE, index), prefix)
    for index, proto_enum in enumerate(file.enum_type):
        enum(proto_enum, (_ENUM_TYPE, index), prefix)
    for index, service in enumerate(file.service):
        full = f"{prefix}.{service.name}"
        names[(_SERVICE, index)] = full
        for number, method in enumerate(service.method):
            names[(_SERVICE, index, _METHOD, number)] = f"{full}.{method.name}"
    return names


def _clean(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines()]
    return " ".join(line for line in lines if line)
