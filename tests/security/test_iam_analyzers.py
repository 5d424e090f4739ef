"""parliament (1.6.4, community auditors on) and cloudsplaining (0.9.1, scan-policy-file) over every
identity policy of every variant: zero findings beyond the reviewed exclusions, and canaries that must
be reported.

Both run from their own venv (.tools/iam-analyzers, ``make tools``), in one process of
``iam_analyzers_driver.py``: their pins conflict with the app's and with checkov's.
Exclusions: ``iam_analyzer_exclusions.yaml`` (policy, tool, finding type, exact action set, reason);
an exclusion that matches nothing fails, so the file cannot rot.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import VARIANTS
from tests.security.tool_venv import require_tool

from .iam_evaluator import IAM_WRITE_ACTIONS
from .iam_render import VariantPolicies, iter_documents

pytestmark = pytest.mark.tool


ROOT = Path(__file__).resolve().parents[2]
TOOL_PYTHON = Path(os.environ.get("IAM_ANALYZERS_PYTHON", ROOT / ".tools" / "iam-analyzers" / "bin" / "python"))
DRIVER = Path(__file__).with_name("iam_analyzers_driver.py")
EXCLUSIONS = Path(__file__).with_name("iam_analyzer_exclusions.yaml")
TOOLS = ("parliament", "cloudsplaining")
MIN_REASON_CHARS = 40


def _policy(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# Canaries: each must be reported exactly as asserted below.
CANARIES: Mapping[str, Mapping[str, Any]] = {
    "canary/passrole-lambda": _policy(
        {
            "Effect": "Allow",
            "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
            "Resource": "*",
        }
    ),
    "canary/unknown-action": _policy({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::b/*"}),
    "canary/malformed-arn": _policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:b"}),
    # parliament 1.6.4 crashes on a Bool condition whose value is a list: the driver scalarizes it.
    "canary/bool-list": _policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
            "Condition": {"Bool": {"aws:SecureTransport": ["true"]}},
        }
    ),
}


def _tool_python() -> Path:
    return require_tool(TOOL_PYTHON, "iam-analyzers", "tools/install_iam_analyzers.sh")


def run_analyzers(policies: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """``{policy name: {tool: [finding]}}`` from one driver process; fails the test on a tool error."""
    result = subprocess.run(
        [str(_tool_python()), str(DRIVER)],
        input=json.dumps({"policies": policies}),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"iam analyzers crashed ({result.returncode}):\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    assert report["versions"] == {"parliament": "1.6.4", "cloudsplaining": "0.9.1"}
    return report["results"]


_TEXT_ACTIONS = (
    re.compile(r"due to (\S+) not being allowed, but does allow (\S+)"),  # RESOURCE_POLICY_PRIVILEGE_ESCALATION
    re.compile(r"for action (\S+)"),  # UNKNOWN_CONDITION_FOR_ACTION
)


def finding_key(tool: str, finding: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """``(finding type, sorted lower-case action set)`` of one finding. parliament's actions come from
    its detail or location; for findings that name none (e.g. MISMATCHED_TYPE_BUT_USABLE), the actions
    of the statement the finding points at (the driver attributes its column to a statement)."""
    if tool == "cloudsplaining":
        return str(finding["type"]), tuple(sorted({a.lower() for a in finding["actions"]}))
    location = finding.get("location") or {}
    kind = str(finding["issue"])
    if location.get("type"):
        kind = f"{kind}:{location['type']}"
    actions: set[str] = set()
    detail = finding.get("detail")
    if isinstance(detail, list):
        actions |= {str(d["action"] if isinstance(d, Mapping) else d) for d in detail}
    elif isinstance(detail, str):
        for pattern in _TEXT_ACTIONS:
            for match in pattern.finditer(detail):
                actions |= set(match.groups())
    actions |= {str(a) for a in location.get("actions") or ()}
    if kind == "UNKNOWN_ACTION" and location.get("string"):
        actions.add(str(location["string"]))
    if not actions:
        actions |= {str(a) for a in location.get("statement_actions") or ()}
    return kind, tuple(sorted(a.lower() for a in actions))


def merged(tool: str, findings: list[Mapping[str, Any]]) -> dict[str, tuple[str, ...]]:
    """One policy's findings of one tool: finding type -> the union of their action sets (what an
    exclusion names: a new action under an excluded type changes the set, so it is not excluded)."""
    out: dict[str, set[str]] = {}
    for finding in findings:
        kind, actions = finding_key(tool, finding)
        out.setdefault(kind, set()).update(actions)
    return {kind: tuple(sorted(actions)) for kind, actions in sorted(out.items())}


def _details(tool: str, findings: list[Mapping[str, Any]], kind: str) -> str:
    if tool != "parliament":
        return ""
    texts = sorted(
        {
            str(f.get("detail"))
            for f in findings
            if finding_key(tool, f)[0] == kind and isinstance(f.get("detail"), str) and f.get("detail")
        }
    )
    return "".join(f"\n      {t}" for t in texts)


@dataclass(frozen=True)
class Exclusion:
    tool: str
    policy: str  # construct path (the policy name without the variant)
    variants: tuple[str, ...]
    finding: str
    actions: tuple[str, ...]  # sorted, lower case
    reason: str

    def matches(self, tool: str, name: str, kind: str, actions: tuple[str, ...]) -> bool:
        variant, _, policy = name.partition("/")
        return (
            tool == self.tool
            and variant in self.variants
            and policy == self.policy
            and (kind, actions) == (self.finding, self.actions)
        )


@cache
def load_exclusions() -> tuple[Exclusion, ...]:
    raw = yaml.safe_load(EXCLUSIONS.read_text()) or []
    assert isinstance(raw, list), f"{EXCLUSIONS.name}: a list of exclusions"
    out = []
    for entry in raw:
        assert set(entry) == {"tool", "policy", "variants", "finding", "actions", "reason"}, entry
        out.append(
            Exclusion(
                tool=str(entry["tool"]),
                policy=str(entry["policy"]),
                variants=tuple(entry["variants"]),
                finding=str(entry["finding"]),
                actions=tuple(sorted(str(a).lower() for a in entry["actions"])),
                reason=" ".join(str(entry["reason"]).split()),
            )
        )
    return tuple(out)


@pytest.fixture(scope="session")
def analyzer_results(rendered: Callable[[str], VariantPolicies]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every identity policy of every variant plus the canaries, one driver run."""
    policies: dict[str, Mapping[str, Any]] = dict(CANARIES)
    for variant in VARIANTS:
        documents = dict(iter_documents(rendered(variant)))
        assert documents, f"{variant}: no identity policy rendered"
        policies |= documents
    return run_analyzers(policies)


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_no_findings_beyond_exclusions(
    variant: str, tool: str, analyzer_results: dict[str, dict[str, list[dict[str, Any]]]]
) -> None:
    names = [n for n in analyzer_results if n.startswith(f"{variant}/")]
    assert names
    open_findings = [
        f"  {name}: {kind} {list(actions)}{_details(tool, analyzer_results[name][tool], kind)}"
        for name in names
        for kind, actions in merged(tool, analyzer_results[name][tool]).items()
        if not any(e.matches(tool, name, kind, actions) for e in load_exclusions())
    ]
    assert not open_findings, f"{len(open_findings)} {tool} findings on {variant}:\n" + "\n".join(open_findings)


