"""The README's suppressions table is the real one: every suppression in code is listed, with its reason.

Synthesized with every optional construct switched on (the GitHub deploy role exists only when
``githubRepository`` is set), so a suppression cannot hide behind a default.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fraud_constructs.policy import list_suppressions, suppressions_markdown
from stacks.config import load_config

pytestmark = pytest.mark.synth

SECURITY_DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"


def test_readme_lists_every_suppression_with_its_reason() -> None:
    from stacks.assembly import build_app

    config = load_config(
        {"imageTag": "src-0123456789abcdef", "githubRepository": "example/fraud", "alertEmail": "ops@example.com"}, {}
    )
    assembly = build_app(config, image_tag="src-0123456789abcdef")
    suppressions = list_suppressions(assembly.app)
    assert suppressions, "expected the deploy role's documented suppressions"
    assert suppressions_markdown(suppressions) in SECURITY_DOC.read_text()
