"""The OpenAPI 3.1 document, derived from the same descriptors the routes come from.

Names are the proto field names (what the gateway writes; it also reads lowerCamelCase),
int64 values are strings, enums are their names, and every operation documents the error body.
"""

from __future__ import annotations

import re
from typing import Any

from google.api import field_behavior_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

from services.gateway.domain import conventions, field_docs, policy
from services.gateway.entrypoints.http_errors import ERROR_CODES, GATEWAY_STATUSES
from services.gateway.transcoding import messages
from services.gateway.transcoding.routes import Route

MAX_QUERY_DEPTH = 4
INT64 = {"type": "string", "format": "int64", "pattern": "^-?[0-9]{1,18}$"}
UINT64 = {"type": "string", "format": "uint64", "pattern": "^[0-9]{1,19}$"}
INT32 = {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
UINT32 = {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**32 - 1}
_T = FieldDescriptor
SCALARS: dict[int, dict[str, Any]] = {
    _T.TYPE_DOUBLE: {"type": "number"},
    _T.TYPE_FLOAT: {"type": "number"},
    _T.TYPE_INT64: INT64,
    _T.TYPE_SINT64: INT64,
    _T.TYPE_SFIXED64: INT64,
    _T.TYPE_UINT64: UINT64,
    _T.TYPE_FIXED64: UINT64,
    _T.TYPE_INT32: INT32,
    _T.TYPE_SINT32: INT32,
    _T.TYPE_SFIXED32: INT32,
    _T.TYPE_UINT32: UINT32,
    _T.TYPE_FIXED32: UINT32,
    _T.TYPE_BOOL: {"type": "boolean"},
    _T.TYPE_STRING: {"type": "string"},
    _T.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
}
WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": "^-?[0-9]{1,11}(\\.[0-9]{1,9})?s$"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Empty": {"type": "object", "additionalProperties": False},
    "google.protobuf.Any": {"type": "object"},
    "google.protobuf.StringValue": {"type": "string"},
    "google.protobuf.BoolValue": {"type": "boolean"},
    "google.protobuf.Int32Value": INT32,
    "google.protobuf.UInt32Value": UINT32,
    "google.protobuf.Int64Value": INT64,
    "google.protobuf.UInt64Value": UINT64,
    "google.protobuf.DoubleValue": {"type": "number"},
    "google.protobuf.FloatValue": {"type": "number"},
    "google.protobuf.BytesValue": {"type": "string", "contentEncoding": "base64"},
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "description": "What went wrong.",
            "required": ["code", "message", "field"],
            "additionalProperties": False,
            "properties": {
                "code": {
                    "type": "string",
                    "enum": ERROR_CODES,
                    "description": "The gRPC status name (or the gateway's own code).",
                },
                "message": {"type": "string", "description": "What went wrong, in words."},
                "field": {"type": "string", "description": "The offending request field, if any."},
            },
        }
    },
}
SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (key_...) or a token from POST /v1/auth/tokens (bt1....).",
    },
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Passed on as the request's idempotency_key: a retry returns the first result.",
    "schema": {"type": "string", "maxLength": 200},
}


# A download's media type, as its response field's comment states it.
_CONTENT_TYPE = re.compile(r"content type ([a-z]+/[a-z0-9.+-]+)")


def is_required(field: FieldDescriptor) -> bool:
    """Marked `(google.api.field_behavior) = REQUIRED` in the contract."""
    options = field.GetOptions()
    behaviors = options.Extensions[field_behavior_pb2.field_behavior]
    return field_behavior_pb2.REQUIRED in behaviors


