#!/usr/bin/env bash
# Install a hash-pinned tool into a venv of its own: install_tool_venv.sh NAME REQUIREMENTS VENV BINARY...
# Tools whose pins conflict with the app's (checkov, the IAM analyzers) never share the project venv.
# Idempotent: reinstalls only when REQUIREMENTS changed (its sha256 is stamped in the venv) or a
# BINARY is missing.
set -euo pipefail

NAME="$1"
REQ="$2"
VENV="$3"
shift 3
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"

want="$(sha256sum "$REQ" | cut -d' ' -f1)"
present=true
for binary in "$@"; do
  [[ -x "$VENV/bin/$binary" ]] || present=false
done
if [[ "$present" == true && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "$NAME venv up to date: $VENV"
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
echo "$NAME installed: $VENV"
