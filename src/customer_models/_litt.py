"""The sum of log inter-purchase times of an already read log (the kernel).

:func:`customer_models.log_interpurchase_sum` (:mod:`customer_models._inter_purchase`) and
:func:`customer_models.rfm_summary` (``include_log_interpurchase=True``) compute it here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from customer_models._reductions import customer_codes
from customer_models._time import TIME_UNIT_DAYS, period_codes
from customer_models._transactions import TransactionLog

__all__ = ["LOG_INTERPURCHASE_COLUMN", "litt_of_log"]

#: The summary column the Erlang-k models read.
LOG_INTERPURCHASE_COLUMN = "log_interpurchase_sum"


def litt_of_log(
    log: TransactionLog, end_us: int, freq: str, time_unit: str, refunds: str, customer_col: str
) -> pd.Series:
    """Return the statistic of an already read log up to ``end_us`` (``rfm_summary``'s).

    ``freq`` and ``time_unit`` are canonical units; ``end_us`` is the last observed instant.
    """
    log = log.take(log.us <= end_us)
    codes, uniques = customer_codes(log.ids)
    periods = period_codes(log.us, freq)
    owner, period = _purchase_periods(codes, periods, log.amounts, refunds)
    scale = TIME_UNIT_DAYS[freq] / TIME_UNIT_DAYS[time_unit]
    same = owner[1:] == owner[:-1]  # consecutive purchase periods of one customer
    gaps = (period[1:] - period[:-1])[same].astype(np.float64) * scale
    total = np.bincount(owner[1:][same], weights=np.log(gaps), minlength=uniques.size)
    out = pd.Series(total, index=uniques.rename(customer_col), name=LOG_INTERPURCHASE_COLUMN)
    out.attrs["time_unit"] = time_unit
    return out


def _purchase_periods(
    codes: np.ndarray, periods: np.ndarray, amounts: np.ndarray | None, refunds: str
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (customer, period) purchase pairs, sorted by customer then period.

    Under a netting policy a period with a negative row is a purchase only if its net value is
    positive (``rfm_summary``'s rule); zero-value orders are purchases.
    """
    order = np.lexsort((periods, codes))
    c, p = codes[order], periods[order]
    start = np.r_[True, (c[1:] != c[:-1]) | (p[1:] != p[:-1])]
    if refunds in ("net_period", "net_customer") and amounts is not None:
        group = np.cumsum(start) - 1
        v = amounts[order]
        net = np.bincount(group, weights=v)
        refund = np.bincount(group, weights=(v < 0).astype(np.float64)) > 0
        purchase = ~refund | (net > 0)
        return c[start][purchase], p[start][purchase]
    return c[start], p[start]
