"""constructs/README.md documents every construct module of fraud_constructs ("Default settings")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[2] / "constructs" / "fraud_constructs"
README = PACKAGE.parent / "README.md"


def construct_modules() -> list[str]:
    """Modules that define a construct class (read from the source: no provider import)."""
    found = []
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text())
        bases = {
            getattr(base, "id", None) for node in tree.body if isinstance(node, ast.ClassDef) for base in node.bases
        }
        if bases & {"Construct", "SecureBucket"}:
            found.append(path.stem)
    return found


def default_settings_section() -> str:
    text = README.read_text()
    assert "## Default settings" in text
    return text.split("## Default settings", 1)[1].split("\n## ", 1)[0]


def test_the_scan_finds_the_constructs() -> None:
    assert {"secure_table", "container_function", "alarms", "webhook_api", "audit_bucket"} <= set(construct_modules())


@pytest.mark.parametrize("module", construct_modules())
def test_every_construct_module_has_a_default_settings_entry(module: str) -> None:
    section = default_settings_section()
    assert f"### `{module}`" in section, f"constructs/README.md: add a Default settings entry for {module}"
    entry = section.split(f"### `{module}`", 1)[1].split("\n### ", 1)[0]
    assert len(entry.split()) >= 15, f"{module}: say what a user gets without reading the code"


def test_the_library_holds_no_app_fact() -> None:
    """The line: no module of the library imports the app's contract or names its resources."""
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text()
        assert "fraud_detection" not in source, f"{path.name} imports the app's contract"
        for fact in ('"by_window"', '"FraudDetection"', '"audit/"', '"fraud-detection"', "rate(5 minutes)"):
            assert fact not in source, f"{path.name} holds the app fact {fact}"
