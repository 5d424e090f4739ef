"""The AWS emulator (a moto server on 127.0.0.1): start it, reach it, push an image manifest into it.

One set of dummy credentials serves everything that talks to the emulator (Terraform's provider
override, boto3 clients of the tooling, the function workers' environment): :data:`DUMMY_ACCESS_KEY`
and :data:`DUMMY_SECRET_KEY`. The moto server's own request log (one line per API call: the stream
pump polls every second) is switched off; its warnings and errors still reach its log file.

    with MotoServer.start(log_path=...) as moto:
        put_image(moto.url, repository_name("dev"), "src-...")
        emulator_client("s3", moto.url).list_buckets()
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DUMMY_ACCESS_KEY = "testing"
DUMMY_SECRET_KEY = "testing"  # noqa: S105 - moto accepts any credentials; these reach nothing else

# moto.server with werkzeug's per-request INFO lines off (warnings and errors are kept).
_QUIET_MOTO = (
    "import logging, sys; logging.getLogger('werkzeug').setLevel(logging.WARNING); "
    "from moto.server import main; sys.exit(main(sys.argv[1:]))"
)


def emulator_environment(endpoint: str) -> dict[str, str]:
    """What a process needs in its environment for boto3 to reach the emulator at ``endpoint``."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_KEY,
    }


def emulator_client(service: str, endpoint: str | None, region: str = "us-east-1") -> Any:
    """A boto3 client for the emulator at ``endpoint``, or (``None``) for the account of the usual credentials."""
    import boto3  # dev dependency; imported late so the module loads without it

    if endpoint is None:
        return boto3.client(service, region_name=region)
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=DUMMY_ACCESS_KEY,
        aws_secret_access_key=DUMMY_SECRET_KEY,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoServer:
    """A ``moto.server`` child process on 127.0.0.1 and a free port; stop() always reaps it."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls, *, log_path: Path | None = None, timeout: float = 60.0, environ: Mapping[str, str] | None = None
    ) -> MotoServer:
        port = free_port()
        env = dict(os.environ if environ is None else environ)
        # Lambda must find the image in the emulated ECR by digest, as in AWS.
        env.setdefault("MOTO_LAMBDA_STUB_ECR", "false")
        # The child gets its own descriptor of the log; the parent's handle is closed once it has started.
        with log_path.open("wb") if log_path else contextlib.nullcontext(subprocess.DEVNULL) as log:
            process = subprocess.Popen(
                [sys.executable, "-c", _QUIET_MOTO, "-H", "127.0.0.1", "-p", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        server = cls(port=port, process=process, log_path=log_path)
        try:
            server._wait_ready(timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.process.returncode} (log: {self.log_path})")
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2):  # noqa: S310 - local URL
                    return
            except OSError:
                time.sleep(0.25)
        raise TimeoutError(f"moto_server did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


# A minimal single-image manifest (no layers): enough for ECR to record a tag and a digest.
IMAGE_MANIFEST: Mapping[str, Any] = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {
        "mediaType": "application/vnd.docker.container.image.v1+json",
        "size": 2,
        "digest": "sha256:" + hashlib.sha256(b"{}").hexdigest(),
    },
    "layers": [],
}


def put_manifest(ecr: Any, repository: str, tag: str, manifest: Mapping[str, Any] = IMAGE_MANIFEST) -> str:
    """``PutImage`` of ``manifest`` under ``tag`` with any ECR client (moto); returns its digest."""
    response = ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)
    return str(response["image"]["imageId"]["imageDigest"])


def put_image(endpoint: str, repository: str, tag: str, region: str = "us-east-1") -> str:
    """Push a minimal image manifest under ``tag`` to the emulated ECR; returns its digest."""
    return put_manifest(emulator_client("ecr", endpoint, region), repository, tag)
