"""`terraform init` + `terraform validate` of every synthesized stack, with the real binary and provider.

Uses the machine's offline provider mirror when it has one, the public registry otherwise.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fraud_ops.terraform import Terraform, write_cli_config
from stacks.assembly import STACK_NAMES

pytestmark = pytest.mark.terraform


@pytest.fixture(scope="module")
def cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cli_config(tmp_path_factory.mktemp("terraform-cli"))


@pytest.mark.parametrize("stack_name", STACK_NAMES)
def test_stack_is_valid_terraform(synth_outdir: Path, cli_config: Path, tmp_path: Path, stack_name: str) -> None:
    workdir = tmp_path / stack_name
    shutil.copytree(synth_outdir / "stacks" / stack_name, workdir)
    terraform = Terraform(workdir=workdir, cli_config=cli_config)
    terraform.init("-backend=false")
    result = terraform.validate()
    report = json.loads(result.stdout)
    assert result.returncode == 0, report
    assert report["valid"] is True, report["diagnostics"]
    assert report["error_count"] == 0
