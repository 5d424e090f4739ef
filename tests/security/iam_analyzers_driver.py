"""Runs parliament and cloudsplaining over many policies in ONE process of the tool venv.

Executed by tests/security/test_iam_analyzers.py as
``.tools/iam-analyzers/bin/python tests/security/iam_analyzers_driver.py`` (never imported by
pytest: it needs the tool venv's packages). Input on stdin: ``{"policies": {name: document}}``.
Output on stdout: ``{"versions": {...}, "results": {name: {"parliament": [...], "cloudsplaining": [...]}}}``.

It does what the two CLIs do, minus their text output:

- parliament 1.6.4 = ``parliament --include-community-auditors --json --minimum_severity LOW``:
  the community auditors' config override, ``analyze_policy_string(..., include_community_auditors=True)``,
  ``enhance_finding`` and the CLI's severity filter (``is_finding_filtered``, LOW and up);
- cloudsplaining 0.9.1 = ``cloudsplaining scan-policy-file --input-file <policy>`` with its defaults:
  ``scan_policy`` with the packaged default exclusions, resource-ARN and conditional statements not
  flagged (it judges ``Resource: "*"`` statements only), every severity.

parliament 1.6.4 crashes on a ``Bool`` condition whose value is a list: single-element lists of
``Bool``/``BoolIfExists`` (and ``Null``) conditions are made scalar first (same meaning in IAM).
"""

from __future__ import annotations

import copy
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

SCALAR_TESTS = ("Bool", "BoolIfExists", "Null")


def scalarize(document: dict[str, Any]) -> dict[str, Any]:
    """A copy whose single-element Bool/Null condition values are scalars (parliament 1.6.4 crash)."""
    doc = copy.deepcopy(document)
    statements = doc.get("Statement", [])
    for statement in [statements] if isinstance(statements, dict) else statements:
        for test, by_key in (statement.get("Condition") or {}).items():
            if test.split(":")[-1] in SCALAR_TESTS:
                for key, values in by_key.items():
                    if isinstance(values, list) and len(values) == 1:
                        by_key[key] = values[0]
    return doc


def one_line(document: dict[str, Any]) -> tuple[str, list[tuple[int, int]]]:
    """The document as one JSON line, and the (start, end) column span of each statement, so that a
    finding's ``location.column`` can be attributed to its statement."""
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else list(statements)
    head = json.dumps({k: v for k, v in document.items() if k != "Statement"})[:-1]
    text = (head + ", " if head != "{" else "{") + '"Statement": ['
    spans = []
    for index, statement in enumerate(statements):
        if index:
            text += ", "
        start = len(text) + 1  # jsoncfg columns are 1-based
        text += json.dumps(statement)
        spans.append((start, len(text)))
    return text + "]}", spans


def run_parliament(policies: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    import parliament
    from parliament import analyze_policy_string, enhance_finding, override_config
    from parliament.cli import is_finding_filtered

    override_config(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml")
    out: dict[str, list[dict[str, Any]]] = {}
    for name, document in policies.items():
        document = scalarize(document)
        text, spans = one_line(document)
        statements = document.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        policy = analyze_policy_string(text, name, include_community_auditors=True, config=parliament.config)
        findings = []
        for finding in policy.findings:
            finding = enhance_finding(finding)
            if is_finding_filtered(finding, "LOW"):
                continue
            location = dict(finding.location or {})
            column = location.get("column")
            for index, (start, end) in enumerate(spans):
                if isinstance(column, int) and start <= column <= end:
                    location["statement"] = index
                    action = statements[index].get("Action", statements[index].get("NotAction", []))
                    location["statement_actions"] = [action] if isinstance(action, str) else list(action)
            findings.append(
                {
                    "issue": finding.issue,
                    "title": finding.title,
                    "severity": finding.severity,
                    "detail": finding.detail,
                    "location": location,
                }
            )
        out[name] = findings
    return out


def run_cloudsplaining(policies: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    from cloudsplaining.command.scan_policy_file import scan_policy
    from cloudsplaining.shared.constants import DEFAULT_EXCLUSIONS_CONFIG

    out: dict[str, list[dict[str, Any]]] = {}
    for name, document in policies.items():
        results = scan_policy(document, DEFAULT_EXCLUSIONS_CONFIG) or {}
        findings: list[dict[str, Any]] = []
        for category, result in results.items():
            if not isinstance(result, dict):  # ServicesAffected: a plain list of service prefixes
                continue
            for item in result.get("findings", []):
                if isinstance(item, dict):  # PrivilegeEscalation: {"type": ..., "actions": [...]}
                    findings.append({"type": f"{category}:{item.get('type')}", "actions": sorted(item["actions"])})
                else:  # the other categories: a list of actions
                    findings.append({"type": category, "actions": [item]})
        # One record per category (action lists merged): exclusions then name the exact action set.
        merged: dict[str, set[str]] = {}
        for f in findings:
            merged.setdefault(f["type"], set()).update(f["actions"])
        out[name] = [{"type": t, "actions": sorted(a)} for t, a in sorted(merged.items())]
    return out


def main() -> int:
    policies = json.load(sys.stdin)["policies"]
    report = {
        "versions": {"parliament": version("parliament"), "cloudsplaining": version("cloudsplaining")},
        "results": {name: {} for name in policies},
    }
    for name, findings in run_parliament(policies).items():
        report["results"][name]["parliament"] = findings
    for name, findings in run_cloudsplaining(policies).items():
        report["results"][name]["cloudsplaining"] = findings
    json.dump(report, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
