"""The notebooks are committed as a user sees them: with their outputs and plots, not stale.

Each notebook is re-executed (docs/execute_notebooks.py, the script that saves them) and its
committed outputs are compared with the fresh ones: the same cells have outputs, the same cells
show a plot, and the numbers in the text outputs agree to within one unit of their last shown
digit or 0.01 % (so a float printed as 0.1235 in one run and 0.1234 in another still agrees,
and so do optimizer results that differ in their sixth decimal, while a changed result does
not). When this fails after an intended change, re-run
``python docs/execute_notebooks.py`` and commit the notebooks.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.(\d+))?(?:[eE][+-]?\d+)?")
_VOLATILE = re.compile(r"0x[0-9a-fA-F]+|\d+(?:\.\d+)?\s*(?:ms|s|µs)\b")

#: Relative tolerance on top of one unit of the last shown digit: optimizer results printed to
#: six decimals move in the last digits between BLAS builds and machines; a stale output moves
#: by far more.
RTOL = 1e-4

nbformat = pytest.importorskip("nbformat")


def _execute_notebooks():
    spec = importlib.util.spec_from_file_location(
        "_docs_execute_notebooks", ROOT / "docs" / "execute_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _texts(cell) -> list[str]:
    out = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            out.append(output["text"])
        elif output["output_type"] in ("execute_result", "display_data"):
            text = output.get("data", {}).get("text/plain")
            if text is not None and "image/png" not in output.get("data", {}):
                out.append(text if isinstance(text, str) else "".join(text))
    return out


def _has_plot(cell) -> bool:
    return any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))


def _numbers(text: str) -> list[tuple[float, float]]:
    """(value, half-unit of the last shown digit) for every number in ``text``."""
    found = []
    for match in _NUMBER.finditer(_VOLATILE.sub(" ", text)):
        token = match.group(0).replace(",", "")
        mantissa = token.lower().split("e")[0]
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        exponent = int(token.lower().split("e")[1]) if "e" in token.lower() else 0
        found.append((float(token), 10.0 ** (exponent - decimals)))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_does_not_switch_the_matplotlib_backend(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert "matplotlib.use(" not in cell.source, f"{path.name}: switches the backend"
            assert not re.search(r"%matplotlib\s+(?!inline)", cell.source), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_outputs_are_present_and_not_stale(path):
    committed = nbformat.read(path, as_version=4)
    fresh = _execute_notebooks().execute(path)
    assert len(committed.cells) == len(fresh.cells)
    pairs = zip(committed.cells, fresh.cells, strict=True)
    cells = [(c, f) for c, f in pairs if c.cell_type == "code"]
    assert any(c.get("outputs") for c, _ in cells), f"{path.name} is committed without outputs"
    stale = []
    for number, (old, new) in enumerate(cells, start=1):
        where = f"{path.name}, code cell {number} ({old.source.splitlines()[0][:50]!r})"
        if bool(new.get("outputs")) != bool(old.get("outputs")):
            shown = bool(old.get("outputs")), bool(new.get("outputs"))
            stale.append(f"{where}: outputs committed {shown[0]}, fresh run {shown[1]}")
            continue
        if _has_plot(new) != _has_plot(old):
            stale.append(f"{where}: plot committed {_has_plot(old)}, fresh run {_has_plot(new)}")
        old_numbers = [n for text in _texts(old) for n in _numbers(text)]
        new_numbers = [n for text in _texts(new) for n in _numbers(text)]
        if len(old_numbers) != len(new_numbers):
            stale.append(f"{where}: {len(old_numbers)} numbers committed, {len(new_numbers)} now")
            continue
        for (a, unit_a), (b, unit_b) in zip(old_numbers, new_numbers, strict=True):
            if abs(a - b) > max(unit_a, unit_b) + RTOL * max(abs(a), abs(b)):
                stale.append(f"{where}: committed {a!r}, fresh run {b!r}")
                break
    assert not stale, "stale notebook outputs (python docs/execute_notebooks.py):\n" + "\n".join(
        stale
    )
