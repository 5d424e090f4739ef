"""`make synth` skips a synth whose inputs and output have not changed since the last one.

The decision is taken before the cdktf CLI starts, with the standard library and ``stacks.config``
(no cdktf, no provider): well under a second. The inputs of a synth are

- the entry point and the project files: ``main.py``, ``cdktf.json``, ``Pipfile.lock``, ``package-lock.json``;
- the sources of the stacks (``stacks/``) and of the constructs (``constructs/fraud_constructs/``), and the
  risk settings files (``settings/``: ``settingsFile`` and ``shadowSettingsFile`` must be there);
- ``lambda_image/`` whole (the contract the stacks import, and the sources the image tag hashes), with
  the files the image tag ignores (``__pycache__``, ``*.egg-info``, ...) ignored here too;
- every ``FRAUD_*`` variable the configuration reads, found by running ``stacks.config.load_config`` on
  an environment that records what it is asked for (a new setting is an input without being listed);
- the synth command itself (the Makefile's recipe).

A successful synth writes a stamp, ``cdktf.out/.synth-inputs.json``: a digest of each input (never a
value) and a manifest of the output (every file the synth left, with its SHA-256; Terraform's own
``.terraform`` folders are not output). The next synth is skipped only when the digests match and every
file of the manifest is still there, unchanged. The input digests are taken before the command runs, so an
edit made while it runs causes another synth next time; a failed synth leaves no stamp.

``python -m tools.synth_inputs -- cdktf synth --output cdktf.out`` is what ``make synth`` runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FORMAT = 1
STAMP_NAME = ".synth-inputs.json"
PROJECT_FILES = ("main.py", "cdktf.json", "Pipfile.lock", "package-lock.json")
SOURCE_TREES = ("stacks", "constructs/fraud_constructs", "lambda_image", "settings")
NOT_OUTPUT = frozenset({".terraform", STAMP_NAME})
"""Names under the output folder that are not synth output: Terraform's working folder (``terraform init``
in a stack folder keeps its providers there) and the stamp itself."""


class _RecordingEnvironment(Mapping[str, str]):
    """An empty environment that remembers every name looked up in it."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        self.asked.add(str(name))
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def configuration_variables() -> tuple[str, ...]:
    """The ``FRAUD_*`` variables ``load_config`` reads (every setting's, with the defaults in force)."""
    from stacks.config import load_config

    environment = _RecordingEnvironment()
    load_config({}, environment)
    return tuple(sorted(name for name in environment.asked if name.startswith("FRAUD_")))


def input_files(root: Path) -> list[Path]:
    """The files a synth reads, relative to ``root``, in a stable order."""
    from stacks.image_tag import context_files

    files = [Path(name) for name in PROJECT_FILES]
    for tree in SOURCE_TREES:
        if (root / tree).is_dir():
            files += [path.relative_to(root) for path in context_files(root / tree)]
    return sorted(files)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def input_digests(
    root: Path, environ: Mapping[str, str], command: Sequence[str], variables: Sequence[str] | None = None
) -> dict[str, str]:
    """One digest per input: ``file:<path>`` (its bytes, or ``absent``), ``env:<name>`` (its value, or
    ``unset``), and ``command``."""
    digests = {}
    for path in input_files(root):
        full = root / path
        digests[f"file:{path.as_posix()}"] = _digest(full.read_bytes()) if full.is_file() else "absent"
    for name in configuration_variables() if variables is None else variables:
        value = environ.get(name)
        digests[f"env:{name}"] = "unset" if value is None else _digest(value.encode())
    digests["command"] = _digest(json.dumps(list(command)).encode())
    return digests


def fingerprint(digests: Mapping[str, str]) -> str:
    """SHA-256 over every input's name and digest."""
    return _digest(json.dumps(sorted(digests.items())).encode())


def output_manifest(outdir: Path) -> dict[str, str]:
    """Every file of the synth output: relative path -> SHA-256 of its bytes."""
    manifest = {}
    if outdir.is_dir():
        for path in sorted(outdir.rglob("*")):
            relative = path.relative_to(outdir)
            if path.is_file() and not NOT_OUTPUT & set(relative.parts):
                manifest[relative.as_posix()] = _digest(path.read_bytes())
    return manifest


def _manifest_intact(outdir: Path, manifest: Mapping[str, str]) -> bool:
    for name, digest in manifest.items():
        path = outdir / name
        if not path.is_file() or _digest(path.read_bytes()) != digest:
            return False
    return bool(manifest)


def stale_reasons(outdir: Path, digests: Mapping[str, str]) -> list[str]:
    """Why a synth is needed (empty: the last synth's output is current and intact)."""
    try:
        stamp = json.loads((outdir / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return ["no stamp of a successful synth in " + str(outdir)]
    if not isinstance(stamp, dict) or stamp.get("format") != FORMAT:
        return ["the stamp has another format"]
    if stamp.get("fingerprint") != fingerprint(digests):
        before: Mapping[str, Any] = stamp.get("inputs") or {}
        changed = sorted(name for name in before.keys() | digests.keys() if before.get(name) != digests.get(name))
        return [
            "inputs changed: " + ", ".join(changed[:8]) + (f" and {len(changed) - 8} more" if len(changed) > 8 else "")
        ]
    if not _manifest_intact(outdir, stamp.get("output") or {}):
        return ["the output was changed or removed since the last synth"]
    return []


def write_stamp(outdir: Path, digests: Mapping[str, str]) -> None:
    stamp = {
        "format": FORMAT,
        "fingerprint": fingerprint(digests),
        "inputs": dict(sorted(digests.items())),
        "output": output_manifest(outdir),
    }
    (outdir / STAMP_NAME).write_text(json.dumps(stamp, indent=1) + "\n")


def synth_if_changed(
    command: Sequence[str], *, root: Path = ROOT, outdir: Path | None = None, environ: Mapping[str, str]
) -> int:
    """Run ``command`` (in ``root``) unless the stamp says its inputs and output are unchanged; stamp a success."""
    outdir = outdir or root / "cdktf.out"
    digests = input_digests(root, environ, command)
    reasons = stale_reasons(outdir, digests)
    if not reasons:
        print(f"synth: up to date, nothing changed since the last synth ({outdir.name}/{STAMP_NAME})")
        return 0
    print(f"synth: {reasons[0]}", flush=True)
    (outdir / STAMP_NAME).unlink(missing_ok=True)
    started = time.monotonic()
    try:
        returncode = subprocess.run(list(command), cwd=root, check=False).returncode
    except KeyboardInterrupt:
        return 130
    if returncode != 0:
        return returncode
    outdir.mkdir(parents=True, exist_ok=True)
    write_stamp(outdir, digests)
    print(f"synth: done in {time.monotonic() - started:.1f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the project whose inputs count (default: this one)")
    parser.add_argument("--outdir", type=Path, help="the synth's output folder (default: <root>/cdktf.out)")
    parser.add_argument("command", nargs="+", help="the synth command (after --), run in the root")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    outdir = (args.outdir or root / "cdktf.out").resolve()
    return synth_if_changed(args.command, root=root, outdir=outdir, environ=os.environ)


if __name__ == "__main__":
    sys.exit(main())
