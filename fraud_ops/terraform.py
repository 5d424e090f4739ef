"""The one Terraform runner: every Terraform command of the project runs through :class:`Terraform`.

:class:`Terraform` runs the real binary in one working directory; :class:`StackRunner` runs it over
the stacks of a synth output (``<outdir>/stacks/<stack>``): prepare, init, apply, destroy, outputs,
each command's output appended to ``<log_dir>/<stack>.log``. The first deployment
(:mod:`fraud_ops.deploy`) runs it in place; the local stage on copies
(:class:`local_stage.stage.LocalStackRunner`).

Terraform reads provider-installation rules from a CLI config file. When a filesystem mirror of
the AWS provider exists (``/opt/tf-plugins`` here, or ``FRAUD_TF_PLUGIN_MIRROR``), a generated
config installs ``hashicorp/aws`` from it; everything else, and every machine without a mirror,
uses the normal registry. The config is passed only to the subprocess (``TF_CLI_CONFIG_FILE``),
never written to the user's home.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from fraud_ops.timing import timed

DEFAULT_MIRROR = Path("/opt/tf-plugins")


class TerraformError(RuntimeError):
    """A Terraform command failed; the message carries the command and the end of its output."""


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

    def check(self, ok_codes: tuple[int, ...] = (0,), label: str = "") -> TerraformResult:
        if self.returncode not in ok_codes:
            tail = (self.stdout[-4000:] + "\n" + self.stderr[-8000:]).strip()
            where = f"{label}: " if label else ""
            raise TerraformError(f"{where}terraform {' '.join(self.args)} failed ({self.returncode}):\n{tail}")
        return self


def _pump(stream: TextIO, sink: TextIO, lines: list[str]) -> None:
    for line in stream:
        lines.append(line)
        sink.write(line)
        sink.flush()


@dataclass(frozen=True)
class Terraform:
    """One working directory, one CLI config; extra environment only for the subprocess."""

    workdir: Path
    cli_config: Path
    extra_env: tuple[tuple[str, str], ...] = ()
    isolated: bool = False
    """Drop the caller's ``AWS_*`` and ``TF_*`` variables (an emulator run must not reach an account)."""

    def environment(self) -> dict[str, str]:
        prefixes = ("AWS_", "TF_") if self.isolated else ()
        env = {name: value for name, value in os.environ.items() if not name.startswith(prefixes)}
        env.update(TF_CLI_CONFIG_FILE=str(self.cli_config), TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1")
        if self.isolated:
            env["AWS_EC2_METADATA_DISABLED"] = "true"
        env.update(dict(self.extra_env))
        return env

    def run(self, *args: str, timeout: float = 900, echo: bool = False, log: Path | None = None) -> TerraformResult:
        """Run ``terraform <args>``; with ``echo`` each line is also written through as it comes, with ``log``
        the command and its whole output are appended to that file."""
        binary = shutil.which("terraform")
        if binary is None:
            raise TerraformError("terraform is not on PATH (Terraform >= 1.10 is required)")
        try:
            result = self._execute([binary, *args], timeout, echo)
        except subprocess.TimeoutExpired as error:
            raise TerraformError(
                f"terraform {' '.join(args)} timed out after {timeout:.0f} s ({self.workdir})"
            ) from error
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a") as sink:
                sink.write(f"$ terraform {' '.join(args)}  (exit {result[0]})\n{result[1]}\n{result[2]}\n")
        return TerraformResult(tuple(args), *result)

    def _execute(self, command: list[str], timeout: float, echo: bool) -> tuple[int, str, str]:
        if not echo:
            done = subprocess.run(
                command,
                cwd=self.workdir,
                env=self.environment(),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            return done.returncode, done.stdout, done.stderr
        process = subprocess.Popen(
            command,
            cwd=self.workdir,
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        out: list[str] = []
        err: list[str] = []
        pumps = [
            threading.Thread(target=_pump, args=(process.stdout, sys.stdout, out), daemon=True),
            threading.Thread(target=_pump, args=(process.stderr, sys.stderr, err), daemon=True),
        ]
        for thread in pumps:
            thread.start()
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        for thread in pumps:
            thread.join()
        return returncode, "".join(out), "".join(err)

    def init(self, *extra: str) -> TerraformResult:
        return self.run("init", "-no-color", *extra).check()

    def validate(self) -> TerraformResult:
        return self.run("validate", "-no-color", "-json")


def managed_resource_count(tf_json: dict[str, Any]) -> int:
    """Resources (not data sources) a stack declares."""
    return sum(len(items) for items in tf_json.get("resource", {}).values())


@dataclass
class StackRunner:
    """Terraform over the stacks of one synth output, in place (subclasses may work on copies)."""

    synth_outdir: Path
    workdir: Path
    """Holds the CLI config (``terraform-cli/``) and, unless ``log_dir`` says otherwise, ``logs/``."""
    isolated: bool = False
    command_timeout: float = 600.0
    log_dir: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    echo: bool = False
    """Also stream Terraform's output to this process's stdout/stderr as it runs (make targets)."""

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.cli_config_path = write_cli_config(self.workdir / "terraform-cli")
        self.log_dir = self.log_dir or self.workdir / "logs"

    def stack_dir(self, stack: str) -> Path:
        return self.synth_outdir / "stacks" / stack

    def tf_json(self, stack: str) -> dict[str, Any]:
        """The synthesized ``cdk.tf.json`` of a stack (never modified)."""
        return dict(json.loads((self.synth_outdir / "stacks" / stack / "cdk.tf.json").read_text()))

    def prepare(self, stack: str) -> Path:
        """Make the stack's working directory ready for ``init`` (here: it is the synth output itself)."""
        return self.stack_dir(stack)

    def init_args(self, stack: str) -> tuple[str, ...]:
        """Extra ``terraform init`` arguments for a stack (none here; see fraud_ops.deploy)."""
        return ()

    def terraform(self, stack: str) -> Terraform:
        return Terraform(self.stack_dir(stack), self.cli_config_path, isolated=self.isolated)

    def run(self, stack: str, *args: str, ok_codes: tuple[int, ...] = (0,)) -> str:
        """Run one Terraform command in the stack's directory; the output goes to ``<log_dir>/<stack>.log``."""
        return self.run_result(stack, *args, ok_codes=ok_codes).stdout

    def run_result(self, stack: str, *args: str, ok_codes: tuple[int, ...] = (0,)) -> TerraformResult:
        assert self.log_dir is not None
        result = self.terraform(stack).run(
            *args, timeout=self.command_timeout, echo=self.echo, log=self.log_dir / f"{stack}.log"
        )
        return result.check(ok_codes, label=stack)

    def init(self, stack: str, *extra: str) -> None:
        self.run(stack, "init", "-no-color", "-input=false", *self.init_args(stack), *extra)

    def apply(self, stack: str) -> None:
        self.prepare(stack)
        with timed(f"init {stack}", self.timings):
            self.init(stack)
        with timed(f"apply {stack}", self.timings):
            self.run(stack, "apply", "-no-color", "-input=false", "-auto-approve", "-parallelism=10")

    def destroy(self, stack: str) -> None:
        with timed(f"destroy {stack}", self.timings):
            self.run(stack, "destroy", "-no-color", "-input=false", "-auto-approve", "-parallelism=10")

    def state_resources(self, stack: str) -> list[str]:
        """Managed resource addresses in state (data sources excluded)."""
        listing = self.run(stack, "state", "list").split()
        return [address for address in listing if not address.startswith("data.") and ".data." not in address]

    def outputs(self, stack: str) -> dict[str, Any]:
        raw = json.loads(self.run(stack, "output", "-json", "-no-color"))
        return {name: value.get("value") for name, value in raw.items()}
