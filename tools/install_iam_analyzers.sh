#!/usr/bin/env bash
# Install the IAM policy analyzers (parliament, cloudsplaining) into their own venv
# (.tools/iam-analyzers): their boto3/botocore pins conflict with the app's Pipfile pin and with
# checkov's, so they share neither the project venv nor .tools/checkov.
# Idempotent: reinstalls only when tools/requirements-iam-analyzers.txt changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$ROOT/tools/requirements-iam-analyzers.txt"
VENV="${IAM_ANALYZERS_VENV:-$ROOT/.tools/iam-analyzers}"
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"

want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [[ -x "$VENV/bin/parliament" && -x "$VENV/bin/cloudsplaining" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "iam-analyzers venv up to date: $VENV"
  exit 0
fi

mkdir -p "$(dirname "$VENV")"
# Nothing under .tools is source: keep it out of git even before .gitignore says so.
[[ -f "$(dirname "$VENV")/.gitignore" ]] || echo '*' >"$(dirname "$VENV")/.gitignore"
if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
fi
# No pip self-upgrade: it would not be hash-pinned.
# The lock's --extra-index-url/--find-links lines name this machine's local mirrors; pip warns
# (harmlessly) where they are absent, so those warnings are filtered out.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  --require-hashes --no-deps -r "$REQ" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
"$VENV/bin/python" -m pip check
echo "$want" >"$STAMP"
echo "iam-analyzers installed: $VENV (parliament $("$VENV/bin/python" -c 'import parliament; print(parliament.__version__)'), $("$VENV/bin/cloudsplaining" --version 2>&1 | tail -1))"
