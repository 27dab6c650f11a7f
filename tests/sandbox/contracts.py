"""Checking a twin's answer against a vendor's published schema.

:func:`contract_errors` is what the contract tests assert empty: the answer validates against
the schema (types, enums, formats, bounds: jsonschema), carries no field the schema does not
declare (unless listed as a known, documented omission of the schema), and has every field the
test requires. Empty strings pass the ``email`` format because Zoom documents them for hidden
emails.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

HERE = Path(__file__).resolve().parent


FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return "T" in value


@FORMATS.checks("email")
def _email(value: object) -> bool:
    return not isinstance(value, str) or value == "" or "@" in value


def vendor_file(name: str) -> dict[str, Any]:
    """A vendor schema file kept beside the tests (each says where its content comes from)."""
    data: dict[str, Any] = json.loads((HERE / name).read_text())
    return data


def zoom_operation(name: str) -> dict[str, Any]:
    """The success-response schema of one Zoom operation (``zoom_schemas.json``)."""
    schema: dict[str, Any] = vendor_file("zoom_schemas.json")["operations"][name]
    return schema


def tap_zoom(name: str) -> dict[str, Any]:
    """One of tap-zoom's record schemas (``zoom_schemas.json``)."""
    schema: dict[str, Any] = vendor_file("zoom_schemas.json")["tap_zoom"][name]
    return schema


def undeclared(schema: Mapping[str, Any], value: Any, path: str = "") -> list[str]:
    """Paths of object keys in ``value`` that ``schema`` does not declare (where it lists properties)."""
    found: list[str] = []
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        props = schema["properties"]
        for key, item in value.items():
            if key not in props:
                found.append(f"{path}.{key}".lstrip("."))
            else:
                found.extend(undeclared(props[key], item, f"{path}.{key}"))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value[:50]):
            found.extend(undeclared(schema["items"], item, f"{path}[{index}]"))
    return found


def contract_errors(
    schema: Mapping[str, Any],
    body: Any,
    *,
    required: Iterable[str] = (),
    item_key: str | None = None,
    item_schema: Mapping[str, Any] | None = None,
    item_required: Iterable[str] = (),
    known_omissions: Iterable[str] = (),
) -> list[str]:
    """Everything wrong with ``body`` for ``schema``; empty when the answer keeps the contract.

    ``required``: top-level keys that must be there. ``item_key``: the list of records, whose
    items must also have ``item_required`` and validate against ``item_schema`` (e.g. tap-zoom's,
    which forbids undeclared fields itself). ``known_omissions``: field names the vendor sends
    although its schema omits them (matched on the last path segment).
    """
    errors = [
        f"{'/'.join(map(str, e.path))}: {e.message}"
        for e in Draft7Validator(schema, format_checker=FORMATS).iter_errors(body)
    ]
    skip = set(known_omissions)
    errors += [
        f"{p}: not declared by the schema" for p in undeclared(schema, body) if p.split(".")[-1] not in skip
    ]
    if not isinstance(body, dict):
        return [*errors, "the answer is not a JSON object"]
    errors += [f"{key}: missing" for key in required if key not in body]
    items = body.get(item_key, []) if item_key else []
    for index, item in enumerate(items[:50]):
        errors += [f"{item_key}[{index}].{key}: missing" for key in item_required if key not in item]
        if item_schema is not None:
            validator = Draft7Validator(item_schema, format_checker=FORMATS)
            errors += [f"{item_key}[{index}]: {e.message}" for e in validator.iter_errors(item)]
    return errors


def example_schema(example: Any) -> dict[str, Any]:
    """A schema from a documented example object: the example's keys, each with its value's type.

    A null example value says nothing about the type; ``_``-prefixed keys of the samples (notes
    added by whoever transcribed them) are ignored.
    """
    if isinstance(example, dict):
        props = {k: example_schema(v) for k, v in example.items() if not k.startswith("_") or k == "_type"}
        return {"type": "object", "properties": props}
    if isinstance(example, list):
        return {"type": "array", "items": example_schema(example[0])} if example else {"type": "array"}
    if example is None:
        return {}
    kind = {bool: "boolean", int: "integer", float: "number", str: "string"}[type(example)]
    return {"type": [kind, "null"]}


def merge_schemas(*schemas: Mapping[str, Any]) -> dict[str, Any]:
    """Several example schemas of one object as one (properties united, the first type wins)."""
    merged: dict[str, Any] = {}
    for schema in schemas:
        for key, value in schema.items():
            if key == "properties":
                props = merged.setdefault("properties", {})
                for name, sub in value.items():
                    props[name] = merge_schemas(props.get(name, {}), sub)
            elif key == "items":
                merged["items"] = merge_schemas(merged.get("items", {}), value)
            else:
                merged.setdefault(key, value)
    return merged
