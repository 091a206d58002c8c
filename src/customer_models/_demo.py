"""Sections of the ``python -m customer_models`` report, one per area of the library.

Each section takes the transactions and the calibration/holdout summary and returns text.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

Section = Callable[[pd.DataFrame, pd.DataFrame], str]


def _holdout_section(transactions: pd.DataFrame, split: pd.DataFrame) -> str:
    bought = split["frequency_holdout"] > 0
    return "\n".join(
        [
            "Holdout period 1997-10-01..1998-06-30",
            f"  customers buying again  {int(bought.sum()):>10,} ({bought.mean():.1%})",
            f"  repeat purchase days    {int(split['frequency_holdout'].sum()):>10,}",
        ]
    )


DEMO_SECTIONS: list[Section] = [_holdout_section]
