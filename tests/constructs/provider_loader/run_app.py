"""Run a cdktf app file as ``__main__`` and record which provider submodules it imported.

Why: the equivalence test must know that the fast run really took the lazy path (and the stock
run the stock one); the byte comparison alone cannot tell. Usage:
``python run_app.py <app.py> <modules.json>`` (the app's own directory goes first on sys.path,
as with ``python app.py``).
"""

from __future__ import annotations

import atexit
import json
import runpy
import sys
from pathlib import Path

PREFIX = "cdktf_cdktf_provider_aws."


def _dump(out: Path) -> None:
    loaded = sorted(name for name in sys.modules if name.startswith(PREFIX) and name.count(".") == 1)
    out.write_text(json.dumps(loaded))


def main() -> None:
    app, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    atexit.register(_dump, out)
    sys.path.insert(0, str(app.parent))
    sys.argv = [str(app)]
    runpy.run_path(str(app), run_name="__main__")


if __name__ == "__main__":
    main()
