"""checkov over every synthesized stack of every variant of the matrix (one checkov process over all
their files, results attributed by file): zero failed checks per variant beyond the reviewed acceptances
of its profile (checkov_acceptances.yaml), and a scan that cannot be empty.

checkov runs from its own venv (.tools/checkov, ``make tools``): its pins conflict with the app's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import VARIANTS
from tests.security.tool_venv import require_tool

pytestmark = pytest.mark.tool

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = Path(os.environ.get("CHECKOV_BIN", ROOT / ".tools" / "checkov" / "bin" / "checkov"))
CONFIG = ROOT / ".checkov.yaml"
MIN_REASON_CHARS = 20
ACCEPTANCES = Path(__file__).with_name("checkov_acceptances.yaml")
# The only checks skipped for every profile: they cannot apply to this design (issue "A hardened
# production profile"): code signing for images, API caching and its encryption, client certificates,
# function DLQs beside destinations, S3 event notifications.
NOT_APPLICABLE = {"CKV_AWS_272", "CKV_AWS_120", "CKV_AWS_225", "CKV2_AWS_51", "CKV_AWS_116", "CKV2_AWS_62"}
CHEAP_PROFILE = "dev"  # the only profile that may accept a check for every resource

# An unencrypted, unversioned bucket with a public-read ACL and no public access block: must fail.
CANARY = {
    "provider": {"aws": [{"region": "us-east-1"}]},
    "resource": {
        "aws_s3_bucket": {
            "canary": {
                "//": {"metadata": {"path": "canary/bucket", "uniqueId": "canary"}},
                "bucket": "canary",
            }
        },
        "aws_s3_bucket_acl": {"canary_acl": {"bucket": "${aws_s3_bucket.canary.id}", "acl": "public-read"}},
        "aws_sqs_queue": {"canary_queue": {"name": "canary", "sqs_managed_sse_enabled": False}},
    },
}


def _checkov() -> Path:
    return require_tool(CHECKOV, "checkov", "tools/install_checkov.sh")


def run_checkov(files: Iterable[Path]) -> dict[str, Any]:
    """One checkov process over ``files`` (offline, JSON report); fails the test on a tool error."""
    args = [str(_checkov()), "--framework", "terraform_json", "-o", "json", "--config-file", str(CONFIG)]
    for path in files:
        args += ["-f", str(path)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_API", "PRISMA_"))}
    env |= {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_NO_OUTPUT_BANNER": "1", "LOG_LEVEL": "WARNING"}
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert result.returncode in (0, 1), f"checkov crashed ({result.returncode}):\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    assert isinstance(report, dict), f"expected one terraform_json report, got {type(report).__name__}"
    return report


def _results(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for key in ("passed_checks", "failed_checks", "skipped_checks") for c in report["results"].get(key, [])]


def _address(check: dict[str, Any]) -> str:
    """checkov 3.3.30's terraform_json runner names some results ``resource.<name>``: restore the type."""
    address = str(check["resource"])
    if not address.startswith("resource."):
        return address
    name = address.removeprefix("resource.")
    doc = json.loads((ROOT / check["file_abs_path"]).read_text())
    types = [t for t, by_name in doc.get("resource", {}).items() if name in by_name]
    return f"{types[0]}.{name}" if len(types) == 1 else address


def _render(failed: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"  {c['check_id']} {_address(c)} ({c['file_path']}): {c['check_name']}; {c.get('guideline') or ''}"
        for c in failed
    )


# Top-level blocks checkov cannot parse, dropped from the copy it scans (nothing else is changed).
UNPARSEABLE_BLOCKS = {
    "removed": "checkov 3.3.30's terraform_json parser raises on Terraform's `removed` blocks (a JSON list of "
    "unnamed blocks, 'this method receives only dicts'), failing the whole file; they declare no resource, only "
    "that a state entry is forgotten without destroying it, so nothing checkable is lost",
}


