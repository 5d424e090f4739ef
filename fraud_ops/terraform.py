"""Run the real Terraform binary on synthesized stacks, offline when this machine has a mirror.

Terraform reads provider-installation rules from a CLI config file. When a filesystem mirror of
the AWS provider exists (``/opt/tf-plugins`` here, or ``FRAUD_TF_PLUGIN_MIRROR``), a generated
config installs ``hashicorp/aws`` from it; everything else, and every machine without a mirror,
uses the normal registry. The config is passed only to the subprocess (``TF_CLI_CONFIG_FILE``),
never written to the user's home.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MIRROR = Path("/opt/tf-plugins")


def provider_mirror() -> Path | None:
    """The filesystem mirror holding the AWS provider, if this machine has one."""
    mirror = Path(os.environ.get("FRAUD_TF_PLUGIN_MIRROR", DEFAULT_MIRROR))
    return mirror if (mirror / "registry.terraform.io" / "hashicorp" / "aws").is_dir() else None


def write_cli_config(directory: Path) -> Path:
    """A CLI config with a shared plugin cache and, when available, the offline mirror."""
    directory.mkdir(parents=True, exist_ok=True)
    cache = directory / "plugin-cache"
    cache.mkdir(exist_ok=True)
    lines = [f'plugin_cache_dir = "{cache}"']
    mirror = provider_mirror()
    if mirror is not None:
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f'    path    = "{mirror}"',
            '    include = ["registry.terraform.io/hashicorp/aws"]',
            "  }",
            "  direct {",
            '    exclude = ["registry.terraform.io/hashicorp/aws"]',
            "  }",
            "}",
        ]
    path = directory / "terraform.rc"
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass(frozen=True)
class TerraformResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> TerraformResult:
        if self.returncode != 0:
            raise RuntimeError(f"terraform {' '.join(self.args)} failed ({self.returncode}):\n{self.stderr}")
        return self


@dataclass(frozen=True)
class Terraform:
    """One working directory, one CLI config; extra environment only for the subprocess."""

    workdir: Path
    cli_config: Path
    extra_env: tuple[tuple[str, str], ...] = ()

    def run(self, *args: str, timeout: float = 900) -> TerraformResult:
        binary = shutil.which("terraform")
        if binary is None:
            raise RuntimeError("terraform is not on PATH (Terraform >= 1.10 is required)")
        env = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": str(self.cli_config),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            **dict(self.extra_env),
        }
        done = subprocess.run(
            [binary, *args], cwd=self.workdir, env=env, capture_output=True, text=True, timeout=timeout
        )
        return TerraformResult(tuple(args), done.returncode, done.stdout, done.stderr)

    def init(self, *extra: str) -> TerraformResult:
        return self.run("init", "-no-color", *extra).check()

    def validate(self) -> TerraformResult:
        return self.run("validate", "-no-color", "-json")
