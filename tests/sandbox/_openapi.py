"""Check a response against the packaged OpenAPI document, without a JSON Schema library.

The validator knows only the keywords that ``notifiedby/sandbox/openapi.json`` uses. An
unknown keyword fails loudly, so a later edit of the document can't be silently ignored.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import requests

__all__ = ["ApiOperation", "check_response", "document", "find_operation", "resolve", "validate"]

#: Keywords the validator understands; annotations are accepted and ignored.
_ANNOTATIONS = frozenset({"title", "description", "examples", "default", "contentMediaType"})
_KEYWORDS = frozenset(
    {
        "$ref",
        "type",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "enum",
        "anyOf",
        "oneOf",
        "minProperties",
        "minItems",
        "minimum",
        "minLength",
        "maxLength",
        "pattern",
        "format",
    }
)
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@cache
def document() -> dict[str, Any]:
    """Return the OpenAPI document shipped in the package."""
    text = resources.files("notifiedby.sandbox").joinpath("openapi.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` within the document until a schema without one."""
    while "$ref" in node:
        target: Any = document()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def validate(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Return the ways ``value`` breaks ``schema`` (empty when it conforms)."""
    schema = resolve(schema)
    unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
    if unknown:
        msg = f"the test validator does not know {sorted(unknown)} (at {where})"
        raise NotImplementedError(msg)
    errors: list[str] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(value, name) for name in names):
            return [f"{where}: {value!r} is not of type {schema['type']}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} is not one of {schema['enum']}")
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            results = [validate(value, branch, where) for branch in schema[keyword]]
            passing = sum(1 for result in results if not result)
            if passing == 0 or (keyword == "oneOf" and passing > 1):
                errors.append(f"{where}: {passing} branches of {keyword} match {value!r}")
    if isinstance(value, dict):
        errors += _validate_object(value, schema, where)
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{where}: fewer than {schema['minItems']} items")
        if "items" in schema:
            for index, item in enumerate(value):
                errors += validate(item, schema["items"], f"{where}[{index}]")
    if isinstance(value, str):
        errors += _validate_string(value, schema, where)
    if _is_type(value, "number") and value < schema.get("minimum", value):
        errors.append(f"{where}: {value} is below {schema['minimum']}")
    return errors


def _validate_object(value: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    errors = [f"{where}: missing {key!r}" for key in schema.get("required", ()) if key not in value]
    if len(value) < schema.get("minProperties", 0):
        errors.append(f"{where}: fewer than {schema['minProperties']} properties")
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            errors += validate(item, properties[key], f"{where}.{key}")
        elif extra is False:
            errors.append(f"{where}: unexpected property {key!r}")
        elif isinstance(extra, dict):
            errors += validate(item, extra, f"{where}.{key}")
    return errors


def _validate_string(value: str, schema: dict[str, Any], where: str) -> list[str]:
    errors = []
    if len(value) < schema.get("minLength", 0):
        errors.append(f"{where}: {value!r} is shorter than {schema['minLength']}")
    if len(value) > schema.get("maxLength", len(value)):
        errors.append(f"{where}: {value!r} is longer than {schema['maxLength']}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
    fmt = schema.get("format")
    if fmt == "uri" and not urlsplit(value).scheme:
        errors.append(f"{where}: {value!r} is not an absolute URI")
    if fmt == "email" and "@" not in value:
        errors.append(f"{where}: {value!r} is not an email address")
    return errors


class ApiOperation:
    """One path of the document, matched against a concrete request path."""

    def __init__(self, template: str, item: dict[str, Any]) -> None:
        #: The path as the document spells it, e.g. ``/v1/email/detail/{id}/``.
        self.template = template
        #: The path item: lower-case method -> operation.
        self.item = item

    def responses(self, method: str) -> dict[str, Any] | None:
        """Return the documented responses of ``method``, or None when it isn't documented."""
        operation = self.item.get(method.lower())
        return None if operation is None else dict(operation["responses"])


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    body = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(f"^{body}$")


def find_operation(path: str) -> ApiOperation | None:
    """Return the documented path that ``path`` (no query string) matches, if any."""
    paths: dict[str, Any] = document()["paths"]
    # Literal paths win over templated ones, as an OpenAPI router must do.
    for template in sorted(paths, key=lambda t: "{" in t):
        if _template_regex(template).match(path):
            return ApiOperation(template, paths[template])
    return None


def _body_json(response: requests.Response) -> Any:
    content_type = response.headers.get("Content-Type", "")
    assert content_type.split(";")[0].strip() == "application/json", (
        f"{response.status_code} answer is {content_type!r}, not JSON: {response.text[:200]!r}"
    )
    try:
        return response.json()
    except ValueError as exc:  # requests' JSONDecodeError derives from ValueError
        raise AssertionError(
            f"{response.status_code} answer is not JSON: {response.text!r}"
        ) from exc


def check_response(response: requests.Response) -> None:
    """Assert that ``response`` is what the document says its request may get."""
    request = response.request
    path = urlsplit(request.url or "").path
    method = (request.method or "GET").upper()
    # The control surface and the web inbox are the sandbox's own, not the API's.
    if path.startswith(("/_sandbox/", "/inbox/")) or path == "/" or method in ("HEAD", "OPTIONS"):
        return
    assert "Traceback" not in response.text, response.text
    operation = find_operation(path)
    if operation is None:
        assert response.status_code == 404, f"{method} {path}: unknown path got {response}"
        assert validate(_body_json(response), {"$ref": "#/components/schemas/Detail"}) == []
        return
    documented = operation.responses(method)
    if documented is None:
        assert response.status_code == 405, f"{method} {path}: undocumented method got {response}"
        assert validate(_body_json(response), {"$ref": "#/components/schemas/Detail"}) == []
        return
    status = str(response.status_code)
    spec = documented.get(status) or documented.get(status[0] + "XX") or documented.get("default")
    assert spec is not None, f"{method} {operation.template}: {status} is not documented"
    spec = resolve(spec)
    content = spec.get("content")
    if content is None:
        assert response.content == b"", f"{method} {path}: {status} should have no body"
        return
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    assert content_type in content, f"{method} {path}: {status} answered {content_type!r}"
    if content_type == "application/json":
        errors = validate(_body_json(response), content[content_type]["schema"])
        assert errors == [], f"{method} {path} -> {status}: {errors}"
