"""The figures of the last committed bench table, so each new figure is shown beside its predecessor.

``git show HEAD:bench/results/latest.md`` is the table of the last commit; its rows are matched to the
new ones by the metric's text. A row's figure is its second cell (``ratio`` before issue 14, ``figure``
since); where that cell is ``-`` the first size or duration in its ``absolute`` cell stands in (the image's
wheel size was reported there).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

RESULTS_PATH = "bench/results/latest.md"
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_QUANTITY = re.compile(r"\d[\d,]*(?:\.\d+)?\s?(?:MB|KB|ms|µs|s|WRU)\b")


def committed_table(repo: Path, revision: str = "HEAD") -> str | None:
    """The bench table as committed at ``revision``, or ``None`` (no git, no commit, no file)."""
    try:
        done = subprocess.run(
            ["git", "show", f"{revision}:{RESULTS_PATH}"], cwd=repo, capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def _cells(line: str) -> list[str]:
    return [cell.strip().replace("\\|", "|") for cell in _CELL_SPLIT.split(line.strip())[1:-1]]


def figures(table: str) -> dict[str, str]:
    """Metric -> figure of the first Markdown table whose header starts with ``metric``."""
    result: dict[str, str] = {}
    header: list[str] | None = None
    for line in table.splitlines():
        if not line.startswith("|"):
            if header is not None and result:
                break
            continue
        cells = _cells(line)
        if header is None:
            if cells and cells[0] == "metric":
                header = cells
            continue
        if set("".join(cells)) <= set("-: "):
            continue  # the alignment row
        row = dict(zip(header, cells, strict=False))
        figure = row.get("figure", row.get("ratio", ""))
        if figure in ("", "-", "n/a"):
            quantity = _QUANTITY.search(row.get("absolute", ""))
            figure = quantity.group(0) if quantity else figure
        result[row["metric"]] = figure or "-"
    return result
