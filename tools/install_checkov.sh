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
  echo "checkov venv up to date: $VENV"
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
echo "checkov installed: $VENV ($("$VENV/bin/checkov" --version))"
