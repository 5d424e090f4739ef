"""The fast provider import is an explicit call (main.py, tests/conftest.py), never an import side effect."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fraud_constructs import provider_loader

pytestmark = pytest.mark.synth

REPO = Path(__file__).resolve().parents[2]
LAZY_MAX_SUBMODULES = 200  # the lazy path imports tens of provider submodules; the stock one all ~2,100


def test_the_session_synth_ran_with_the_lazy_provider(synthesized: dict[str, dict]) -> None:
    """If anything imported the provider before the test setup's ``install()``, the synth above used the
    stock package: its ``__init__`` imports every submodule."""
    assert synthesized["app"]["resource"]
    assert provider_loader.is_active(), "the session synth ran with the stock provider import"
    loaded = [name for name in sys.modules if name.startswith(f"{provider_loader.PROVIDER_PACKAGE}.")]
    assert len([name for name in loaded if name.count(".") == 1]) < LAZY_MAX_SUBMODULES


@pytest.mark.unit
def test_main_installs_the_loader_before_it_imports_the_stacks() -> None:
    source = (REPO / "main.py").read_text()
    assert source.index("provider_loader.install()") < source.index("from stacks.assembly import")


@pytest.mark.tool
def test_importing_the_library_and_the_stacks_patches_nothing() -> None:
    """In a fresh interpreter: importing ``fraud_constructs`` and ``stacks`` leaves the provider
    unimported and jsii's type map untouched."""
    code = textwrap.dedent(
        """
        import json, sys
        import fraud_constructs, stacks
        from jsii import _reference_map
        before = dict(getattr(_reference_map, "_submodule_fqn_map", {}))
        import fraud_constructs.provider_loader
        print(json.dumps({
            "provider_imported": "cdktf_cdktf_provider_aws" in sys.modules,
            "fqn_entries": [k for k in before if k.startswith("@cdktf/provider-aws")],
            "active": fraud_constructs.provider_loader.is_active(),
        }))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"provider_imported": False, "fqn_entries": [], "active": False}
