"""Lookups by construct path in synthesized JSON (for the compute/API/schedule/alarm tests)."""

from __future__ import annotations

import json
from typing import Any

from tests.tfjson import data_sources, resources


def by_path(doc: dict, resource_type: str, path: str) -> dict[str, Any]:
    """The resource of ``resource_type`` whose construct path is ``path`` (e.g. ``app/compute/webhook/function``)."""
    found = {
        name: config
        for name, config in resources(doc, resource_type).items()
        if config.get("//", {}).get("metadata", {}).get("path") == path
    }
    assert len(found) == 1, f"no single {resource_type} at {path}: {sorted(resources(doc, resource_type))}"
    return next(iter(found.values()))


def address(doc: dict, resource_type: str, path: str) -> str:
    """``<type>.<logical name>`` of the resource at ``path``."""
    for name, config in resources(doc, resource_type).items():
        if config.get("//", {}).get("metadata", {}).get("path") == path:
            return f"{resource_type}.{name}"
    raise AssertionError(f"no {resource_type} at {path}")


def ref(doc: dict, resource_type: str, path: str, attribute: str) -> str:
    """``${type.name.attribute}`` of the resource at ``path``."""
    return "${" + address(doc, resource_type, path) + "." + attribute + "}"


def document_statements(doc: dict, path: str) -> list[dict[str, Any]]:
    """Statements of the ``aws_iam_policy_document`` data source at ``path``."""
    for config in data_sources(doc, "aws_iam_policy_document").values():
        if config.get("//", {}).get("metadata", {}).get("path") == path:
            return config.get("statement", [])
    raise AssertionError(f"no policy document at {path}")


def statements_by_sid(doc: dict, path: str) -> dict[str, dict[str, Any]]:
    return {s["sid"]: s for s in document_statements(doc, path)}


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
