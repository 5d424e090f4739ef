"""Unit tests of the lazy provider import (``fraud_constructs.provider_loader``).

Import state is process-global, so every behavioural check runs in a fresh interpreter; the
snippets print one JSON line that the test parses. No timings are asserted here (see bench/).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.tool

REPO = Path(__file__).resolve().parents[3]
PACKAGE = "cdktf_cdktf_provider_aws"


def _provider_root() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


def run_snippet(code: str, *, stock: bool = False, timeout: int = 300) -> dict:
    """Run ``code`` in a fresh interpreter; its last stdout line is a JSON object."""
    env = {k: v for k, v in os.environ.items() if k != "FRAUD_STOCK_PROVIDER_IMPORT"}
    if stock:
        env["FRAUD_STOCK_PROVIDER_IMPORT"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


LOADED = f"""
def loaded():
    return sorted(n for n in sys.modules if n.startswith("{PACKAGE}.") and n.count(".") == 1)
"""


def test_importing_one_resource_leaves_unrelated_submodules_unimported() -> None:
    result = run_snippet(
        "import json, sys\n"
        + LOADED
        + """
from fraud_constructs import provider_loader
provider_loader.install()
import cdktf_cdktf_provider_aws.s3_bucket as s3
print(json.dumps({"active": provider_loader.is_active(), "loaded": loaded(),
                  "cls": s3.S3Bucket.__jsii_type__}))
"""
    )
    assert result["active"] is True
    assert result["loaded"] == [f"{PACKAGE}._jsii", f"{PACKAGE}.s3_bucket"]
    assert result["cls"] == "@cdktf/provider-aws.s3Bucket.S3Bucket"


def test_package_attributes_match_the_stock_public_surface() -> None:
    """``aws.<submodule>``, ``from aws import x`` and ``__all__`` behave as with the stock import."""
    result = run_snippet(
        """
import json, sys
from fraud_constructs import provider_loader
provider_loader.install()
import cdktf_cdktf_provider_aws as aws
from cdktf_cdktf_provider_aws import kms_key
fn = aws.lambda_function.LambdaFunction
try:
    aws.not_a_resource
    missing = "no error"
except AttributeError as exc:
    missing = "AttributeError"
print(json.dumps({"all": aws.__all__, "kms": kms_key.KmsKey.__jsii_type__,
                  "fn": fn.__jsii_type__, "missing": missing,
                  "assembly": aws.__jsii_assembly__.name, "path": list(aws.__path__),
                  "spec": aws.__spec__.name}))
"""
    )
    stock_init = (_provider_root() / "__init__.py").read_text(encoding="utf-8")
    stock_all = next(
        ast.literal_eval(node.value)
        for node in ast.parse(stock_init).body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "__all__"
    )
    assert result["all"] == stock_all
    assert result["kms"] == "@cdktf/provider-aws.kmsKey.KmsKey"
    assert result["fn"] == "@cdktf/provider-aws.lambdaFunction.LambdaFunction"
    assert result["missing"] == "AttributeError"
    assert result["assembly"] == "@cdktf/provider-aws"
    assert result["path"] == [str(_provider_root())]
    assert result["spec"] == PACKAGE


CREATE_IN_NODE = """
import json, sys
from fraud_constructs import provider_loader
provider_loader.install()
import jsii
from jsii import _reference_map
from jsii._kernel import types as kt
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
app = App(outdir="/tmp/unused")
stack = TerraformStack(app, "s")
AwsProvider(stack, "aws", region="us-east-1")
# A construct created on the Node side: Python never imported sqs_queue, so its classes are
# not registered when the reference comes back (as for constructs made by a jsii library).
ref = jsii.kernel.provider.create(
    kt.CreateRequest(fqn="@cdktf/provider-aws.sqsQueue.SqsQueue", args=[stack, "q", {}]))
before = "cdktf_cdktf_provider_aws.sqs_queue" in sys.modules
"""


def test_type_returned_from_node_imports_its_submodule_on_demand() -> None:
    result = run_snippet(
        CREATE_IN_NODE
        + """
