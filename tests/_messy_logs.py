"""A messy transaction log for the summary's tests: unsorted, ties, several purchases a day."""

from __future__ import annotations

import numpy as np
import pandas as pd


def messy_log(seed: int, ids: str, resolution: str, n_rows: int = 4_000) -> pd.DataFrame:
    """Unsorted rows, repeated instants, several purchases a day, the given id kind."""
    rng = np.random.default_rng(seed)
    n_customers = n_rows // 4
    customer = rng.integers(0, n_customers, n_rows)
    if ids == "sparse-int":
        labels: object = customer * 1_000_003 - 7  # negative and far apart: factorized
    elif ids == "uint":
        labels = (customer + 5).astype(np.uint32)
    elif ids == "str":
        labels = np.array([f"c{c:05d}" for c in customer], dtype=object)
    else:
        labels = customer
    start = np.datetime64("2021-03-01T00:00:00", "us").astype(np.int64)
    step = {"day": 86_400 * 10**6, "second": 10**6, "us": 1}[resolution]
    span = 400 * 86_400 * 10**6 // step
    instants = start + rng.integers(0, span, n_rows) * step
    instants[::50] = instants[1::50][: instants[::50].size]  # ties across customers
    return pd.DataFrame(
        {
            "customer_id": labels,
            "date": instants.astype("datetime64[us]"),
            "amount": rng.gamma(2.0, 10.0, n_rows).round(2),
        }
    )
