"""The API reference, rendered on the server from the OpenAPI document the API serves.

The document is read through the API's own view (``api.openapi``, what ``/api/v1/openapi.json``
answers, with every part merged into it), never copied: an operation, a parameter, a schema or
an error added to the API appears here at the next request. This module only turns the document
into plain data for the template (anchors, type labels, links between schemas).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import current_app
from markupsafe import Markup, escape

from portal.api.problems import TITLES

METHODS = ("get", "post", "put", "patch", "delete")
_CODE_SPAN = re.compile(r"`([^`]+)`")


def served_document() -> dict:
    """The OpenAPI document exactly as ``GET /api/v1/openapi.json`` serves it."""
    return current_app.view_functions["api.openapi"]().get_json()


def code_spans(text: str | None) -> Markup:
    """A description with its Markdown code spans (`code`) as <code>, everything else escaped."""
    return Markup(_CODE_SPAN.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(text or ""))))


def schema_anchor(name: str) -> str:
    return "schema-" + name


def operation_anchor(method: str, path: str, operation_id: str | None) -> str:
    return "op-" + (operation_id or re.sub(r"[^A-Za-z0-9]+", "-", f"{method}{path}").strip("-"))


@dataclass(frozen=True)
class TypePart:
    """A piece of a type label: text, and the anchor of the schema it names, if any."""

    text: str
    anchor: str | None = None


def type_label(schema: dict | None) -> list[TypePart]:
    """A short, readable label of a JSON schema ("array of string", "LookupRequest", "one of
    ..."), with the named schemas linked."""
    if not schema:
        return [TypePart("any")]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [TypePart(name, schema_anchor(name))]
    for combiner, word in (("oneOf", "one of"), ("anyOf", "any of"), ("allOf", "all of")):
        if combiner in schema:
            parts = [TypePart(word + " (")]
            for index, variant in enumerate(schema[combiner]):
                if index:
                    parts.append(TypePart(" | "))
                parts.extend(type_label(variant))
            return parts + [TypePart(")")]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        return [TypePart("array of ")] + type_label(schema.get("items"))
    if kind == "object" and schema.get("properties"):
        return [TypePart("object {" + ", ".join(schema["properties"]) + "}")]
    text = kind or "any"
    if "const" in schema:
        text += f" = {schema['const']}"
    if schema.get("format"):
        text += f" ({schema['format']})"
    return [TypePart(text)]


def constraints(schema: dict | None) -> list[str]:
    """What limits a value: allowed values, bounds, pattern, examples."""
    schema = schema or {}
    found = []
    if "enum" in schema:
        found.append("one of: " + ", ".join(str(v) for v in schema["enum"]))
    for key, word in (("minimum", "minimum"), ("maximum", "maximum"), ("minItems", "at least"),
                      ("maxItems", "at most"), ("minLength", "min. length"), ("pattern", "pattern"),
                      ("contentEncoding", "encoding")):
        if key in schema:
            found.append(f"{word} {schema[key]}")
    if "examples" in schema:
        found.append("e.g. " + ", ".join(str(v) for v in schema["examples"]))
    items = schema.get("items")
    if isinstance(items, dict) and "enum" in items:
        found.append("items one of: " + ", ".join(str(v) for v in items["enum"]))
    return found


@dataclass(frozen=True)
class Field:
    name: str
    type: list[TypePart]
    required: bool
    description: str | None
    constraints: list[str]
    location: str | None = None  # for parameters: path, query, header


@dataclass(frozen=True)
class Body:
    media_type: str
    type: list[TypePart]
    example: str | None = None


@dataclass(frozen=True)
class Answer:
    status: str
    description: str | None
    bodies: list[Body]
    headers: list[str]
    problem_codes: list[str]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str | None
    anchor: str
    summary: str | None
    description: str | None
    scopes: list[str]
    public: bool
    parameters: list[Field]
    request_bodies: list[Body]
    answers: list[Answer]


@dataclass(frozen=True)
class Schema:
    name: str
    anchor: str
    description: str | None
    type: list[TypePart]
    fields: list[Field] = field(default_factory=list)
    variants: list[list[Field]] = field(default_factory=list)


def _resolve(document: dict, value: dict) -> dict:
    ref = value.get("$ref")
    if not ref or not ref.startswith("#/"):
        return value
    target = document
    for part in ref[2:].split("/"):
        target = target[part]
    return target


def _bodies(content: dict | None) -> list[Body]:
    bodies = []
    for media_type, media in (content or {}).items():
        example = media.get("example")
        bodies.append(Body(media_type, type_label(media.get("schema")), example if isinstance(example, str) else None))
    return bodies


_PROBLEM_CODE = re.compile(r"`([a-z][a-z_]+)`")


def _scopes(security: list | None) -> tuple[list[str], bool]:
    if security is None:
        return [], False
    scopes = sorted({scope for requirement in security for scopes in requirement.values() for scope in scopes})
    public = any(not requirement for requirement in security) or security == []
    return scopes, public


def operations(document: dict) -> list[Operation]:
    """Every operation of the document, in its order."""
    found = []
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            parameters = []
            for raw in [*shared, *op.get("parameters", [])]:
                parameter = _resolve(document, raw)
                schema = parameter.get("schema")
                parameters.append(Field(parameter["name"], type_label(schema), bool(parameter.get("required")),
                                        parameter.get("description"), constraints(_resolve(document, schema or {})),
                                        parameter.get("in")))
            body = _resolve(document, op.get("requestBody") or {})
            answers = []
            for status, raw in op.get("responses", {}).items():
                answer = _resolve(document, raw)
                content = answer.get("content") or {}
                codes = [code for code in _PROBLEM_CODE.findall(answer.get("description") or "")
                         if code in TITLES] if any("problem" in media for media in content) else []
                answers.append(Answer(status, answer.get("description"), _bodies(content),
                                      sorted(answer.get("headers") or {}), codes))
            scopes, public = _scopes(op.get("security", document.get("security")))
            found.append(Operation(method.upper(), path, op.get("operationId"),
                                   operation_anchor(method, path, op.get("operationId")), op.get("summary"),
                                   op.get("description"), scopes, public or not scopes, parameters,
                                   _bodies(body.get("content")), answers))
    return found


def _fields(document: dict, schema: dict) -> list[Field]:
    required = set(schema.get("required") or ())
    return [Field(name, type_label(prop), name in required, prop.get("description"),
                  constraints(_resolve(document, prop)))
            for name, prop in (schema.get("properties") or {}).items()]


def schemas(document: dict) -> list[Schema]:
    """Every schema of ``components.schemas``, in the document's order."""
    found = []
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        variants = [_fields(document, _resolve(document, v)) for v in schema.get("oneOf", [])
                    if _resolve(document, v).get("properties")]
        found.append(Schema(name, schema_anchor(name), schema.get("description"), type_label(
            {k: v for k, v in schema.items() if k != "properties"} if "oneOf" not in schema else schema),
            _fields(document, schema), variants))
    return found


def security_schemes(document: dict) -> list[tuple[str, str]]:
    described = []
    for name, scheme in document.get("components", {}).get("securitySchemes", {}).items():
        text = scheme.get("scheme") or scheme.get("type")
        flows = scheme.get("flows", {}).get("clientCredentials")
        if flows:
            text += ": client credentials at " + flows["tokenUrl"] + "; scopes " + ", ".join(
                f"{scope} ({what})" for scope, what in flows.get("scopes", {}).items())
        described.append((name, text))
    return described