obj = _reference_map.resolve_reference(jsii.kernel, ref)
print(json.dumps({"before": before, "type": type(obj).__qualname__, "id": obj.node.id,
                  "after": "cdktf_cdktf_provider_aws.sqs_queue" in sys.modules}))
"""
    )
    assert result == {"before": False, "type": "SqsQueue", "id": "q", "after": True}


def test_without_the_fqn_map_a_returned_type_is_unknown() -> None:
    """Negative control: the map the loader fills is what closes the gap."""
    result = run_snippet(
        CREATE_IN_NODE
        + """
_reference_map._submodule_fqn_map.pop("@cdktf/provider-aws.sqsQueue")
try:
    _reference_map.resolve_reference(jsii.kernel, ref)
    outcome = "resolved"
except ValueError as exc:
    outcome = str(exc)
print(json.dumps({"outcome": outcome}))
"""
    )
    assert result["outcome"] == "Unknown type: @cdktf/provider-aws.sqsQueue.SqsQueue"


def test_install_is_a_noop_when_the_package_is_already_imported() -> None:
    result = run_snippet(
        """
import json, sys, types
placeholder = types.ModuleType("cdktf_cdktf_provider_aws")
sys.modules["cdktf_cdktf_provider_aws"] = placeholder
from fraud_constructs import provider_loader
print(json.dumps({"installed": provider_loader.install(),
                  "same": sys.modules["cdktf_cdktf_provider_aws"] is placeholder,
                  "active": provider_loader.is_active()}))
"""
    )
    assert result == {"installed": False, "same": True, "active": False}


def test_install_declines_when_jsii_cannot_resolve_types_lazily() -> None:
    result = run_snippet(
        """
import json, sys
from jsii import _reference_map
del _reference_map._submodule_fqn_map
from fraud_constructs import provider_loader
provider_loader.install()
print(json.dumps({"active": provider_loader.is_active(),
                  "imported": "cdktf_cdktf_provider_aws" in sys.modules}))
"""
    )
    assert result == {"active": False, "imported": False}


def test_opt_out_env_keeps_the_package_untouched() -> None:
    result = run_snippet(
        """
import json, sys
from fraud_constructs import provider_loader
provider_loader.install()
print(json.dumps({"active": provider_loader.is_active(),
                  "imported": "cdktf_cdktf_provider_aws" in sys.modules}))
""",
        stock=True,
    )
    assert result == {"active": False, "imported": False}


@pytest.mark.tool
def test_opt_out_env_gives_the_stock_import() -> None:
    """With the opt-out, importing one resource imports every submodule (stock, ~20-30 s)."""
    result = run_snippet(
        "import json, sys\n"
        + LOADED
        + """
from fraud_constructs import provider_loader
provider_loader.install()
import cdktf_cdktf_provider_aws.s3_bucket
print(json.dumps({"loaded": len(loaded()),
                  "private": "cdktf_cdktf_provider_aws._private" in sys.modules}))
""",
        stock=True,
    )
    assert result["loaded"] > 2000
    assert result["private"] is True


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, False),
        ({"FRAUD_STOCK_PROVIDER_IMPORT": "1"}, True),
        ({"FRAUD_STOCK_PROVIDER_IMPORT": "0"}, False),
    ],
)
def test_opted_out_reads_the_env(env: dict[str, str], expected: bool) -> None:
    from fraud_constructs import provider_loader

    assert provider_loader.opted_out(env) is expected


def test_fqn_map_matches_the_jsii_type_names_of_every_submodule() -> None:
    """jsii resolves a returned type through this map: every submodule must map to its own name.

    Reads each submodule's source (no import): the first ``jsii_type`` names its jsii submodule.
    """
    from fraud_constructs import provider_loader

    root = _provider_root()
    names = provider_loader.submodule_names([str(root)])
    assert len(names) > 2000
    pattern = re.compile(r'jsii_type="@cdktf/provider-aws\.([A-Za-z0-9]+)\.')
    mapping = provider_loader.fqn_map(names)
    for name in names:
        with (root / name / "__init__.py").open(encoding="utf-8") as source:
            match = pattern.search(source.read(16384))
        assert match, name
        assert mapping[f"@cdktf/provider-aws.{match.group(1)}"] == f"{PACKAGE}.{name}"
