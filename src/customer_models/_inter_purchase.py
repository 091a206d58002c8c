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

from typing import TYPE_CHECKING, Any

import pandas as pd

from customer_models._litt import LOG_INTERPURCHASE_COLUMN, litt_of_log
from customer_models._polars import polars_out
from customer_models._summary_options import ParsedSummaryOptions, read_log, same_keywords
from customer_models.exceptions import DataValidationError
from customer_models.summary import rfm_summary

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["LOG_INTERPURCHASE_COLUMN", "litt_of_log", "log_interpurchase_sum"]


@polars_out
@same_keywords(rfm_summary, drop=("include_first_transaction", "include_log_interpurchase"))
def log_interpurchase_sum(transactions: Any, **options: Unpack[ParsedSummaryOptions]) -> pd.Series:
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
    >>> import numpy as np
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "a", "b"],
    ...                    "date": ["2024-01-01", "2024-01-01", "2024-01-03", "2024-01-07",
    ...                             "2024-01-02"]})
    >>> s = log_interpurchase_sum(tx)
    >>> s.round(4).tolist(), round(float(np.log(2) + np.log(4)), 4)
    ([2.0794, 0.0], 2.0794)
    """
    if options["refunds"] in ("net_period", "net_customer") and options["value_col"] is None:
        options = {**options, "refunds": "error"}  # nothing to net without values
    freq, time_unit, log = read_log(transactions, options)
    end_us = log.end(options["observation_end"], freq)
    if end_us < int(log.us.min()):
        raise DataValidationError(
            f"observation_end is before every purchase in {options['date_col']!r}: no customer "
            "is observed.",
            column=options["date_col"],
            rule="observation_end after the first purchase",
            n_rows=len(log),
        )
    return litt_of_log(log, end_us, freq, time_unit, options["refunds"], options["customer_col"])
