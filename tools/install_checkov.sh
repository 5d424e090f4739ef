#!/usr/bin/env bash
# Install checkov into its own venv (.tools/checkov): checkov pins a boto3 that
# conflicts with the app's Pipfile pin, so it must never share the project venv.
# Idempotent: reinstalls only when tools/requirements-checkov.txt changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$ROOT/tools/requirements-checkov.txt"
VENV="${CHECKOV_VENV:-$ROOT/.tools/checkov}"
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"

want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [[ -x "$VENV/bin/checkov" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "checkov venv up to date: $VENV ($("$VENV/bin/checkov" --version))"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
fi
# No pip self-upgrade: it would not be hash-pinned.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  --require-hashes --no-deps -r "$REQ"
"$VENV/bin/python" -m pip check
echo "$want" >"$STAMP"
echo "checkov installed: $VENV ($("$VENV/bin/checkov" --version))"
