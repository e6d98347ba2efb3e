"""/api/docs: the API's documentation as a plain server-rendered page (issue #10 item 7).

FastAPI's default page (Swagger UI) loads its script and style from a CDN: a third-party script
on a City service, which our own Content-Security-Policy (`issuer.web.security`) blocks anyway,
so the page stayed blank. This page is rendered from the same OpenAPI document
(`/api/openapi.json`, unchanged): each operation with its parameters, request media types and
responses, then the schemas. No script at all, only the site's stylesheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from issuer.web.templating import render

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Schema:
    name: str
    description: str
    fields: list[Field]


@dataclass(frozen=True)
class Body:
    media_type: str
    schema: str


@dataclass(frozen=True)
class Answer:
    status: str
    description: str
    media_types: list[Body]
    headers: list[str]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    parameters: list[Field] = field(default_factory=list)
    request_description: str = ""
    request_bodies: list[Body] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)


def type_of(schema: dict[str, Any]) -> str:
    """A short readable type: `VerificationReportOut`, `array of CheckOut`, `string (uri)`, or
    the alternatives of a oneOf / anyOf."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for combiner in ("oneOf", "anyOf"):
        if combiner in schema:
            return " | ".join(str(item.get("title") or type_of(item))
                              for item in schema[combiner])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(repr(value) for value in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def operations(document: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {})
            found.append(Operation(
                method=method.upper(), path=path,
                anchor=f"{method}-{path.strip('/').replace('/', '-')}",
                summary=operation.get("summary", ""),
                description=operation.get("description", ""),
                parameters=[Field(p.get("name", ""), f"{p.get('in', '')}: "
                                  f"{type_of(p.get('schema', {}))}", bool(p.get("required")),
                                  p.get("description", ""))
                            for p in operation.get("parameters", [])],
                request_description=body.get("description", ""),
                request_bodies=[Body(media, type_of(content.get("schema", {})))
                                for media, content in body.get("content", {}).items()],
                answers=[Answer(str(status), answer.get("description", ""),
                                [Body(media, type_of(content.get("schema", {})))
                                 for media, content in answer.get("content", {}).items()],
                                sorted(answer.get("headers", {})))
                         for status, answer in sorted(operation.get("responses", {}).items())],
            ))
    return found


def schemas(document: dict[str, Any]) -> list[Schema]:
    found = []
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        found.append(Schema(name, schema.get("description", ""), [
            Field(field_name, type_of(spec), field_name in required, spec.get("description", ""))
            for field_name, spec in schema.get("properties", {}).items()]))
    return found


async def api_docs(request: Request) -> Response:
    document = request.app.openapi()
    return render(request, "api_docs.html", {
        "info": document.get("info", {}), "operations": operations(document),
        "schemas": schemas(document), "openapi_url": request.app.openapi_url,
    })