@pytest.fixture(scope="session")
def variant_files(
    variant_outdir: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Path]]:
    """Variant -> stack name -> the ``cdk.tf.json`` checkov scans: a copy of the synthesized one
    without ``UNPARSEABLE_BLOCKS`` (every variant is synthesized, or the test fails)."""
    root = tmp_path_factory.mktemp("checkov-in")
    files: dict[str, dict[str, Path]] = {}
    for variant in VARIANTS:
        files[variant] = {}
        for source in sorted((variant_outdir(variant) / "stacks").glob("*/cdk.tf.json")):
            doc = {k: v for k, v in json.loads(source.read_text()).items() if k not in UNPARSEABLE_BLOCKS}
            copy = root / variant / "stacks" / source.parent.name / "cdk.tf.json"
            copy.parent.mkdir(parents=True)
            copy.write_text(json.dumps(doc, indent=2))
            files[variant][source.parent.name] = copy.resolve()
        assert files[variant], f"{variant}: no synthesized stacks"
    return files


@pytest.fixture(scope="session")
def stacks_report(variant_files: dict[str, dict[str, Path]]) -> dict[str, Any]:
    """One checkov process over every variant's stacks."""
    return run_checkov(path for by_stack in variant_files.values() for path in by_stack.values())


def _variant_of(check: dict[str, Any], variant_files: dict[str, dict[str, Path]]) -> str:
    path = Path(check["file_abs_path"]).resolve()
    owners = [v for v, by_stack in variant_files.items() if path in by_stack.values()]
    assert len(owners) == 1, f"{path}: not one variant's file ({owners})"
    return owners[0]


@pytest.mark.tool
def test_all_variants_were_scanned(stacks_report: dict[str, Any], variant_files: dict[str, dict[str, Path]]) -> None:
    assert stacks_report["summary"]["parsing_errors"] == 0
    scanned = {_variant_of(c, variant_files) for c in _results(stacks_report)}
    assert scanned == set(VARIANTS)


def acceptances() -> dict[str, Any]:
    return yaml.safe_load(ACCEPTANCES.read_text())


def _construct_path(check: dict[str, Any]) -> str:
    """The construct path of a result's resource (cdktf's ``//`` metadata), e.g. ``bootstrap/state-bucket/bucket``."""
    doc = json.loads((ROOT / check["file_abs_path"]).read_text())
    kind, _, name = _address(check).partition(".")
    return str(doc["resource"][kind][name]["//"]["metadata"]["path"])


def _accepted_by(check: dict[str, Any], variant: str, accepted: dict[str, Any]) -> str | None:
    """Which acceptance covers a failed check of ``variant`` (``profile:<name>`` or ``resource:<i>``), or None."""
    for name, profile in accepted["profiles"].items():
        if variant in profile["variants"] and check["check_id"] in (profile.get("checks") or {}):
            return f"profile:{name}"
    stack = Path(check["file_path"]).parent.name
    for index, entry in enumerate(accepted["resources"]):
        if (
            variant in entry["variants"]
            and entry["check"] == check["check_id"]
            and entry["stack"] == stack
            and entry["path"] == _construct_path(check)
        ):
            return f"resource:{index}"
    return None


@pytest.fixture(scope="session")
def failed_by_variant(
    stacks_report: dict[str, Any], variant_files: dict[str, dict[str, Path]]
) -> dict[str, list[dict[str, Any]]]:
    failed: dict[str, list[dict[str, Any]]] = {variant: [] for variant in VARIANTS}
    for check in stacks_report["results"].get("failed_checks", []):
        failed[_variant_of(check, variant_files)].append(check)
    return failed


@pytest.mark.tool
@pytest.mark.parametrize("variant", VARIANTS)
def test_stacks_have_no_failed_checks(
    variant: str, stacks_report: dict[str, Any], failed_by_variant: dict[str, list[dict[str, Any]]]
) -> None:
    assert stacks_report["summary"]["parsing_errors"] == 0
    accepted = acceptances()
    failed = [c for c in failed_by_variant[variant] if _accepted_by(c, variant, accepted) is None]
    assert not failed, f"{variant}: {len(failed)} failed checkov checks:\n{_render(failed)}"


