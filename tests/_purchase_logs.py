"""Small hand-written transaction logs, one list of purchase times per customer (test helper)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def purchase_log(histories: dict[Any, list[str]]) -> pd.DataFrame:
    """``customer_id`` and parsed ``date`` columns: each customer's times, in the given order."""
    rows = [(customer, when) for customer, times in histories.items() for when in times]
    return pd.DataFrame(
        {
            "customer_id": [customer for customer, _ in rows],
            "date": pd.to_datetime([when for _, when in rows]),
        }
    )
