"""The sum of log inter-purchase times per customer: the statistic Erlang-k models need.

BG/CNBD-k and MBG/CNBD-k (Platzer and Reutterer 2016) have Erlang-k inter-purchase times; their
likelihood depends on the purchase times through ``frequency``, ``recency``, ``T`` and one more
statistic, the sum over a customer's repeat purchases of the log of the time since the previous
purchase (BTYDplus' ``litt``). It is computed here from a transaction log with the conventions
of :func:`customer_models.rfm_summary`: purchases in one ``freq`` period are one purchase, times
are reported in ``time_unit``, and only purchases up to ``observation_end`` count. The log is
read by the one transaction reader, so ids, dates and refunds obey the same rules.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from customer_models._polars import polars_out
from customer_models._reductions import customer_codes
from customer_models._time import TIME_UNIT_DAYS, DateUnit, normalize_unit, period_codes
from customer_models._transactions import TransactionLog, read_transactions
from customer_models.exceptions import DataValidationError

__all__ = ["LOG_INTERPURCHASE_COLUMN", "litt_of_log", "log_interpurchase_sum"]

#: The summary column the Erlang-k models read.
LOG_INTERPURCHASE_COLUMN = "log_interpurchase_sum"


@polars_out
def log_interpurchase_sum(
    transactions: Any,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
    freq: str = "D",
    time_unit: str | None = None,
    observation_end: Any = None,
    refunds: str = "error",
    date_format: str | None = None,
    dayfirst: bool | None = None,
    date_unit: DateUnit | None = None,
) -> pd.Series:
    """Return each customer's sum of log inter-purchase times, in ``time_unit``.

    With purchase periods ``t_0 < t_1 < ... < t_x`` (distinct ``freq`` periods with a purchase,
    up to ``observation_end``), the statistic is ``sum_{i=1}^{x} log(t_i - t_(i-1))``, the
    times measured in ``time_unit``; 0 for a customer without repeat purchases. It is at most
    ``x log(recency / x)`` (the logs of ``x`` numbers summing to ``recency``).

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction (pandas, polars or Arrow).
    customer_col, date_col, value_col, freq, time_unit, observation_end : optional
        As in :func:`customer_models.rfm_summary`.
    refunds, date_format, dayfirst, date_unit : optional
        As in :func:`customer_models.rfm_summary`, which this matches row for row: the same
        customers, the same purchase periods. ``value_col`` matters only for ``refunds``
        (a period with a refund is a purchase only if its net value is positive).

    Returns
    -------
    pandas.Series
        Named ``"log_interpurchase_sum"``, float, indexed by customer id (sorted, named
        ``customer_col``), with ``attrs["time_unit"]``.

    Raises
    ------
    DataValidationError
        What :func:`customer_models.rfm_summary` refuses (missing ids or dates, an
        ``observation_end`` before every purchase, ...).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "a", "b"],
    ...                    "date": ["2024-01-01", "2024-01-01", "2024-01-03", "2024-01-07",
    ...                             "2024-01-02"]})
    >>> s = log_interpurchase_sum(tx)
    >>> s.round(4).tolist(), round(float(np.log(2) + np.log(4)), 4)
    ([2.0794, 0.0], 2.0794)
    """
    freq = normalize_unit(freq, "freq")
    time_unit = freq if time_unit is None else normalize_unit(time_unit, "time_unit")
    if refunds in ("net_period", "net_customer") and value_col is None:
        refunds = "error"  # nothing to net without values
    log = read_transactions(
        transactions,
        customer_col=customer_col,
        date_col=date_col,
        value_col=value_col,
        date_format=date_format,
        dayfirst=dayfirst,
        date_unit=date_unit,
        refunds=refunds,
    )
    end_us = log.end(observation_end, freq)
    if end_us < int(log.us.min()):
        raise DataValidationError(
            f"observation_end is before every purchase in {date_col!r}: no customer is observed.",
            column=date_col,
            rule="observation_end after the first purchase",
            n_rows=len(log),
        )
    return litt_of_log(log, end_us, freq, time_unit, refunds, customer_col)


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
