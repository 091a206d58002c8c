"""Every public name has a row in benchmarks/bench_paths.py or a stated reason not to (issue #17).

Imports the script's coverage lists only (no data, no benchmark runs).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

import customer_models as cm

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH))  # the script imports its sibling helpers
    try:
        spec = importlib.util.spec_from_file_location("bench_paths", BENCH / "bench_paths.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_paths"] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


def test_every_public_name_has_a_row_or_an_exclusion(bench):
    listed = set(bench.COVERED) | bench.NOT_PATHS | set(bench.ELSEWHERE)
    missing = sorted(set(cm.__all__) - listed)
    assert missing == [], f"public names without a bench_paths row: {missing}"


def test_exclusions_and_rows_are_disjoint_and_public(bench):
    assert set(bench.COVERED) & bench.NOT_PATHS == set()
    assert set(bench.ELSEWHERE) & (set(bench.COVERED) | bench.NOT_PATHS) == set()
    for script in set(bench.ELSEWHERE.values()):
        assert (BENCH / script).exists(), script
    # names may be listed before the integrator exports them; only rows must be public
    stale = sorted(set(bench.COVERED) - set(cm.__all__))
    assert stale == [], f"listed but not in customer_models.__all__: {stale}"


def test_every_sql_name_has_a_row(bench):
    sql = pytest.importorskip("customer_models.sql")
    assert set(sql.__all__) - set(bench.SQL_COVERED) == set()


def test_every_row_label_is_a_case_in_the_script(bench):
    source = (BENCH / "bench_paths.py").read_text()
    labels = re.findall(r'^\s+f?"([^"\n]+)"', source, flags=re.MULTILINE)
    for name, label in {**bench.COVERED, **bench.SQL_COVERED}.items():
        assert any(text.startswith(label) for text in labels) or f'"{label}' in source, name
