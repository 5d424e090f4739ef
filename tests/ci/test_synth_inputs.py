"""`make synth` skips a synth whose inputs and output are unchanged (tools/synth_inputs.py), in both directions:
nothing changed -> no synth; any kind of input changed, or the output touched -> synth again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from stacks import config
from tools import synth_inputs
from tools.synth_inputs import STAMP_NAME, configuration_variables, input_digests, stale_reasons, write_stamp

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
COMMAND = ("cdktf", "synth", "--output", "cdktf.out")
PROJECT = {
    "main.py": "print('synth')\n",
    "cdktf.json": '{"app": "python main.py", "context": {"environment": "dev"}}\n',
    "Pipfile.lock": '{"default": {}}\n',
    "package-lock.json": '{"packages": {}}\n',
    "stacks/__init__.py": "",
    "stacks/app.py": "STACK = 'app'\n",
    "stacks/__pycache__/app.cpython-311.pyc": "bytecode",
    "constructs/fraud_constructs/secure_table.py": "TABLE = 'table'\n",
    "constructs/README.md": "not a source of the synth\n",
    "lambda_image/Dockerfile": "FROM scratch\n",
    "lambda_image/requirements.txt": "boto3==1\n",
    "lambda_image/fraud_detection/contract.py": "WINDOW_SECONDS = 300\n",
    "lambda_image/fraud_detection.egg-info/PKG-INFO": "Name: fraud-detection\n",
    "tests/test_app.py": "not a source of the synth\n",
}
OUTPUT = {"manifest.json": '{"stacks": {}}\n', "stacks/app/cdk.tf.json": '{"resource": {}}\n'}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def synthesized(root: Path, environ: dict[str, str], command: tuple[str, ...] = COMMAND) -> None:
    """What a successful `make synth` leaves: the output, stamped with the inputs it was made from."""
    write(root / "cdktf.out", OUTPUT)
    write_stamp(root / "cdktf.out", input_digests(root, environ, command))


def reasons(root: Path, environ: dict[str, str], command: tuple[str, ...] = COMMAND) -> list[str]:
    return stale_reasons(root / "cdktf.out", input_digests(root, environ, command))


ENV = {"FRAUD_REGION": "us-east-1", "HOME": "/home/a"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path, PROJECT)
    synthesized(tmp_path, dict(ENV))
    return tmp_path


def edit(name: str) -> Callable[[Path], None]:
    return lambda root: (root / name).write_text((root / name).read_text() + "# edited\n")


INPUT_CHANGES: dict[str, Callable[[Path], None]] = {
    "main.py": edit("main.py"),
    "cdktf.json": edit("cdktf.json"),
    "Pipfile.lock": edit("Pipfile.lock"),
    "package-lock.json": edit("package-lock.json"),
    "a stack's source": edit("stacks/app.py"),
    "a new stack module": lambda root: write(root, {"stacks/registry.py": "STACK = 'registry'\n"}),
    "a construct's source": edit("constructs/fraud_constructs/secure_table.py"),
    "the image's code": edit("lambda_image/fraud_detection/contract.py"),
    "the image's Dockerfile": edit("lambda_image/Dockerfile"),
    "a file of the image removed": lambda root: (root / "lambda_image/requirements.txt").unlink(),
    "main.py removed": lambda root: (root / "main.py").unlink(),
}


def test_nothing_changed_means_no_synth(project: Path) -> None:
    assert reasons(project, dict(ENV)) == []


@pytest.mark.parametrize("change", INPUT_CHANGES.values(), ids=INPUT_CHANGES.keys())
def test_a_changed_input_file_means_a_synth(project: Path, change: Callable[[Path], None]) -> None:
    change(project)
    (why,) = reasons(project, dict(ENV))
    assert why.startswith("inputs changed: file:")
    synthesized(project, ENV)  # and once synthesized again, it is current
    assert reasons(project, dict(ENV)) == []


@pytest.mark.parametrize(
    "environ",
    [
        {**ENV, "FRAUD_REGION": "eu-west-1"},  # a value changed
        {"HOME": "/home/a"},  # unset
        {**ENV, "FRAUD_WINDOW_SHARDS": "16"},  # newly set
        {**ENV, "FRAUD_ENVIRONMENT": ""},  # set, even if empty
    ],
    ids=["changed", "unset", "set", "set-empty"],
)
def test_a_changed_configuration_variable_means_a_synth(project: Path, environ: dict[str, str]) -> None:
    (why,) = reasons(project, environ)
    assert why.startswith("inputs changed: env:FRAUD_")


def test_a_changed_synth_command_means_a_synth(project: Path) -> None:
    assert reasons(project, dict(ENV), ("cdktf", "synth", "--output", "elsewhere")) == ["inputs changed: command"]


@pytest.mark.parametrize(
    "change",
    [
        lambda root: (root / "stacks/__pycache__/app.cpython-311.pyc").write_text("other bytecode"),
        lambda root: write(root, {"lambda_image/fraud_detection.egg-info/SOURCES.txt": "x"}),
        edit("constructs/README.md"),
        edit("tests/test_app.py"),
        lambda root: write(root, {"cdktf.out/stacks/app/.terraform/providers/aws": "binary"}),
        lambda root: write(root, {"cdktf.out/stacks/app/plan.txt": "an extra file is no damage to the output"}),
    ],
    ids=["bytecode", "egg-info", "constructs-readme", "tests", "terraform-init", "extra-output-file"],
)
def test_what_is_no_input_changes_nothing(project: Path, change: Callable[[Path], None]) -> None:
    change(project)
    assert reasons(project, {**ENV, "HOME": "/home/b", "OTHER_FRAUD_X": "1"}) == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda out: (out / "stacks/app/cdk.tf.json").write_text('{"resource": {"edited": {}}}'),
        lambda out: (out / "stacks/app/cdk.tf.json").unlink(),
        lambda out: (out / "manifest.json").unlink(),
        lambda out: shutil.rmtree(out / "stacks"),
    ],
    ids=["edited", "stack-removed", "manifest-removed", "stacks-removed"],
)
def test_a_damaged_output_means_a_synth(project: Path, damage: Callable[[Path], None]) -> None:
    damage(project / "cdktf.out")
    assert reasons(project, dict(ENV)) == ["the output was changed or removed since the last synth"]


@pytest.mark.parametrize(
    "stamp",
    [None, "not json", json.dumps({"format": 0})],
    ids=["missing", "corrupt", "old-format"],
)
def test_no_usable_stamp_means_a_synth(project: Path, stamp: str | None) -> None:
    path = project / "cdktf.out" / STAMP_NAME
    path.unlink()
    if stamp is not None:
        path.write_text(stamp)
    assert reasons(project, dict(ENV))


def test_the_stamp_holds_digests_never_values(project: Path) -> None:
    secretish = {**ENV, "FRAUD_ALERT_EMAIL": "ops@example.com"}
    synthesized(project, secretish)
    assert "ops@example.com" not in (project / "cdktf.out" / STAMP_NAME).read_text()


def test_the_configuration_variables_are_derived_from_the_configuration_code() -> None:
    names = configuration_variables()
    # every setting's variable, as the configuration's own parsers and docs name them ...
    assert {config._sources(setting).env_var for setting in config._PARSERS} <= set(names)
    # ... and every name the configuration reads, found by running it: no list kept by hand
    assert all(name.startswith("FRAUD_") for name in names)
    assert {"FRAUD_ENVIRONMENT", "FRAUD_REGION", "FRAUD_WINDOW_SHARDS", "FRAUD_IMAGE_TAG"} <= set(names)


def test_the_project_inputs_are_the_sources_the_issue_names() -> None:
    files = {path.as_posix() for path in synth_inputs.input_files(ROOT)}
    assert {"main.py", "cdktf.json", "Pipfile.lock", "package-lock.json", "stacks/config.py"} <= files
    assert "constructs/fraud_constructs/secure_table.py" in files
    assert {"lambda_image/Dockerfile", "lambda_image/fraud_detection/contract.py"} <= files
    assert not [name for name in files if "__pycache__" in name or ".egg-info" in name]


# --- end to end: the decision as `make synth` takes it, with a stand-in for the cdktf CLI -------------------

FAKE_SYNTH = (
    "import pathlib, sys; out = pathlib.Path('cdktf.out'); (out / 'stacks/app').mkdir(parents=True, exist_ok=True);"
    "(out / 'stacks/app/cdk.tf.json').write_text('{}'); runs = pathlib.Path('runs.txt');"
    "runs.write_text(runs.read_text() + 'x' if runs.exists() else 'x'); sys.exit(int(pathlib.Path('fail').exists()))"
)


def make_synth(root: Path, **env: str) -> tuple[int, float]:
    """`python -m tools.synth_inputs -- <fake synth>` the way the Makefile runs it; the seconds it took."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("FRAUD_")} | env
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tools.synth_inputs", "--root", str(root), "--", sys.executable, "-c", FAKE_SYNTH],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, time.monotonic() - started


