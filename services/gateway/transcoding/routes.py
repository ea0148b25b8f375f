"""Routes read from the google.api.http options of every service in the generated contracts."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.api import annotations_pb2, http_pb2
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, MethodDescriptor, ServiceDescriptor

from services.gateway.transcoding.template import PathTemplate, TemplateError, compile_template

HTTP_BODY = "google.api.HttpBody"
PATTERNS = ("get", "put", "post", "delete", "patch")
MAX_BINDINGS_PER_METHOD = 16


class RouteError(ValueError):
    """An annotation the gateway cannot serve; raised at startup, naming the RPC."""


@dataclass(frozen=True)
class Route:
    http_method: str
    template: PathTemplate
    # "" (no body), "*" (the whole request) or the name of one request field.
    body: str
    response_body: str
    method: MethodDescriptor
    request_class: Any
    response_class: Any

    @property
    def rpc_name(self) -> str:
        return self.method.full_name

    @property
    def grpc_path(self) -> str:
        return f"/{self.method.containing_service.full_name}/{self.method.name}"

    @property
    def service(self) -> ServiceDescriptor:
        return self.method.containing_service

    @property
    def server_streaming(self) -> bool:
        return bool(self.method.server_streaming)

    @property
    def path_fields(self) -> frozenset[str]:
        return frozenset(v.field_path for v in self.template.variables)

    @property
    def http_body_response(self) -> bool:
        """True when the answer is raw bytes (a google.api.HttpBody field)."""
        field = self.response_field
        return field is not None and field.message_type.full_name == HTTP_BODY

    @property
    def response_field(self) -> Any:
        if not self.response_body:
            return None
        return self.method.output_type.fields_by_name[self.response_body]

    @property
    def has_idempotency_key(self) -> bool:
        return "idempotency_key" in self.method.input_type.fields_by_name


def load_services(package: str = "billing") -> list[ServiceDescriptor]:
    """Import every generated *_pb2 module of `package` and return its services."""
    root = importlib.import_module(package)
    services: dict[str, ServiceDescriptor] = {}
    for name in _module_names(package, root.__path__):
        module = importlib.import_module(name)
        for service in module.DESCRIPTOR.services_by_name.values():
            services[service.full_name] = service
    return [services[name] for name in sorted(services)]


def _module_names(package: str, paths: Iterable[str]) -> list[str]:
    """Generated modules of a namespace package (its folders have no __init__.py)."""
    names = set()
    for folder in paths:
        for file in Path(folder).rglob("*_pb2.py"):
            relative = file.relative_to(folder).with_suffix("")
            names.add(".".join((package, *relative.parts)))
    return sorted(names)


def build_routes(services: Iterable[ServiceDescriptor]) -> list[Route]:
    routes: list[Route] = []
    for service in services:
        for method in service.methods:
            routes.extend(_method_routes(method))
    return routes


def _method_routes(method: MethodDescriptor) -> Iterator[Route]:
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return
    if method.client_streaming:
        raise RouteError(f"{method.full_name}: client-streaming RPCs cannot be transcoded")
    rule = options.Extensions[annotations_pb2.http]
    bindings = [rule, *rule.additional_bindings]
    if len(bindings) > MAX_BINDINGS_PER_METHOD:
        raise RouteError(f"{method.full_name}: more than {MAX_BINDINGS_PER_METHOD} bindings")
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)
    for binding in bindings:
        http_method, path = _pattern(method, binding)
        try:
            template = compile_template(path)
        except TemplateError as error:
            raise RouteError(f"{method.full_name}: {error}") from None
        _check_fields(method, template, binding)
        yield Route(
            http_method=http_method,
            template=template,
            body=binding.body,
            response_body=binding.response_body,
            method=method,
            request_class=request_class,
            response_class=response_class,
        )


def _pattern(method: MethodDescriptor, rule: http_pb2.HttpRule) -> tuple[str, str]:
    kind = rule.WhichOneof("pattern")
    if kind in PATTERNS:
        return kind.upper(), getattr(rule, kind)
    if kind == "custom":
        return rule.custom.kind.upper(), rule.custom.path
    raise RouteError(f"{method.full_name}: http rule has no pattern")


def _check_fields(
    method: MethodDescriptor, template: PathTemplate, rule: http_pb2.HttpRule
) -> None:
    request = method.input_type
    for variable in template.variables:
        field = resolve_field(request, variable.field_path)
        if field is None or field.message_type is not None or _is_repeated(field):
            raise RouteError(
                f"{method.full_name}: path variable {variable.field_path!r} is not a scalar field"
            )
    if rule.body not in ("", "*") and rule.body not in request.fields_by_name:
        raise RouteError(f"{method.full_name}: body field {rule.body!r} does not exist")
    if rule.response_body and rule.response_body not in method.output_type.fields_by_name:
        raise RouteError(
            f"{method.full_name}: response_body field {rule.response_body!r} does not exist"
        )


def resolve_field(message: Descriptor, field_path: str) -> Any:
    """The field descriptor at a dotted path of singular message fields, or None."""
    field = None
    current: Descriptor | None = message
    for part in field_path.split("."):
        if current is None:
            return None
        field = current.fields_by_name.get(part)
        if field is None:
            return None
        current = field.message_type if not _is_repeated(field) else None
    return field


def _is_repeated(field: Any) -> bool:
    return bool(field.is_repeated)
