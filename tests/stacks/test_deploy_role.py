"""The GitHub deploy role on the privileged variant: trust, least privilege, boundary, denies, state.

Structural assertions on the synthesized JSON; the evaluator and the analyzers in tests/security
judge the same policies as IAM would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from cdktf import TerraformStack

from fraud_constructs.github_deploy_role import (
    DeployStatement,
    GithubDeployRole,
    GithubDeployRoleProps,
    pack_statements,
    policy_json,
)
from fraud_constructs.policy.statement_reader import Condition
from stacks.config import load_config
from stacks.deploy_permissions import (
    PLACEHOLDER_SCOPE_ARGS,
    DeployScope,
    _table,
    deploy_role_props,
    plan_policies,
    readme_config,
    role_statements,
    worst_case_scope,
)
from tests.conftest import STATE_KEY_ARN, TEST_CONTEXT, VARIANT_CONTEXTS, _synth, read_stacks
from tests.security.iam_render import render_variant
from tests.support.app_helpers import address, by_path, document_statements, ref
from tests.tfjson import data_sources, policy_statements, resources

pytestmark = pytest.mark.synth

ROOT = Path(__file__).resolve().parents[2]
PRIVILEGED = load_config(VARIANT_CONTEXTS["privileged"], {})
BOUNDARY_ARN = re.compile(
    r"arn:\$\{data\.aws_partition\.[\w-]+\.partition\}:iam::\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}"
    r":policy/fraud-permissions-boundary-\$\{data\.aws_region\.[\w-]+\.name\}"
)


PERMISSIONS = "bootstrap/github-deploy/permissions"
# The privileged variant with every option that creates a role the deploy role manages: the functions'
# network interfaces (VPC mode), the flow-log role and the replication role.
EVERY_ROLE = {**VARIANT_CONTEXTS["privileged"], "vpcMode": "create", "auditReplicaRegion": "us-west-2"}


def policy_documents(bootstrap: dict) -> list[list[dict[str, Any]]]:
    """Statements of each of the deploy role's managed policies, in policy order (document-1, -2, ...)."""
    documents = {
        config["//"]["metadata"]["path"]: config.get("statement", [])
        for config in data_sources(bootstrap, "aws_iam_policy_document").values()
        if config["//"]["metadata"]["path"].startswith(f"{PERMISSIONS}/document-")
    }
    assert documents, "no deploy-role policy document"
    return [documents[f"{PERMISSIONS}/document-{n}"] for n in range(1, len(documents) + 1)]


def deploy_statements_by_sid(bootstrap: dict) -> dict[str, dict[str, Any]]:
    statements = [s for document in policy_documents(bootstrap) for s in document]
    by_sid = {s["sid"]: s for s in statements}
    assert len(by_sid) == len(statements), "a sid twice across the deploy role's policies"
    return by_sid


@pytest.fixture(scope="module")
def bootstrap(variant_stacks: Callable[[str], dict[str, dict]]) -> dict:
    return variant_stacks("privileged")["bootstrap"]


@pytest.fixture(scope="module")
def deploy(bootstrap: dict) -> dict[str, dict[str, Any]]:
    return deploy_statements_by_sid(bootstrap)