def test_every_exclusion_still_matches(analyzer_results: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    """Each exclusion matches a finding in every variant it lists (otherwise: delete or narrow it)."""
    stale = [
        f"{e.tool} {e.finding} {list(e.actions)} on {variant}/{e.policy}"
        for e in load_exclusions()
        for variant in e.variants
        if not any(
            e.matches(e.tool, f"{variant}/{e.policy}", kind, actions)
            for kind, actions in merged(
                e.tool, analyzer_results.get(f"{variant}/{e.policy}", {}).get(e.tool, [])
            ).items()
        )
    ]
    assert not stale, "exclusions that match nothing:\n" + "\n".join(stale)


def test_exclusions_are_reviewed() -> None:
    exclusions = load_exclusions()
    keys = [(e.tool, e.policy, e.finding, e.actions) for e in exclusions]
    assert len(keys) == len(set(keys)), "duplicate exclusion"
    for e in exclusions:
        assert e.tool in TOOLS, e
        assert e.variants and set(e.variants) <= set(VARIANTS), e
        assert e.actions, f"{e.policy} {e.finding}: name the exact action set"
        assert len(e.reason) >= MIN_REASON_CHARS, f"{e.policy} {e.finding}: reason missing or too short"


def test_every_identity_policy_was_analyzed(
    rendered: Callable[[str], VariantPolicies], analyzer_results: dict[str, dict[str, list[dict[str, Any]]]]
) -> None:
    for variant in VARIANTS:
        for name, _ in iter_documents(rendered(variant)):
            assert set(analyzer_results[name]) == set(TOOLS), name


def test_cloudsplaining_canary(analyzer_results: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    found = {finding_key("cloudsplaining", f) for f in analyzer_results["canary/passrole-lambda"]["cloudsplaining"]}
    assert (
        "PrivilegeEscalation:PassExistingRoleToNewLambdaThenInvoke",
        ("iam:passrole", "lambda:createfunction", "lambda:invokefunction"),
    ) in found


def test_parliament_canaries(analyzer_results: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    def issues(name: str) -> set[tuple[str, tuple[str, ...]]]:
        return {finding_key("parliament", f) for f in analyzer_results[name]["parliament"]}

    assert ("UNKNOWN_ACTION", ("s3:getobjekt",)) in issues("canary/unknown-action")
    invalid = [f for f in analyzer_results["canary/malformed-arn"]["parliament"] if f["issue"] == "INVALID_ARN"]
    assert [f["location"]["string"] for f in invalid] == ["arn:aws:s3:b"]
    assert (
        "PRIVILEGE_ESCALATION:PassExistingRoleToNewLambdaThenInvoke",
        ("iam:passrole", "lambda:createfunction", "lambda:invokefunction"),
    ) in issues("canary/passrole-lambda")
    # The Bool list was analyzed (no crash) and is not a finding.
    assert analyzer_results["canary/bool-list"]["parliament"] == []


def test_parliament_still_needs_the_bool_workaround() -> None:
    """Unmodified, parliament 1.6.4 crashes on the Bool-list canary; when it stops, drop the workaround."""
    code = (
        "import json, sys\n"
        "from parliament import analyze_policy_string\n"
        "analyze_policy_string(sys.stdin.read(), 'raw', include_community_auditors=True)\n"
    )
    result = subprocess.run(
        [str(_tool_python()), "-c", code],
        input=json.dumps(CANARIES["canary/bool-list"]),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0 and "JSONConfigNodeTypeError" in result.stderr


def test_write_action_catalog_is_complete() -> None:
    """The evaluator's IAM write actions = policy_sentry's Write, Permissions management and Tagging
    actions on role, policy and oidc-provider (policy_sentry ships with cloudsplaining)."""
    code = (
        "import json\n"
        "from policy_sentry.querying.actions import get_actions_with_arn_type_and_access_level as get\n"
        "levels = ('Write', 'Permissions management', 'Tagging')\n"
        "print(json.dumps({t: sorted({a for lvl in levels for a in get('iam', t, lvl)})"
        " for t in ('role', 'policy', 'oidc-provider')}))\n"
    )
    result = subprocess.run([str(_tool_python()), "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(result.stdout) == {kind: sorted(actions) for kind, actions in IAM_WRITE_ACTIONS.items()}


def test_exclusion_matches_only_its_exact_action_set() -> None:
    exclusion = Exclusion("parliament", "app/x", ("dev",), "RESOURCE_STAR", ("s3:getobject",), "r" * 40)
    assert exclusion.matches("parliament", "dev/app/x", "RESOURCE_STAR", ("s3:getobject",))
    assert not exclusion.matches("parliament", "dev/app/x", "RESOURCE_STAR", ("s3:getobject", "s3:putobject"))
    assert not exclusion.matches("parliament", "prod/app/x", "RESOURCE_STAR", ("s3:getobject",))
    assert not exclusion.matches("cloudsplaining", "dev/app/x", "RESOURCE_STAR", ("s3:getobject",))
    assert not exclusion.matches("parliament", "dev/app/y", "RESOURCE_STAR", ("s3:getobject",))
    merged_kinds = merged(
        "parliament",
        [
            {"issue": "RESOURCE_STAR", "detail": ["s3:GetObject"], "location": {}},
            {"issue": "RESOURCE_STAR", "detail": ["s3:PutObject"], "location": {}},
        ],
    )
    assert merged_kinds == {"RESOURCE_STAR": ("s3:getobject", "s3:putobject")}


def test_the_clis_agree_on_the_canaries(tmp_path: Path) -> None:
    """The driver runs what the CLIs run: the real ``cloudsplaining scan-policy-file`` and
    ``parliament --include-community-auditors`` report the same canary findings."""
    bin_dir = _tool_python().parent
    passrole = tmp_path / "passrole.json"
    passrole.write_text(json.dumps(CANARIES["canary/passrole-lambda"]))
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps(CANARIES["canary/unknown-action"]))
    scan = subprocess.run(
        [str(bin_dir / "cloudsplaining"), "scan-policy-file", "--input-file", str(passrole)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert scan.returncode == 0, scan.stderr[-2000:]
    assert "Method: PassExistingRoleToNewLambdaThenInvoke" in scan.stdout
    lint = subprocess.run(
        [str(bin_dir / "parliament"), "--files", str(unknown), "--include-community-auditors", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert lint.returncode == 1, lint.stderr[-2000:]  # 1 = findings
    issues = [json.loads(line)["issue"] for line in lint.stdout.splitlines() if line.strip()]
    assert "UNKNOWN_ACTION" in issues
