"""The local stage as a newcomer meets it: a log directory per run (rotated when it stops), the secrets in a
mode-600 file the READY banner names instead of printing them, and ``make local-down`` showing each step."""

from __future__ import annotations

import dataclasses
import shlex
import stat
import threading
import time
from pathlib import Path

import pytest

from fraud_ops.targets import Target, load_local, read_secrets_file
from local_stage.stage import LocalStage, StageOptions, follow, new_run_dir, rotate_runs, run_dirs

pytestmark = pytest.mark.unit

API_KEY = "the-api-key-value-0123456789"
LABELS_API_KEY = "the-labels-api-key-value-0123456789"
SECRET = "s3cr3t-" + "x" * 40
LABEL_SECRET = "l4b3l-" + "y" * 40


def test_each_run_gets_its_own_log_directory_and_stopping_keeps_the_newest(tmp_path: Path) -> None:
    first, second = new_run_dir(tmp_path), new_run_dir(tmp_path)
    assert first != second and first.parent == second.parent == tmp_path / "logs"
    for _ in range(3):
        new_run_dir(tmp_path)
    removed = rotate_runs(tmp_path, keep=3)
    assert removed == [first, second]
    assert len(run_dirs(tmp_path)) == 3 and not first.exists()


def ready_stage(tmp_path: Path) -> LocalStage:
    stage = LocalStage(StageOptions(stage_dir=tmp_path))
    stage.run_dir = new_run_dir(tmp_path)
    stage.signing_key = ("k20261122", SECRET)
    stage.label_signing_key = ("k20261122", LABEL_SECRET)
    stage.target = Target(
        "local",
        "us-east-1",
        "http://127.0.0.1:1/v1/webhook",
        API_KEY,
        {},
        (),
        endpoint_url="http://127.0.0.1:2",
        labels_url="http://127.0.0.1:1/v1/labels",
        labels_api_key=LABELS_API_KEY,
        labels_api_key_id="lbl456",
    )
    stage._write_secrets_file(stage.target, stage.signing_key, stage.label_signing_key)
    return stage


def test_the_secrets_are_in_a_file_only_the_user_can_read_and_the_banner_names_it(tmp_path: Path) -> None:
    stage = ready_stage(tmp_path)
    mode = stat.S_IMODE(stage.secrets_file.stat().st_mode)
    assert mode == 0o600
    assert f"FRAUD_API_KEY={API_KEY}\n" in stage.secrets_file.read_text()
    assert f"FRAUD_SIGNING_SECRET={SECRET}\n" in stage.secrets_file.read_text()
    labels = "FRAUD_LABELS_API_KEY={}\nFRAUD_LABEL_SIGNING_KEY_ID=k20261122\nFRAUD_LABEL_SIGNING_SECRET={}\n"
    assert labels.format(LABELS_API_KEY, LABEL_SECRET) in stage.secrets_file.read_text()
    assert read_secrets_file(stage.secrets_file)["FRAUD_LABEL_SIGNING_SECRET"] == LABEL_SECRET
    stage._write_secrets_file(stage.target, ("k2", SECRET))  # a new run replaces it, still mode 600
    assert stat.S_IMODE(stage.secrets_file.stat().st_mode) == 0o600
    banner = stage.ready_message()
    assert SECRET not in banner and API_KEY not in banner
    assert LABEL_SECRET not in banner and LABELS_API_KEY not in banner
    assert str(stage.secrets_file) in banner and str(stage.run_dir) in banner
    assert "batch --current" in banner and "cli alerts" in banner
    assert "labels URL  : http://127.0.0.1:1/v1/labels" in banner and "cli label" in banner
    (curl,) = [line for line in banner.splitlines() if line.startswith("curl ")]
    assert f"$(sed -n 's/^FRAUD_API_KEY=//p' {shlex.quote(str(stage.secrets_file))})" in curl  # read when it runs


def test_the_stage_file_holds_no_api_key_and_the_cli_reads_it_from_the_secrets_file(tmp_path: Path) -> None:
    stage = ready_stage(tmp_path)
    target = dataclasses.replace(stage.target, secrets_file=str(stage.secrets_file))
    stage._write_stage_file(target)
    assert API_KEY not in stage.stage_file.read_text() and LABELS_API_KEY not in stage.stage_file.read_text()
    assert load_local(stage.stage_file) == target


def test_down_removes_the_secrets_and_says_where_the_logs_are(tmp_path: Path) -> None:
    lines: list[str] = []
    stage = ready_stage(tmp_path)
    stage.options = StageOptions(stage_dir=tmp_path, say=lines.append)
    stage._write_stage_file(stage.target)
    stage.down()
    assert not stage.secrets_file.exists() and not stage.stage_file.exists()
    assert lines[-1].startswith(f"[local] stopped; logs kept in {stage.run_dir}")


def test_local_down_shows_the_stage_log_lines_as_they_are_written(tmp_path: Path) -> None:
    log = tmp_path / "stage.log"
    log.write_text("before the stop\n")
    offset = log.stat().st_size
    done = threading.Event()

    def teardown() -> None:
        for step in ("[local] destroy app ...", "[local] destroy app: done in 1.0 s", "[local] stopped"):
            with log.open("a") as sink:
                sink.write(step + "\n")
            time.sleep(0.05)
        done.set()

    shown: list[str] = []
    threading.Thread(target=teardown).start()
    follow(log, offset, lambda: not done.is_set(), shown.append, poll=0.01)
    assert shown == ["[local] destroy app ...", "[local] destroy app: done in 1.0 s", "[local] stopped"]


def test_the_stage_creates_both_signing_key_sets_like_set_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """``_set_secrets``: the webhook's and the labels' key sets (the latter where the labels function reads it),
    and the fingerprint key, under the app key."""
    import boto3
    from moto import mock_aws

    from fraud_detection import contract
    from fraud_ops import key_rotation
    from fraud_ops.targets import FunctionSpec

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    environments = {
        "webhook": {"SIGNING_KEYS_PARAMETER": "/f/local/webhook-signing-keys", "FINGERPRINT_KEY_PARAMETER": "/f/fp"},
        "labels": {"LABEL_SIGNING_KEYS_PARAMETER": "/f/local/label-signing-keys", "ENVIRONMENT": "local"},
    }
    functions = tuple(FunctionSpec(role, role, "m.h", env, 256, 15) for role, env in environments.items())
    with mock_aws():
        key_arn = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
        target = Target("local", "us-east-1", "", API_KEY, {"app_key_arn": key_arn}, functions)
        webhook_key, label_key = LocalStage(StageOptions())._set_secrets(target)
        adapter = key_rotation.ParameterAdapter(boto3.client("ssm", region_name="us-east-1"))
        assert key_rotation.parse_key_set(adapter.read("/f/local/webhook-signing-keys")).newest() == webhook_key
        assert key_rotation.parse_key_set(adapter.read("/f/local/label-signing-keys")).newest() == label_key
        assert webhook_key[1] != label_key[1] and len(adapter.read("/f/fp")) >= 32
    assert contract.ENV_LABEL_SIGNING_KEYS_PARAMETER == "LABEL_SIGNING_KEYS_PARAMETER"
