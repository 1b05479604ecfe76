"""Hypothesis strategies from the JSON Schemas of the sandbox's OpenAPI document.

Only the keywords the document uses for requests are known; an unknown keyword raises, so a
later edit of the document can't silently narrow what is fuzzed. Documented ``examples`` are
drawn too, so realistic values (a known address, a real id) reach the handlers.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.sandbox._openapi import resolve

__all__ = ["from_schema"]

_ANNOTATIONS = frozenset({"title", "description", "default", "contentMediaType"})
_KNOWN = _ANNOTATIONS | {
    "$ref", "type", "properties", "required", "items", "enum", "oneOf", "anyOf",
    "minLength", "maxLength", "minimum", "format", "examples",
}  # fmt: skip


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Return a strategy for values that conform to ``schema``."""
    schema = resolve(schema)
    unknown = set(schema) - _KNOWN
    if unknown:
        raise NotImplementedError(f"the fuzzer does not know {sorted(unknown)}")
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for keyword in ("oneOf", "anyOf"):
        if keyword in schema:
            return st.one_of([from_schema(branch) for branch in schema[keyword]])
    kinds = schema.get("type", "string")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    strategy = st.one_of([_typed(kind, schema) for kind in kinds])
    if schema.get("examples"):
        strategy = st.sampled_from(schema["examples"]) | strategy
    return strategy


def _typed(kind: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if kind == "string":
        if schema.get("format") == "email":
            return st.emails()
        return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 30))
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum"), max_value=10**6)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=4)
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {name: from_schema(sub) for name, sub in properties.items() if name in required},
            optional={
                name: from_schema(sub) for name, sub in properties.items() if name not in required
            },
        )
    raise NotImplementedError(f"the fuzzer does not know type {kind!r}")
