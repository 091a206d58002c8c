"""Execute the notebooks in notebooks/ and save them with their outputs and inline plots.

    python docs/execute_notebooks.py                 # all notebooks
    python docs/execute_notebooks.py notebooks/02_valuation.ipynb

Run after changing a notebook or the code it calls, and commit the result:
tests/test_notebooks.py re-executes each notebook and fails when its committed outputs are
missing or their numbers differ from a fresh run. The kernel runs with matplotlib's inline
backend (``MPLBACKEND`` is removed from its environment, so a CI setting of ``Agg`` does not
suppress the plots) and volatile metadata (execution timestamps) is not saved.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TIMEOUT = 1200  # s, one cell (generous: CI machines are shared)


def execute(path: Path, *, timeout: int = TIMEOUT):
    """Run one notebook in a fresh kernel (cwd = notebooks/); return the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    saved = os.environ.pop("MPLBACKEND", None)
    try:
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    finally:
        if saved is not None:
            os.environ["MPLBACKEND"] = saved
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    return nb


def main(argv: list[str] | None = None) -> int:
    """Execute and save the given notebooks (default: all of notebooks/)."""
    import nbformat

    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in args] or sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in paths:
        nb = execute(path)
        nbformat.write(nb, path)
        print(f"executed {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