@pytest.mark.tool
def test_no_acceptance_is_stale(failed_by_variant: dict[str, list[dict[str, Any]]]) -> None:
    """Each profile acceptance still matches a failure in one of its variants; each resource acceptance
    matches one in every variant it names."""
    accepted = acceptances()
    used: dict[str, set[str]] = {}
    for variant, failed in failed_by_variant.items():
        for check in failed:
            key = _accepted_by(check, variant, accepted)
            if key:
                used.setdefault(key, set()).add(variant)
    stale = [
        f"profile {name}: {check_id}"
        for name, profile in accepted["profiles"].items()
        for check_id in profile.get("checks") or {}
        if f"profile:{name}" not in used
        or not any(
            _accepted_by(c, v, accepted) == f"profile:{name}" and c["check_id"] == check_id
            for v in profile["variants"]
            for c in failed_by_variant.get(v, [])
        )
    ]
    for i, entry in enumerate(accepted["resources"]):
        missing = sorted(set(entry["variants"]) - used.get(f"resource:{i}", set()))
        if missing:
            stale.append(f"resource {entry['check']} {entry['stack']}/{entry['path']} in {missing}")
    assert not stale, "acceptances that match no failure (remove them):\n  " + "\n  ".join(stale)


def test_acceptances_are_reasoned_and_only_the_cheap_profile_accepts_wholesale() -> None:
    accepted = acceptances()
    known = set(VARIANTS)
    for name, profile in accepted["profiles"].items():
        assert set(profile["variants"]) <= known, f"profile {name}: unknown variants"
        checks = profile.get("checks") or {}
        if name != CHEAP_PROFILE:
            assert not checks, f"profile {name} may accept only single resources (the `resources` list)"
        for check_id, why in checks.items():
            assert len(why["reason"]) >= MIN_REASON_CHARS and len(why["compensating_control"]) >= MIN_REASON_CHARS, (
                f"{name}/{check_id}: reason or compensating control missing"
            )
    assert {"prod", "prod-full"} <= set(accepted["profiles"]["prod"]["variants"])
    for entry in accepted["resources"]:
        assert set(entry["variants"]) <= known and entry["variants"], entry
        assert len(entry["reason"]) >= MIN_REASON_CHARS, f"{entry['check']} {entry['path']}: reason missing"
        assert entry["path"].startswith(f"{entry['stack']}/"), f"{entry['path']}: not a path in stack {entry['stack']}"


# checkov's terraform_json summary says resource_count 0, and it has no check at all for many types
# (aliases, event targets...). Coverage is therefore judged against the types it can check. These
# types it has checks for, but they all answer UNKNOWN on our JSON (their policies or ARNs are
# Terraform references it cannot resolve), so they get no result at all.
UNRESOLVABLE_TYPES = {
    "aws_lambda_permission": "source_arn is a reference to the rule or API execution ARN",
    "aws_sns_topic_policy": "the policy is a data.aws_iam_policy_document reference",
    "aws_ecr_repository_policy": "the policy is a data.aws_iam_policy_document reference",
}


@pytest.fixture(scope="session")
def checkable_types() -> frozenset[str]:
    """Resource types checkov 3.3.30 has at least one Terraform resource check for (its own registry)."""
    python = _checkov().parent / "python"
    code = (
        "import json\n"
        "from checkov.terraform.checks.resource.registry import resource_registry as r\n"
        "print(json.dumps(sorted(t for t, checks in r.checks.items() if checks)))"
    )
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True, timeout=300)
    return frozenset(json.loads(done.stdout))


@pytest.mark.tool
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_checkable_resource_was_scanned(
    variant: str,
    stacks_report: dict[str, Any],
    variant_files: dict[str, dict[str, Path]],
    checkable_types: frozenset[str],
) -> None:
    """Scanned resources = the JSON's resources of every type checkov can check (minus the listed
    unresolvable ones), so a partial or empty scan fails; the counts are printed for the record."""
    scanned_all = {
        (Path(c["file_path"]).parent.name, _address(c))
        for c in _results(stacks_report)
        if _variant_of(c, variant_files) == variant
    }
    for name, path in variant_files[variant].items():
        resources = json.loads(path.read_text())["resource"]
        declared = {f"{t}.{n}" for t, by_name in resources.items() for n in by_name}
        checkable = {
            f"{t}.{n}"
            for t, by_name in resources.items()
            if t in checkable_types and t not in UNRESOLVABLE_TYPES
            for n in by_name
        }
        scanned = {address for stack, address in scanned_all if stack == name} & declared
        print(
            f"{variant}/{name}: {len(declared)} resources in the JSON, {len(checkable)} checkable, "
            f"{len(scanned)} scanned"
        )
        assert checkable, f"{variant}/{name}: no checkable resource, the comparison would be empty"
        assert checkable <= scanned, f"{variant}/{name}: checkable but not scanned: {sorted(checkable - scanned)}"


