#!/usr/bin/env bash
# Install checkov into its own venv (.tools/checkov): checkov pins a boto3 that
# conflicts with the app's Pipfile pin, so it must never share the project venv.
# Idempotent: reinstalls only when tools/requirements-checkov.txt changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CHECKOV_VENV:-$ROOT/.tools/checkov}"
bash "$ROOT/tools/install_tool_venv.sh" checkov "$ROOT/tools/requirements-checkov.txt" "$VENV" checkov
"$VENV/bin/checkov" --version
