#!/usr/bin/env bash
# Install the IAM policy analyzers (parliament, cloudsplaining) into their own venv
# (.tools/iam-analyzers): their boto3/botocore pins conflict with the app's Pipfile pin and with
# checkov's, so they share neither the project venv nor .tools/checkov.
# Idempotent: reinstalls only when tools/requirements-iam-analyzers.txt changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${IAM_ANALYZERS_VENV:-$ROOT/.tools/iam-analyzers}"
bash "$ROOT/tools/install_tool_venv.sh" iam-analyzers "$ROOT/tools/requirements-iam-analyzers.txt" "$VENV" \
  parliament cloudsplaining
"$VENV/bin/python" -c 'import parliament; print("parliament", parliament.__version__)'