@pytest.mark.tool
def test_make_synth_runs_the_cli_only_when_something_changed(tmp_path: Path) -> None:
    write(tmp_path, PROJECT)
    runs = tmp_path / "runs.txt"

    assert make_synth(tmp_path)[0] == 0 and runs.read_text() == "x"  # first synth
    code, seconds = make_synth(tmp_path)
    assert (code, runs.read_text()) == (0, "x") and seconds < 1  # nothing changed: decided in < 1 s, no CLI
    edit("stacks/app.py")(tmp_path)
    assert make_synth(tmp_path)[0] == 0 and runs.read_text() == "xx"
    assert make_synth(tmp_path, FRAUD_WINDOW_SHARDS="16")[0] == 0 and runs.read_text() == "xxx"
    assert make_synth(tmp_path, FRAUD_WINDOW_SHARDS="16")[0] == 0 and runs.read_text() == "xxx"
    (tmp_path / "cdktf.out/stacks/app/cdk.tf.json").unlink()
    assert make_synth(tmp_path, FRAUD_WINDOW_SHARDS="16")[0] == 0 and runs.read_text() == "xxxx"

    # a failed synth leaves no stamp: the next one runs again, though nothing changed
    (tmp_path / "fail").touch()
    edit("cdktf.json")(tmp_path)
    assert make_synth(tmp_path)[0] == 1 and not (tmp_path / "cdktf.out" / STAMP_NAME).exists()
    (tmp_path / "fail").unlink()
    assert make_synth(tmp_path)[0] == 0 and runs.read_text() == "xxxxxx"
    assert make_synth(tmp_path)[0] == 0 and runs.read_text() == "xxxxxx"


@pytest.mark.tool
def test_the_decision_imports_neither_cdktf_nor_the_provider() -> None:
    heavy = "{'cdktf', 'jsii', 'constructs', 'cdktf_cdktf_provider_aws'}"
    probe = (
        "import os, sys; from pathlib import Path; from tools import synth_inputs as s;"
        "s.stale_reasons(Path('cdktf.out'), s.input_digests(s.ROOT, os.environ, ['cdktf']));"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {heavy}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.tool
def test_the_makefile_synth_target_decides_before_the_cli() -> None:
    done = subprocess.run(["make", "-n", "synth"], cwd=ROOT, capture_output=True, text=True, check=True)
    (line,) = [line for line in done.stdout.splitlines() if "cdktf synth" in line]
    assert "-m tools.synth_inputs" in line and line.index("tools.synth_inputs") < line.index("cdktf synth")
