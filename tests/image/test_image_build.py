"""The image recipe: hadolint-clean, base pinned by digest, wheels resolvable for Lambda arm64."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

IMAGE_DIR = Path(__file__).resolve().parents[2] / "lambda_image"
DOCKERFILE = IMAGE_DIR / "Dockerfile"
REQUIREMENTS = IMAGE_DIR / "requirements.txt"
BASE_IMAGE_PACKAGES = {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}
FROM_LINE = re.compile(r"^FROM\s+(?:--\S+\s+)?(?P<image>\S+)", re.MULTILINE)


def _hadolint() -> str:
    candidate = Path(sys.executable).parent / "hadolint"
    return str(candidate) if candidate.exists() else "hadolint"


def _pinned_requirements() -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", REQUIREMENTS.read_text(), re.MULTILINE)
    return {name.lower(): version for name, version in pins}


def _arg_default(name: str) -> str:
    match = re.search(rf"^ARG {name}=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert match, f"ARG {name} with a default is missing"
    return match.group(1)


@pytest.mark.tool
def test_dockerfile_is_hadolint_clean() -> None:
    result = subprocess.run([_hadolint(), str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_every_stage_uses_the_lambda_base_image_by_digest_and_python_arg() -> None:
    images = FROM_LINE.findall(DOCKERFILE.read_text())
    assert images, "no FROM line"
    for image in images:
        assert image == "public.ecr.aws/lambda/python:${PYTHON_VERSION}-arm64@${BASE_IMAGE_DIGEST}"
    assert _arg_default("PYTHON_VERSION") == "3.11"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", _arg_default("BASE_IMAGE_DIGEST"))


def test_pinning_rewrites_only_the_digest_and_rejects_non_digests() -> None:
    from tools.base_image import PLACEHOLDER, base_digest, base_reference, with_digest

    text = DOCKERFILE.read_text()
    digest = "sha256:" + "ab" * 32
    pinned = with_digest(text, digest)
    assert base_digest(pinned) == digest
    assert pinned.replace(digest, PLACEHOLDER) == text.replace(base_digest(text) or "", PLACEHOLDER)
    assert base_reference(text) == "public.ecr.aws/lambda/python:3.11-arm64"
    with pytest.raises(ValueError, match="not an image digest"):
        with_digest(text, "latest")


def test_dependencies_are_installed_by_hash_without_the_base_image_packages() -> None:
    text = DOCKERFILE.read_text()
    assert "--require-hashes" in text
    assert "--no-deps" in text
    assert "--only-binary=:all:" in text
    assert 'CMD ["fraud_detection.handlers.webhook.handler"]' in text
    assert "COPY fraud_detection/" in text
    final_stage = text.split("\nFROM ")[-1]
    assert "pip install" not in final_stage, "the final stage must not run pip"


def test_requirements_are_hash_pinned_and_exclude_what_lambda_ships() -> None:
    pins = _pinned_requirements()
    assert {"aws-lambda-powertools", "msgspec", "aws-xray-sdk"} <= set(pins)
    assert not BASE_IMAGE_PACKAGES & set(pins)
    blocks = re.split(r"^(?=[A-Za-z0-9_.-]+==)", REQUIREMENTS.read_text(), flags=re.MULTILINE)[1:]
    assert len(blocks) == len(pins)
    for block in blocks:
        assert "--hash=sha256:" in block, block.splitlines()[0]


def test_requirements_match_the_venv_versions_tests_run_against() -> None:
    from importlib.metadata import version

    pins = _pinned_requirements()
    for name in ("aws-lambda-powertools", "msgspec"):
        assert pins[name] == version(name), f"{name}: image {pins[name]} vs tests {version(name)}"


def test_dockerignore_keeps_the_context_to_code_and_requirements() -> None:
    lines = (IMAGE_DIR / ".dockerignore").read_text().split("\n")
    assert "*" in lines
    assert "!requirements.txt" in lines
    assert "!fraud_detection/" in lines
    assert "**/__pycache__" in lines


@pytest.mark.network
@pytest.mark.timeout(600)
def test_requirements_resolve_to_aarch64_cpython_311_wheels(tmp_path: Path) -> None:
    """What the image build will do, minus Docker: every pin has a manylinux aarch64/cp311 wheel."""
    command = [
        sys.executable, "-m", "pip", "--isolated", "download",
        "--platform", "manylinux2014_aarch64",
        "--python-version", _arg_default("PYTHON_VERSION"),
        "--implementation", "cp",
        "--only-binary=:all:", "--no-deps", "--require-hashes",
        "--index-url", "https://pypi.org/simple",
        "-r", str(REQUIREMENTS), "-d", str(tmp_path),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    wheels = sorted(path.name for path in tmp_path.glob("*.whl"))
    assert len(wheels) == len(_pinned_requirements())
    for wheel in wheels:
        tags = wheel.removesuffix(".whl").split("-")[-3:]
        assert tags[2] == "any" or "aarch64" in tags[2], wheel
        assert tags[1] in ("none", "abi3", "cp311"), wheel