class SchemaBook:
    """Component schemas, one per message, added as routes refer to them."""

    def __init__(self, comments: dict[str, str] | None = None) -> None:
        self.schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
        self.comments = comments or {}

    def describe(self, field: FieldDescriptor, schema: dict[str, Any]) -> dict[str, Any]:
        """The field's comment (or the shared meaning of its name) and an example."""
        text = self.comments.get(field.full_name) or field_docs.GLOSSARY.get(field.name)
        if text is None and field.enum_type is not None:
            text = self.comments.get(field.enum_type.full_name)
        if text is None and field.message_type is not None:
            text = self.comments.get(field.message_type.full_name)
        described = dict(schema)
        described["description"] = text or _words(field.name)
        example = field_docs.EXAMPLES.get(field.name)
        if example is not None and not messages.is_repeated(field):
            described["examples"] = [example]
        return described

    def ref(self, descriptor: Descriptor) -> dict[str, Any]:
        known = WELL_KNOWN.get(descriptor.full_name)
        if known is not None:
            return dict(known)
        name = descriptor.full_name
        if name not in self.schemas:
            self.schemas[name] = {}
            self.schemas[name] = self.message(descriptor)
        return {"$ref": f"#/components/schemas/{name}"}

    def message(self, descriptor: Descriptor, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
        fields = [field for field in descriptor.fields if field.name not in skip]
        properties = {field.name: self.describe(field, self.field(field)) for field in fields}
        schema: dict[str, Any] = {
            "type": "object",
            "additionalProperties": False,
            "properties": properties,
        }
        required = [field.name for field in fields if is_required(field)]
        if required:
            schema["required"] = required
        comment = self.comments.get(descriptor.full_name)
        if comment:
            schema["description"] = comment
        return schema

    def field(self, field: FieldDescriptor) -> dict[str, Any]:
        entry: Any = field.message_type
        if messages.is_map(field):
            value = entry.fields_by_name["value"]
            return {"type": "object", "additionalProperties": self._single(value)}
        single = self._single(field)
        if messages.is_repeated(field):
            return {"type": "array", "items": single}
        return single

    def _single(self, field: FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None:
            return self.ref(field.message_type)
        if field.enum_type is not None:
            return enum_schema(field.enum_type)
        return dict(SCALARS[field.type])


def enum_schema(enum: EnumDescriptor) -> dict[str, Any]:
    return {"type": "string", "enum": [value.name for value in enum.values]}


def _words(name: str) -> str:
    """The last resort for an uncommented field: its name in words."""
    return name.replace("_", " ").capitalize() + "."


def build_document(
    routes: list[Route],
    native_paths: dict[str, Any],
    version: str,
    comments: dict[str, str] | None = None,
) -> dict[str, Any]:
    book = SchemaBook(comments)
    paths: dict[str, Any] = {}
    for route in routes:
        path = paths.setdefault(route.template.openapi_path, {})
        path[route.http_method.lower()] = _operation(route, book)
    for path, operations in native_paths.items():
        paths.setdefault(path, {}).update(operations)
    tags = [*sorted({route.service.name for route in routes}), "Gateway"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Billing suite REST gateway",
            "version": version,
            "description": (
                "REST/JSON transcoded from the gRPC contracts (google.api.http). Field names are "
                "the proto names; lowerCamelCase is accepted on input. 64-bit integers are "
                "strings. Lists page with page_size and page_token (next_page_token); reports "
                "filter with from_date and to_date (YYYY-MM-DD). Server streams answer a JSON "
                "array; raw downloads (CSV, PDF) stream their bytes."
            ),
        },
        "tags": [{"name": name} for name in tags],
        "security": [{"bearer": []}, {"apiKey": []}],
        "paths": paths,
        "components": {
            "schemas": book.schemas,
            "securitySchemes": SECURITY_SCHEMES,
            "responses": {
                "Error": {
                    "description": "An error",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
        },
    }


def error_responses(statuses: set[int]) -> dict[str, Any]:
    return {str(status): {"$ref": "#/components/responses/Error"} for status in sorted(statuses)}


def _operation(route: Route, book: SchemaBook) -> dict[str, Any]:
    request = route.method.input_type
    access = policy.access_for(route.rpc_name, route.http_method)
    parameters = [_path_parameter(route, name, book) for name in _path_names(route)]
    if route.body != "*":
        skip = set(route.path_fields) | ({route.body} if route.body else set())
        parameters += _query_parameters(request, "", skip, book, 0)
    if route.http_method in ("POST", "PUT", "PATCH", "DELETE"):
        parameters.append(IDEMPOTENCY_HEADER)
    statuses = set(GATEWAY_STATUSES)
    if not route.body:
        statuses -= {413, 415}
    operation: dict[str, Any] = {
        "operationId": f"{route.service.name}_{route.method.name}",
        "tags": [route.service.name],
        "summary": f"{route.method.name} ({route.rpc_name})",
        "description": " ".join(
            part
            for part in (
                book.comments.get(route.method.full_name, ""),
                f"Needs the {access.value} permission.",
            )
            if part
        ),
        "x-grpc-method": route.rpc_name,
        "parameters": parameters,
        "responses": {"200": _success(route, book), **error_responses(statuses)},
    }
    if route.body:
        body = _body_schema(route, book)
        operation["requestBody"] = {
            "required": bool(body.get("required")),
            "content": {"application/json": {"schema": body}},
        }
    return operation


def _path_names(route: Route) -> list[str]:
    return [variable.field_path for variable in route.template.variables]


def _path_parameter(route: Route, name: str, book: SchemaBook) -> dict[str, Any]:
    field = _field_at(route.method.input_type, name)
    schema = book_free_schema(field)
    if schema.get("type") == "string":
        schema["minLength"] = 1
        schema["pattern"] = "^[^/]+$"
    return _parameter(name, "path", True, schema, book.describe(field, {}))


def _parameter(
    name: str, where: str, required: bool, schema: dict[str, Any], described: dict[str, Any]
) -> dict[str, Any]:
    parameter = {"name": name, "in": where, "required": required, "schema": schema}
    parameter["description"] = described["description"]
    if "examples" in described:
        parameter["example"] = described["examples"][0]
    return parameter


def book_free_schema(field: FieldDescriptor) -> dict[str, Any]:
    if field.enum_type is not None:
        return enum_schema(field.enum_type)
    return dict(SCALARS[field.type])


def _query_parameters(
    descriptor: Descriptor, prefix: str, skip: set[str], book: SchemaBook, depth: int
) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    for field in descriptor.fields:
        name = f"{prefix}{field.name}"
        if name in skip or messages.is_map(field):
            continue
        nested = field.message_type
        if nested is not None and not messages.is_well_known(nested):
            if not messages.is_repeated(field) and depth < MAX_QUERY_DEPTH:
                parameters += _query_parameters(nested, f"{name}.", skip, book, depth + 1)
            continue
        if nested is not None and nested.full_name not in _TEXT_WELL_KNOWN:
            continue
        schema = book.field(field) if nested is None else dict(WELL_KNOWN[nested.full_name])
        schema = _convention(field.name, schema)
        required = depth == 0 and is_required(field)
        parameter = _parameter(name, "query", required, schema, book.describe(field, {}))
        if messages.is_repeated(field):
            parameter.update(style="form", explode=True)
        parameters.append(parameter)
    return parameters


_TEXT_WELL_KNOWN = frozenset(
    ("google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask")
)


def _convention(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    if name == "page_size" and schema.get("type") == "integer":
        return {**schema, "minimum": 0, "maximum": conventions.MAX_PAGE_SIZE}
    if name in conventions.DATE_FIELDS and schema.get("type") == "string":
        return {**schema, "format": "date", "pattern": conventions.DATE_PATTERN}
    return schema


def _body_schema(route: Route, book: SchemaBook) -> dict[str, Any]:
    request = route.method.input_type
    if route.body == "*":
        return book.message(request, skip=route.path_fields)
    return book.field(request.fields_by_name[route.body])


def _success(route: Route, book: SchemaBook) -> dict[str, Any]:
    output = route.method.output_type
    if route.http_body_response:
        comment = book.comments.get(route.response_field.full_name, "")
        declared = _CONTENT_TYPE.search(comment)
        media_type = declared.group(1) if declared else "application/octet-stream"
        return {
            "description": f"The raw bytes, streamed ({media_type}).",
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    schema = book.field(route.response_field) if route.response_body else book.ref(output)
    if route.server_streaming:
        return {
            "description": "Every streamed message, as one JSON array sent as it is produced.",
            "content": {"application/json": {"schema": {"type": "array", "items": schema}}},
        }
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _field_at(descriptor: Descriptor, dotted: str) -> FieldDescriptor:
    field: FieldDescriptor | None = None
    current: Any = descriptor
    for part in dotted.split("."):
        field = current.fields_by_name[part]
        current = field.message_type
    if field is None:
        raise ValueError(dotted)
    return field