@pytest.mark.tool
def test_inline_skips_carry_a_reason(stacks_report: dict[str, Any]) -> None:
    for check in stacks_report["results"].get("skipped_checks", []):
        comment = (check.get("check_result") or {}).get("suppress_comment", "")
        if check["check_id"] in skipped_in_config():
            continue
        assert len(comment.strip()) >= MIN_REASON_CHARS, f"{check['check_id']} on {check['resource']}: {comment!r}"


@pytest.mark.tool
def test_canary_fails(tmp_path: Path) -> None:
    path = tmp_path / "canary" / "cdk.tf.json"
    path.parent.mkdir()
    path.write_text(json.dumps(CANARY, indent=2))
    report = run_checkov([path])
    assert report["summary"]["parsing_errors"] == 0
    failed = {(c["check_id"], _address(c)) for c in report["results"].get("failed_checks", [])}
    assert ("CKV_AWS_145", "aws_s3_bucket.canary") in failed  # no KMS default encryption
    assert ("CKV_AWS_20", "aws_s3_bucket.canary") in failed  # public-read ACL
    assert ("CKV_AWS_27", "aws_sqs_queue.canary_queue") in failed  # unencrypted queue


def skipped_in_config() -> dict[str, tuple[str, str]]:
    """check id -> (reason, compensating control) from the comment lines above each skip."""
    skips: dict[str, tuple[str, str]] = {}
    comments: list[str] = []
    in_skips = False
    for raw in CONFIG.read_text().splitlines():
        line = raw.strip()
        if not raw.startswith(" ") and line:
            in_skips = line.startswith("skip-check:")
            comments = []
            continue
        if not in_skips:
            continue
        if line.startswith("#"):
            comments.append(line.lstrip("# "))
        elif line.startswith("- "):
            check_id = line[2:].split("#")[0].strip()
            reason = next((c.split(":", 1)[1].strip() for c in comments if c.startswith("reason:")), "")
            control = next((c.split(":", 1)[1].strip() for c in comments if c.startswith("compensating control:")), "")
            skips[check_id] = (reason, control)
            comments = []
    return skips


def test_every_config_skip_has_reason_and_compensating_control() -> None:
    skips = skipped_in_config()
    listed = re.findall(r"^\s+-\s+(CKV\w+)", CONFIG.read_text().split("skip-check:", 1)[1], re.MULTILINE)
    assert sorted(skips) == sorted(listed)
    for check_id, (reason, control) in skips.items():
        assert len(reason) >= MIN_REASON_CHARS, f"{check_id}: reason missing or too short"
        assert len(control) >= MIN_REASON_CHARS, f"{check_id}: compensating control missing or too short"
    # checkov ignores per-resource skips in cdk.tf.json, so every skip is global and hides future
    # resources of every profile: only the checks that cannot apply are skipped there; risk acceptances
    # are per profile or per resource (checkov_acceptances.yaml).
    assert set(skips) == NOT_APPLICABLE, "global skips are only the not-applicable six: accept a risk per profile"


@pytest.mark.tool
def test_unparseable_blocks_still_fail_checkov(tmp_path: Path) -> None:
    """Why UNPARSEABLE_BLOCKS exists: checkov fails the file on a `removed` block. When a checkov
    upgrade parses it, this fails: drop the workaround."""
    path = tmp_path / "removed" / "cdk.tf.json"
    path.parent.mkdir()
    doc = {
        "resource": {"aws_sqs_queue": {"q": {"name": "q", "sqs_managed_sse_enabled": True}}},
        "removed": [{"from": "aws_sqs_queue.old", "lifecycle": {"destroy": False}}],
    }
    path.write_text(json.dumps(doc))
    assert run_checkov([path])["summary"]["parsing_errors"] == 1
