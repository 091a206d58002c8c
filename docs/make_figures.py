"""Regenerate every figure in docs/img/ (the make_*_plots.py scripts beside them).

    python docs/make_figures.py            # all figures
    python docs/make_figures.py clv        # only docs/img/make_clv_plots.py

Each script draws with customer_models.plotting (or matplotlib directly for the areas without a
plotting function) and saves PNGs at 160 dpi with constrained layout, so labels are never
clipped. Run from anywhere; matplotlib's non-interactive Agg backend is used.
"""

from __future__ import annotations

import os
import runpy
import sys
import time
from pathlib import Path

IMG = Path(__file__).resolve().parent / "img"


def main(argv: list[str] | None = None) -> int:
    """Run the figure scripts whose area names are given (default: all)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    areas = sys.argv[1:] if argv is None else argv
    scripts = sorted(IMG.glob("make_*_plots.py"))
    if areas:
        scripts = [
            s for s in scripts if s.stem.removeprefix("make_").removesuffix("_plots") in areas
        ]
    for script in scripts:
        start = time.perf_counter()
        runpy.run_path(str(script), run_name="__main__")
        print(f"{script.name}: {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
