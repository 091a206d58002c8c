"""Days from each customer's first to second purchase, counted by hand from the transactions.

The lifecycle tests (tests/lifecycle/test_stages.py, tests/test_docs.py) compare the adaptive
repurchase windows, inferred from the summary alone, with these actual gaps.
"""

from __future__ import annotations

import pandas as pd


def first_to_second_purchase_days(transactions: pd.DataFrame, end: str) -> pd.Series:
    """Whole days between the first and second distinct purchase days up to ``end``, for the
    customers with a second purchase by then."""
    days = transactions.loc[transactions["date"] <= end, ["customer_id", "date"]]
    days = days.drop_duplicates().sort_values(["customer_id", "date"])
    rank = days.groupby("customer_id").cumcount()
    first = days[rank == 0].set_index("customer_id")["date"]
    second = days[rank == 1].set_index("customer_id")["date"]
    return (second - first.loc[second.index]).dt.days