@pytest.fixture(scope="module")
def every_role(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return read_stacks(_synth(load_config(EVERY_ROLE, {}), tmp_path_factory.mktemp("every-role")))


def allows(deploy: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in deploy.values() if s.get("effect", "Allow") == "Allow"]


def conditions(statement: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["variable"]: c for c in statement.get("condition", [])}


def test_trust_accepts_exactly_each_deploy_environment(bootstrap: dict) -> None:
    (trust,) = document_statements(bootstrap, "bootstrap/github-deploy/trust")
    found = conditions(trust)
    sub = found["token.actions.githubusercontent.com:sub"]
    assert sub["test"] == "StringEquals"
    assert sub["values"] == [
        "repo:example-org/fraud-detection:environment:staging",
        "repo:example-org/fraud-detection:environment:prod",
    ]
    assert not any("*" in value or "?" in value for value in sub["values"])
    assert found["token.actions.githubusercontent.com:aud"]["values"] == ["sts.amazonaws.com"]


def test_workflow_deploys_exactly_the_environments_the_role_trusts() -> None:
    """The deploy job's matrix is the set of GitHub environments; the trust comes from deployEnvironments."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    job = workflow["jobs"]["deploy"]
    assert job["environment"] == "${{ matrix.environment }}"
    assert job["env"]["FRAUD_ENVIRONMENT"] == "${{ matrix.environment }}"
    context = json.loads((ROOT / "cdktf.json").read_text())["context"]
    configured = load_config(context, {}).deploy_environments
    assert job["strategy"]["matrix"]["environment"] == list(configured)
    assert job["strategy"]["max-parallel"] == 1


def test_an_existing_oidc_provider_is_reused_by_arn(tmp_path: Path) -> None:
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    config = load_config({**VARIANT_CONTEXTS["privileged"], "githubOidcProviderArn": arn}, {})
    doc = read_stacks(_synth(config, tmp_path))["bootstrap"]
    assert resources(doc, "aws_iam_openid_connect_provider") == {}
    (trust,) = document_statements(doc, "bootstrap/github-deploy/trust")
    assert trust["principals"][0]["identifiers"] == [arn]
    deny = deploy_statements_by_sid(doc)
    assert arn in deny["DenyTouchingItselfAndBootstrap"]["resources"]


def test_allows_name_explicit_actions_only(deploy: dict[str, dict[str, Any]]) -> None:
    for statement in allows(deploy):
        assert "not_actions" not in statement and "not_resources" not in statement, statement["sid"]
        for action in statement["actions"]:
            assert "*" not in action and "?" not in action, (statement["sid"], action)


def _role_names(statement: dict[str, Any]) -> set[str]:
    """role/<name>-${region token}: the literal part of each role ARN."""
    return {r.split(":role/")[1].split("$")[0] for r in statement["resources"]}


ENVS = PRIVILEGED.deploy_environments
FUNCTION_ROLES = {f"fraud-{fn}-{env}-" for env in ENVS for fn in ("webhook", "stream", "batch", "labels")}
FLOW_LOG_ROLES = {f"fraud-vpc-{env}-flow-logs-" for env in ENVS}  # vpcMode (stacks/network.py)
REPLICATION_ROLES = {f"fraud-audit-replication-{env}-" for env in ENVS}  # auditReplicaRegion (audit_protection.py)


def test_iam_actions_only_on_the_roles_it_creates(deploy: dict[str, dict[str, Any]]) -> None:
    """IAM only on the function, flow-log and replication roles of the deploy environments; each
    PassRole statement on exactly the roles of its own service."""
    owned = FUNCTION_ROLES | FLOW_LOG_ROLES | REPLICATION_ROLES
    iam = {s["sid"]: s for s in allows(deploy) if any(a.startswith("iam:") for a in s["actions"])}
    expected = {
        "CreateRolesOnlyWithTheBoundary": owned,
        "ManageOwnedRoles": owned,
        "PassOwnedRolesToNamedServices": FUNCTION_ROLES,
        "PassFlowLogRoles": FLOW_LOG_ROLES,
        "PassReplicationRoles": REPLICATION_ROLES,
    }
    assert {sid: _role_names(s) for sid, s in iam.items()} == expected
    for statement in iam.values():
        assert all(a.startswith("iam:") for a in statement["actions"]), statement["sid"]
        assert all(":iam::${data.aws_caller_identity." in r for r in statement["resources"]), statement["sid"]


def test_roles_are_created_only_with_the_boundary(deploy: dict[str, dict[str, Any]]) -> None:
    gated = deploy["CreateRolesOnlyWithTheBoundary"]
    assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"} <= set(gated["actions"])
    boundary = conditions(gated)["iam:PermissionsBoundary"]
    assert boundary["test"] == "StringEquals"
    (arn,) = boundary["values"]
    assert BOUNDARY_ARN.fullmatch(arn), arn
    deny = deploy["DenyRoleChangesWithoutBoundary"]
    assert deny["effect"] == "Deny" and conditions(deny)["iam:PermissionsBoundary"]["test"] == "StringNotEquals"
    assert deploy["DenyBoundaryRemoval"]["actions"][0] == "iam:DeleteRolePermissionsBoundary"
    for statement in allows(deploy):
        if statement["sid"] != "CreateRolesOnlyWithTheBoundary":
            assert not {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"} & set(statement["actions"])


def test_pass_role_names_its_services(deploy: dict[str, dict[str, Any]]) -> None:
    """Each role is passed only to the one service that runs it: functions to Lambda, flow-log roles to
    VPC Flow Logs, replication roles to S3."""
    passing = [s for s in allows(deploy) if "iam:PassRole" in s["actions"]]
    found = {
        s["sid"]: (conditions(s)["iam:PassedToService"]["test"], tuple(conditions(s)["iam:PassedToService"]["values"]))
        for s in passing
    }
    assert found == {
        "PassOwnedRolesToNamedServices": ("StringEquals", ("lambda.amazonaws.com",)),
        "PassFlowLogRoles": ("StringEquals", ("vpc-flow-logs.amazonaws.com",)),
        "PassReplicationRoles": ("StringEquals", ("s3.amazonaws.com",)),
    }
    assert all(s["actions"] == ["iam:PassRole"] for s in passing)
    # no role is passed by two statements (to two services)
    names = [n for s in passing for n in _role_names(s)]
    assert len(names) == len(set(names))


def test_denies_protect_itself_bootstrap_boundary_and_provider(deploy: dict[str, dict[str, Any]]) -> None:
    deny = deploy["DenyTouchingItselfAndBootstrap"]
    assert deny["effect"] == "Deny" and deny["actions"] == ["iam:*"]
    tails = sorted(r.split(":", 5)[5].split("$")[0] for r in deny["resources"])
    assert tails == [
        "oidc-provider/token.actions.githubusercontent.com",
        "policy/fraud-github-deploy-",  # its own managed policies: ...-${region}-*
        "policy/fraud-permissions-boundary-",
        "role/fraud-apigw-cloudwatch-",
        "role/fraud-github-deploy-",
    ]
    own_policies = next(r for r in deny["resources"] if ":policy/fraud-github-deploy-" in r)
    assert own_policies.endswith(".name}-*"), own_policies
    # no new or default version of any policy (its own included), whatever another statement allows
    versions = deploy["DenyBoundaryRemoval"]
    assert {"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"} <= set(versions["actions"])
    assert versions["resources"] == ["*"] and "condition" not in versions
    # attaching to or detaching from itself is an IAM action on its own role: denied above


def test_a_user_project_tag_is_the_tag_the_key_guard_requires(tmp_path: Path) -> None:
    """default_tags put the user's ``project`` tag on every key the deploy creates, so the CreateKey guard
    must require that value, not the project's own name (or CreateKey would be denied)."""
    config = load_config({**VARIANT_CONTEXTS["privileged"], "tags": {"project": "payments-fraud"}}, {})
    bootstrap = read_stacks(_synth(config, tmp_path))["bootstrap"]
    create = deploy_statements_by_sid(bootstrap)["CreateTaggedKeys"]
    assert conditions(create)["aws:RequestTag/project"]["values"] == ["payments-fraud"]


def test_no_kms_through_tags_and_the_state_key_is_protected(deploy: dict[str, dict[str, Any]], bootstrap: dict) -> None:
    for statement in deploy.values():
        assert not any(c["variable"].startswith("aws:ResourceTag/") for c in statement.get("condition", []))
        assert "kms:*" not in statement["actions"] or statement["effect"] == "Deny"
    create = deploy["CreateTaggedKeys"]
    assert set(create["actions"]) == {"kms:CreateKey", "kms:TagResource"} and create["resources"] == ["*"]
    assert conditions(create)["aws:RequestTag/project"]["values"] == ["fraud-detection"]
    kms_allows = [s for s in allows(deploy) if any(a.startswith("kms:") for a in s["actions"])]
    for statement in kms_allows:
        if statement["sid"] == "RetireRegistryGrants":  # only keys aliased as a registry key
            aliases = conditions(statement)["kms:ResourceAliases"]
            assert aliases["test"] == "ForAnyValue:StringEquals"
            assert aliases["values"] == [f"alias/fraud-registry-{env}" for env in PRIVILEGED.deploy_environments]
            assert statement["actions"] == ["kms:RetireGrant"]
        elif statement["sid"] == "ReplicaKeyAliases":  # the replica key's alias, in the replica region (any)
            assert statement["actions"] == ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
            assert [r.split(":alias/")[1] for r in statement["resources"]] == [
                f"fraud-audit-replica-{env}" for env in PRIVILEGED.deploy_environments
            ]
            assert all(":kms:*:${data.aws_caller_identity." in r for r in statement["resources"])
        elif statement["sid"] not in {"CreateTaggedKeys", "KeyAliases", "ReadOnlyListings"}:
            assert statement["resources"] == ["${aws_kms_key.state-key_753BFC90.arn}"], statement["sid"]
    state_key = deploy["DenyStateKeyLoss"]
    assert {"kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"} <= set(state_key["actions"])
    assert state_key["resources"] == ["${aws_kms_key.state-key_753BFC90.arn}"]


def test_s3_statements_are_this_account_only(deploy: dict[str, dict[str, Any]]) -> None:
    for statement in allows(deploy):
        if statement["actions"] == ["s3:CreateBucket"]:
            continue  # the bucket has no owner before it exists; CreateBucket creates in the caller's account
        if any(a.startswith("s3:") for a in statement["actions"]):
            account = conditions(statement)["s3:ResourceAccount"]
            assert account["test"] == "StringEquals" and account["values"][0].endswith(".account_id}")
        assert not any(a == "s3:*" for a in statement["actions"])


def test_state_history_and_governance_retention_are_denied(deploy: dict[str, dict[str, Any]]) -> None:
    history = deploy["DenyStateHistoryLoss"]
    assert {"s3:DeleteObjectVersion", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"} <= set(history["actions"])
    assert history["resources"] == [
        "${aws_s3_bucket.state-bucket_828F7150.arn}",
        "${aws_s3_bucket.state-bucket_828F7150.arn}/*",
    ]
    bypass = deploy["DenyGovernanceBypass"]
    assert bypass["actions"] == ["s3:BypassGovernanceRetention"]
    assert all(r.startswith("arn:${data.aws_partition") and ":s3:::fraud-audit-" in r for r in bypass["resources"])
    # staging and prod are protected: no object deletion grant on their audit buckets
    assert "AuditObjectsOnDestroy" not in deploy


@pytest.mark.parametrize("variant", ["privileged", "every-role"])
def test_boundary_covers_every_grant_of_the_roles_it_creates(
    variant: str, variant_stacks: Callable[[str], dict[str, dict]], every_role: dict[str, dict]
) -> None:
    """Every role the deploy role may create carries the boundary, and the boundary allows every action of
    its policy: the functions (with their network interfaces in VPC mode), the flow-log role, the
    replication role."""
    stacks = variant_stacks("privileged") if variant == "privileged" else every_role
    boundary = document_statements(stacks["bootstrap"], "bootstrap/github-deploy/boundary-policy")
    ceiling = {a for s in boundary for a in s["actions"]}
    app = stacks["app"]
    checked = set()
    for name, role in resources(app, "aws_iam_role").items():
        assert BOUNDARY_ARN.fullmatch(role.get("permissions_boundary", "")), (name, role.get("permissions_boundary"))
        policies = [
            p for p in resources(app, "aws_iam_role_policy").values() if p["role"] == f"${{aws_iam_role.{name}.id}}"
        ]
        assert policies, name
        for policy in policies:
            for statement in policy_statements(app, policy["policy"]):
                assert set(statement["actions"]) <= ceiling, (
                    name,
                    statement.get("sid"),
                    set(statement["actions"]) - ceiling,
                )
        checked.add(role["//"]["metadata"]["path"])
    functions = {f"app/compute/{fn}/role" for fn in ("webhook", "stream", "batch", "labels")}
    if variant == "privileged":
        assert checked == functions
    else:
        assert checked == functions | {
            "app/network/private-network/flow-log-role",
            "app/audit-protection/replication/role",
        }
        eni = {"ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces"}
        granted = {
            a
            for fn in ("webhook", "stream", "batch")
            for s in document_statements(app, f"app/compute/{fn}/policy")
            for a in s["actions"]
        }
        assert eni <= granted, "VPC mode: the functions' roles hold the ENI grants the boundary must cover"
    policy = by_path(stacks["bootstrap"], "aws_iam_policy", "bootstrap/github-deploy/boundary")
    assert policy["name"].startswith("fraud-permissions-boundary-")


def test_function_roles_have_no_boundary_without_a_deploy_role(synthesized: dict[str, dict]) -> None:
    role = by_path(synthesized["app"], "aws_iam_role", "app/compute/webhook/role")
    assert "permissions_boundary" not in role


def test_s3_backend_writes_with_the_state_key(variant_stacks: Callable[[str], dict[str, dict]]) -> None:
    for name, doc in variant_stacks("privileged").items():
        backend = doc["terraform"]["backend"]["s3"]
        assert backend["kms_key_id"] == STATE_KEY_ARN and backend["encrypt"] is True, name
        assert backend["use_lockfile"] is True


def test_state_bucket_denies_writes_without_the_state_key(bootstrap: dict) -> None:
    statements = {s["sid"]: s for s in document_statements(bootstrap, "bootstrap/state-bucket/tls-only")}
    deny = statements["DenyWritesWithoutTheStateKey"]
    assert deny["effect"] == "Deny" and deny["actions"] == ["s3:PutObject"]
    assert deny["principals"] == [{"identifiers": ["*"], "type": "*"}]
    assert deny["condition"] == [
        {
            "test": "StringNotEquals",
            "variable": "s3:x-amz-server-side-encryption-aws-kms-key-id",
            "values": ["${aws_kms_key.state-key_753BFC90.arn}"],
        }
    ]


def test_the_dev_default_has_no_deploy_role(synthesized: dict[str, dict]) -> None:
    assert resources(synthesized["bootstrap"], "aws_iam_policy") == {}
    assert TEST_CONTEXT.get("githubRepository") is None


def _between(text: str, marker: str) -> str:
    start, end = f"<!-- {marker}:start -->\n", f"\n<!-- {marker}:end -->"
    assert start in text and end in text, f"README lacks the {marker} markers"
    return text.split(start, 1)[1].split(end, 1)[0]


def test_readme_tables_are_the_code() -> None:
    from stacks.deploy_permissions import boundary_table, markdown_table, readme_config

    readme = (ROOT / "docs" / "security.md").read_text()
    assert _between(readme, "deploy-role-table") == markdown_table(readme_config())
    assert _between(readme, "boundary-table") == boundary_table(readme_config())


def test_xray_encryption_is_an_opt_in_bootstrap_key(bootstrap: dict, synthesized: dict[str, dict]) -> None:
    config = by_path(bootstrap, "aws_xray_encryption_config", "bootstrap/xray-encryption/config")
    assert config["type"] == "KMS"
    assert config["key_id"].startswith("${aws_kms_key.xray-key_") and config["key_id"].endswith(".arn}")
    assert resources(synthesized["bootstrap"], "aws_xray_encryption_config") == {}


# --- IAM size quotas: managed policies, packed on worst-case values ------------------------------------


def _compact(document: dict[str, Any]) -> int:
    return len(json.dumps(document, separators=(",", ":")))


@pytest.mark.parametrize(
    "context",
    [
        VARIANT_CONTEXTS["privileged"],
        {**VARIANT_CONTEXTS["privileged"], "deployEnvironments": ["dev", "staging", "prod"]},
    ],
    ids=["staging+prod", "dev+staging+prod"],
)
def test_every_policy_fits_iam_quotas_with_worst_case_values(context: dict[str, Any]) -> None:
    """Each managed policy of the deploy role and the boundary, rendered with the longest partition,
    region, bucket name and key id, is at most 6,144 characters (compact JSON: IAM does not count
    whitespace); the role needs at most 10 of them (IAM User Guide, "IAM and AWS STS quotas")."""
    config = load_config(context, {})
    plan = plan_policies(config)
    props = deploy_role_props(worst_case_scope(config), plan.layout)
    by_sid = {s.sid: s for s in role_statements(props)}
    assert "us-isof-southeast-10" in json.dumps([s.iam_json() for s in by_sid.values()])  # really the worst case
    sizes = [
        _compact({"Version": "2012-10-17", "Statement": [by_sid[sid].iam_json() for sid in group]})
        for group in plan.layout
    ]
    assert sizes == list(plan.policy_chars)
    quota, margin = 6_144, 300  # IAM's quota; what the plan keeps free in each policy
    assert all(size <= quota - margin for size in sizes), sizes
    assert len(sizes) <= 10
    boundary = _compact({"Version": "2012-10-17", "Statement": [s.iam_json() for s in props.boundary_statements]})
    assert boundary == plan.boundary_chars <= quota - margin
    # the layout holds every statement once; Denies never share a policy with Allows
    assert sorted(sid for group in plan.layout for sid in group) == sorted(by_sid)
    for group in plan.layout:
        assert len({by_sid[sid].effect for sid in group}) == 1, group


def _table_rows(marker: str) -> list[str]:
    return _between((ROOT / "docs" / "security.md").read_text(), marker).splitlines()[2:]


def test_the_policies_together_are_the_documented_table() -> None:
    """The union of the managed policies' statements is docs/security.md's deploy-role table, row by row."""
    config = readme_config()
    plan = plan_policies(config)
    props = deploy_role_props(DeployScope(config=config, **PLACEHOLDER_SCOPE_ARGS), plan.layout)
    by_sid = {s.sid: s for s in role_statements(props)}
    packed = [by_sid[sid] for group in plan.layout for sid in group]
    assert sorted(_table(packed).splitlines()[2:]) == sorted(_table_rows("deploy-role-table"))


def test_synthesized_policies_follow_the_plan_and_the_worst_case_bounds_them(bootstrap: dict) -> None:
    """The synthesized policies hold the planned statements, and rendered with the test values (us-east-1,
    aws) each is no larger than its worst case; the role carries exactly them, Deny policies first."""
    plan = plan_policies(PRIVILEGED)
    documents = policy_documents(bootstrap)
    assert [tuple(s["sid"] for s in document) for document in documents] == list(plan.layout)
    view = render_variant("privileged", {"bootstrap": bootstrap})
    deploy_role = view.roles["fraud-github-deploy-us-east-1"]
    names = [p.name for p in deploy_role.grants]
    assert names == [f"privileged/{PERMISSIONS}/policy-{n}" for n in range(1, len(plan.layout) + 1)]
    for policy, document, worst in zip(deploy_role.grants, documents, plan.policy_chars, strict=True):
        # the renderer drops Sid: put it back, it counts against the quota too
        statements = [{"Sid": d["sid"], **r} for d, r in zip(document, policy.statements, strict=True)]
        assert _compact({"Version": "2012-10-17", "Statement": statements}) <= worst, policy.name
    boundary = view.managed["arn:aws:iam::123456789012:policy/fraud-permissions-boundary-us-east-1"]
    sids = [s["sid"] for s in document_statements(bootstrap, "bootstrap/github-deploy/boundary-policy")]
    statements = [{"Sid": sid, **r} for sid, r in zip(sids, boundary.statements, strict=True)]
    assert _compact({"Version": "2012-10-17", "Statement": statements}) <= plan.boundary_chars
    # named <deploy role>-<n>, attached to the deploy role; the Allow policies wait for the Deny ones
    policies = {f"{PERMISSIONS}/policy-{n}": n for n in range(1, len(plan.layout) + 1)}
    for config in resources(bootstrap, "aws_iam_policy").values():
        number = policies.get(config["//"]["metadata"]["path"])
        if number is not None:
            assert re.fullmatch(rf"fraud-github-deploy-\$\{{data\.aws_region\.[\w-]+\.name\}}-{number}", config["name"])
    role = ref(bootstrap, "aws_iam_role", "bootstrap/github-deploy/role", "name")
    deny_first = {
        address(bootstrap, "aws_iam_role_policy_attachment", f"{PERMISSIONS}/attachment-{n}")
        for n, document in enumerate(documents, start=1)
        if any(s.get("effect") == "Deny" for s in document)
    }
    assert deny_first
    for n, document in enumerate(documents, start=1):
        attachment = by_path(bootstrap, "aws_iam_role_policy_attachment", f"{PERMISSIONS}/attachment-{n}")
        assert attachment["role"] == role
        assert attachment["policy_arn"] == ref(bootstrap, "aws_iam_policy", f"{PERMISSIONS}/policy-{n}", "arn")
        holds_deny = any(s.get("effect") == "Deny" for s in document)
        assert set(attachment.get("depends_on", [])) == (set() if holds_deny else deny_first), n
    # no inline policy on the deploy role (IAM: 10,240 characters for all of a role's inline policies)
    assert [n for n in resources(bootstrap, "aws_iam_role_policy") if "github-deploy" in n] == []


def test_too_many_environments_fail_synth_naming_the_setting(tmp_path: Path) -> None:
    from stacks.assembly import build_app

    # Three (the config's maximum) with long names: the boundary (one managed policy) does not fit.
    envs = ["alphaxxxxxxx", "bravoxxxxxxx", "charliexxxxx"]
    config = load_config({**VARIANT_CONTEXTS["privileged"], "deployEnvironments": envs}, {})
    with pytest.raises(ValueError, match=r"^deployEnvironments \(alphaxxxxxxx, .*list fewer environments"):
        build_app(config, image_tag="src-0123456789abcdef", outdir=str(tmp_path))


THREE_NAMES_FIT_CHARS = 16
"""docs/security.md ("Size") and docs/deploy.md: three deploy environments fit when their names total at most
this many characters (the permissions boundary, one managed policy, is the limit)."""


@pytest.mark.parametrize(
    "lengths",
    [(5, 5, 6), (2, 2, 12), (4, 5, 7), (5, 6, 6), (2, 3, 12), (3, 7, 7)],
    ids=lambda lengths: "+".join(map(str, lengths)),
)
def test_three_environments_fit_when_their_names_total_at_most_the_documented_characters(
    lengths: tuple[int, ...],
) -> None:
    """Only the names' total length matters (the boundary grows 15 characters per character of a name): three
    names totalling ``THREE_NAMES_FIT_CHARS`` plan, one character more fails naming the setting."""
    names = [letter * length for letter, length in zip("abc", lengths, strict=True)]
    config = load_config({**VARIANT_CONTEXTS["privileged"], "deployEnvironments": names}, {})
    if sum(lengths) <= THREE_NAMES_FIT_CHARS:
        assert plan_policies(config).boundary_chars <= 6_144 - 300
    else:
        with pytest.raises(ValueError, match=r"^deployEnvironments \(.*the permissions boundary would be"):
            plan_policies(config)


def test_the_documented_fit_is_the_one_stated() -> None:
    text = " ".join((ROOT / "docs" / "security.md").read_text().split())
    assert f"three fit when their names total at most {THREE_NAMES_FIT_CHARS} characters" in text


# --- the construct's packing and guard rails (no synth) -------------------------------------------------


def _row(sid: str, size: int = 0, effect: str = "Allow") -> DeployStatement:
    return DeployStatement(
        sid, ("s3:GetObject",), (f"arn:aws:s3:::{'b' * size}",), "a reason of four words", effect=effect
    )


def test_packing_first_fit_decreasing_denies_apart_order_kept() -> None:
    rows = [_row("A", 900), _row("B", 100), _row("C", 900), _row("D", 10, "Deny"), _row("E", 500)]
    one = {r.sid: len(policy_json([r])) for r in rows}
    layout = pack_statements(rows, 2_100)  # A+C: 1,998 characters; A+B+C: 2,178
    assert layout == (("D",), ("A", "C"), ("B", "E"))
    assert all(len(policy_json([r for r in rows if r.sid in group])) <= 2_100 for group in layout)
    assert pack_statements(rows, 10_000) == (("D",), ("A", "B", "C", "E"))
    with pytest.raises(ValueError, match="A alone is"):
        pack_statements(rows, one["A"] - 1)
    with pytest.raises(ValueError, match="unique"):
        pack_statements([*rows, _row("A")], 10_000)


def _props(**changes: Any) -> GithubDeployRoleProps:
    base = deploy_role_props(DeployScope(config=PRIVILEGED, **PLACEHOLDER_SCOPE_ARGS))
    return replace(base, **changes)


def test_the_construct_refuses_passing_roles_it_does_not_manage_or_without_a_service() -> None:
    with pytest.raises(ValueError, match="passed_role_arns"):
        _props(passed_role_arns=("arn:aws:iam::1:role/admin",))
    loose = DeployStatement("PassAny", ("iam:PassRole",), ("arn:aws:iam::1:role/admin",), "a reason of four words")
    with pytest.raises(ValueError, match="PassAny may pass only managed roles"):
        _props(permissions=(loose,))
    role = _props().managed_role_arns[0]
    unnamed = replace(loose, resources=(role,))
    with pytest.raises(ValueError, match="PassAny may pass only managed roles"):
        _props(permissions=(unnamed,))
    wildcard = replace(unnamed, conditions=(Condition("StringEquals", "iam:PassedToService", ("*.amazonaws.com",)),))
    with pytest.raises(ValueError, match="PassAny may pass only managed roles"):
        _props(permissions=(wildcard,))
    with pytest.raises(ValueError, match="at most 10"):
        _props(policy_layout=tuple((f"S{n}",) for n in range(11)))


def test_the_construct_refuses_a_layout_that_drops_or_repeats_a_statement() -> None:
    from cdktf import Testing

    props = _props()
    sids = [s.sid for s in role_statements(props)]
    for layout, message in (
        ((tuple(sids[1:]),), sids[0]),
        ((tuple(sids), (sids[0],)), "repeated"),
    ):
        app = Testing.app()
        stack = TerraformStack(app, "unit")
        with pytest.raises(ValueError, match=message):
            GithubDeployRole(stack, "deploy", props=replace(props, policy_layout=layout))
