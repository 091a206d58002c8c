"""Retention curves: Kaplan-Meier survival with Greenwood bands, and cohort retention tables.

Both functions are vectorized: no Python loop runs per customer or per group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtri

from customer_models._polars import polars_out
from customer_models._reductions import customer_codes
from customer_models._time import (
    TIME_UNIT_DAYS,
    normalize_unit,
    period_codes,
    period_start_us,
    us_to_datetime,
)
from customer_models._transactions import read_with
from customer_models._validation import as_one_column, check_choice, check_rule
from customer_models.exceptions import DataValidationError, ParameterError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from customer_models.typing import DateLike

__all__ = ["cohort_retention", "kaplan_meier"]


def _refuse(bad: np.ndarray, ids: Any, column: str, rule: str, *, hint: str = "") -> None:
    """Refuse the rows of ``bad`` of one kaplan_meier input column (naming their ids)."""
    check_rule(bad, ids, rule=rule, column=column, what="kaplan_meier input", hint=hint)


def _event_flags(churned: pd.Series, ids: Any) -> np.ndarray:
    """Return ``churned`` as a bool array; accept bool or numbers 0/1, nothing else."""
    _refuse(churned.isna().to_numpy(), ids, "churned", "churned must not be missing")
    if pd.api.types.is_bool_dtype(churned):
        return churned.to_numpy(dtype=bool)
    if not pd.api.types.is_numeric_dtype(churned):
        raise DataValidationError(
            "churned must be boolean or 0/1 (1 = the customer churned, 0 = still active at "
            f"the end of observation, i.e. censored); got dtype {churned.dtype}.",
            column="churned",
            rule="churned must be boolean or 0/1",
            n_rows=len(churned),
        )
    values = churned.to_numpy(dtype=np.float64)
    _refuse(
        ~np.isin(values, (0.0, 1.0)),
        ids,
        "churned",
        "churned must be 0 or 1",
        hint="Pass 1/True for churned customers and 0/False for censored ones.",
    )
    return values == 1.0


@polars_out
def kaplan_meier(
    durations: ArrayLike,
    churned: ArrayLike,
    *,
    by: ArrayLike | None = None,
    confidence: float = 0.95,
    method: Literal["log-log", "linear"] = "log-log",
) -> pd.DataFrame:
    r"""Kaplan-Meier survival (retention) curve with Greenwood confidence bands.

    Parameters
    ----------
    durations : array-like of float
        Time each customer was observed: until churn, or until the end of observation for
        customers still active (censored). Non-negative and finite, in any unit.
    churned : array-like of bool or 0/1
        True (1) if the customer churned at ``durations``, False (0) if still active then.
    by : array-like, optional
        Group label of each customer (plan, channel, cohort, ...). One curve per group; the
        output then starts with a ``group`` column.
    confidence : float, default 0.95
        Confidence level of the pointwise bands, in (0, 1).
    method : {"log-log", "linear"}, default "log-log"
        How the Greenwood variance becomes a band. ``"log-log"`` (the default of lifelines,
        R's ``survfit(conf.type="log-log")`` and Kalbfleisch-Prentice) builds the interval on
        ``log(-log S)`` and always stays in [0, 1]; ``"linear"`` is ``S ± z·S·sqrt(V)``
        clipped to [0, 1] (scipy's default).

    Returns
    -------
    pandas.DataFrame
        One row per distinct observed time (per group), sorted by (group,) time, with columns
        ``[group,] time, at_risk, events, censored, survival, lower, upper``. ``survival``
        is S(t) just after ``time``; before the first row S = 1.

    Notes
    -----
    With :math:`n_i` customers at risk and :math:`d_i` churn events at time :math:`t_i`,

    .. math:: \hat S(t) = \prod_{t_i \le t} (1 - d_i / n_i), \qquad
              V(t) = \sum_{t_i \le t} \frac{d_i}{n_i (n_i - d_i)}

    where :math:`V` is Greenwood's estimate of :math:`\operatorname{Var}\log \hat S(t)`.
    Log-log band: :math:`\hat S^{\exp(\pm z \sqrt V / \log \hat S)}`. Where
    :math:`\hat S = 1` (no churn yet) the variance is 0 and the band is [1, 1]; where
    :math:`\hat S = 0` (everyone still at risk churned) Greenwood's formula is undefined and
    the band is reported as [0, 0] instead of NaN.

    References
    ----------
    Kaplan, E. L. and Meier, P. (1958), "Nonparametric estimation from incomplete
    observations", JASA 53(282), 457-481. Greenwood, M. (1926), "The natural duration of
    cancer", Reports on Public Health and Medical Subjects 33.

    Examples
    --------
    >>> from customer_models.churn._retention import kaplan_meier
    >>> km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    >>> km[["time", "at_risk", "events", "survival"]]
       time  at_risk  events  survival
    0   1.0        5       1  0.800000
    1   2.0        4       1  0.600000
    2   3.0        2       1  0.300000
    3   4.0        1       0  0.300000
    """
    check_choice(method, "method", ["log-log", "linear"])
    if not (isinstance(confidence, (int, float)) and 0.0 < float(confidence) < 1.0):
        raise ParameterError(f"confidence must be a number in (0, 1), got {confidence!r}.")
    dur = as_one_column(durations, "durations", scalar=True)
    evt = as_one_column(churned, "churned", scalar=True)
    if len(dur) != len(evt):
        raise ParameterError(
            f"durations and churned must have the same length, got {len(dur)} and {len(evt)}."
        )
    if len(dur) == 0:
        raise DataValidationError(
            "durations is empty: at least one customer is needed.", rule="not empty"
        )
    ids = dur.index.to_numpy()
    if not pd.api.types.is_numeric_dtype(dur) or pd.api.types.is_bool_dtype(dur):
        raise DataValidationError(
            f"durations must be numeric, got dtype {dur.dtype}.",
            column="durations",
            rule="durations must be numeric",
            n_rows=len(dur),
        )
    t = dur.to_numpy(dtype=np.float64)
    _refuse(~np.isfinite(t), ids, "durations", "durations must be finite")
    _refuse(t < 0, ids, "durations", "durations must be >= 0")
    event = _event_flags(evt, ids)

    if by is None:
        codes = np.zeros(t.size, dtype=np.int64)
        groups: pd.Index | None = None
    else:
        labels = as_one_column(by, "by", scalar=True)
        if len(labels) != t.size:
            raise ParameterError(
                f"by must have one label per customer ({t.size}), got {len(labels)}."
            )
        _refuse(labels.isna().to_numpy(), ids, "by", "by must not be missing")
        codes, groups = pd.factorize(labels, sort=True)
        codes = codes.astype(np.int64)

    # Distinct (group, time) cells with their event and censoring counts.
    order = np.lexsort((t, codes))
    g_sorted, t_sorted, e_sorted = codes[order], t[order], event[order]
    new_cell = np.ones(t_sorted.size, dtype=bool)
    new_cell[1:] = (g_sorted[1:] != g_sorted[:-1]) | (t_sorted[1:] != t_sorted[:-1])
    starts = np.flatnonzero(new_cell)
    n_cell = np.diff(np.append(starts, t_sorted.size))
    d_cell = np.add.reduceat(e_sorted.astype(np.int64), starts)
    g_cell, t_cell = g_sorted[starts], t_sorted[starts]

    # At risk = customers of the group whose time is >= this time: group size minus those
    # that left at earlier times of the same group.
    group_size = np.bincount(codes, minlength=int(codes.max()) + 1)
    left_before = pd.Series(n_cell).groupby(g_cell, sort=False).cumsum().to_numpy() - n_cell
    at_risk = group_size[g_cell] - left_before

    factor = 1.0 - d_cell / at_risk
    is_zero = factor <= 0.0
    log_factor = np.log(np.where(is_zero, 1.0, factor))
    frame = pd.DataFrame({"log": log_factor, "zero": is_zero.astype(np.int64)})
    # Greenwood increments; infinite (and unused) where every customer at risk churned.
    denom = at_risk * (at_risk - d_cell)
    frame["gw"] = np.where(d_cell == 0, 0.0, d_cell / np.where(denom > 0, denom, 1.0))
    cum = frame.groupby(g_cell, sort=False).cumsum()
    reached_zero = cum["zero"].to_numpy() > 0
    survival = np.where(reached_zero, 0.0, np.exp(cum["log"].to_numpy()))
    var = cum["gw"].to_numpy()

    z = float(ndtri(0.5 + float(confidence) / 2.0))
    if method == "linear":
        half = z * survival * np.sqrt(var)
        low = np.clip(survival - half, 0.0, 1.0)
        high = np.clip(survival + half, 0.0, 1.0)
    else:
        interior = (survival > 0.0) & (survival < 1.0)
        log_s = np.log(np.where(interior, survival, 0.5))
        se = np.sqrt(var) / np.abs(log_s)
        low = np.where(interior, np.exp(log_s * np.exp(-z * se)), survival)
        high = np.where(interior, np.exp(log_s * np.exp(z * se)), survival)
        low, high = np.minimum(low, high), np.maximum(low, high)
    # Both bands collapse to the estimate where it is exactly 0 (Greenwood undefined).
    low = np.where(reached_zero, 0.0, low)
    high = np.where(reached_zero, 0.0, high)

    out = pd.DataFrame(
        {
            "time": t_cell,
            "at_risk": at_risk.astype(np.int64),
            "events": d_cell.astype(np.int64),
            "censored": (n_cell - d_cell).astype(np.int64),
            "survival": survival,
            "lower": low,
            "upper": high,
        }
    )
    if groups is not None:
        out.insert(0, "group", groups.take(g_cell))
    return out


#: Largest cohort table (cohorts x periods) :func:`cohort_retention` builds: 20 cells per
#: transaction row, at least ``MIN_COHORT_CELLS`` and at most ``MAX_COHORT_CELLS``.
CELLS_PER_ROW = 20
MIN_COHORT_CELLS = 1_000_000
MAX_COHORT_CELLS = 50_000_000
# pandas' weekly Period ordinals count from the week of 1969-12-29 as 1, ours from 0.
_PANDAS_ORDINAL_SHIFT = {"W": 1}
#: Anchored weeks ``"W-MON"`` .. ``"W-SUN"``: the day the week ends on, Monday = 0.
_WEEK_ENDS = {day: i for i, day in enumerate(("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"))}
_US_PER_DAY = 86_400 * 10**6


def _cohort_freq(cohort: str) -> tuple[str, int]:
    """Return the period of ``cohort`` and, for anchored weeks, the shift in days to Sundays."""
    head, _, anchor = cohort.strip().partition("-")
    if anchor and head.upper() == "W" and anchor.upper() in _WEEK_ENDS:
        return "W", 6 - _WEEK_ENDS[anchor.upper()]
    try:
        return normalize_unit(cohort, "cohort"), 0
    except ParameterError:
        raise ParameterError(
            "cohort must be a period frequency such as 'D', 'W' (or an anchored week "
            f"'W-MON' .. 'W-SUN'), 'M', 'Q' or 'Y', got {cohort!r}."
        ) from None


def _cell_limit(n_rows: int) -> int:
    return min(MAX_COHORT_CELLS, max(MIN_COHORT_CELLS, CELLS_PER_ROW * n_rows))


def _day(us: int) -> str:
    return str(us_to_datetime(np.array([us]))[0].date())


def _refuse_large_table(
    n_cohorts: int,
    n_periods: int,
    period: np.ndarray,
    us: np.ndarray,
    ids: pd.Series,
    *,
    cohort: str,
    date_col: str,
) -> None:
    """Raise when the table would exceed its limit, naming the rows at both ends of the span."""
    cells = n_cohorts * n_periods
    limit = _cell_limit(period.size)
    if cells <= limit:
        return
    first, last = period == period.min(), period == period.max()

    def show(mask: np.ndarray) -> str:
        shown = list(dict.fromkeys(ids.to_numpy()[mask].tolist()))[:3]
        return f"{_day(int(us[mask].min()))} (customers {shown}, {int(mask.sum())} row(s))"

    check_rule(
        first | last,
        ids,
        rule=(
            f"the cohort table has at most {limit:,} cells ({CELLS_PER_ROW} per transaction, "
            f"at least {MIN_COHORT_CELLS:,}, at most {MAX_COHORT_CELLS:,})"
        ),
        column=date_col,
        what="transactions",
        hint=(
            f"At cohort={cohort!r} the table would be {n_cohorts:,} cohorts x {n_periods:,} "
            f"periods = {cells:,} cells, from the first period {show(first)} to the last "
            f"{show(last)}. A placeholder date (1900-01-01, 9999-12-31) is usually the cause: "
            "remove such rows, pass observation_end=, or use a coarser cohort (e.g. 'M')."
        ),
    )


@polars_out
def cohort_retention(
    transactions: Any,
    *,
    cohort: str = "M",
    customer_col: str = "customer_id",
    date_col: str = "date",
    observation_end: DateLike | None = None,
    values: Literal["share", "count"] = "share",
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> pd.DataFrame:
    """Cohort-by-period retention table: the share of each cohort active in each period.

    Customers are grouped into cohorts by the period of their first purchase. A customer is
    *active* in period ``k`` of their cohort if they have at least one transaction in the
    ``k``-th period after the cohort's own (period 0 is the acquisition period, so every
    customer is active in it).

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction (pandas, polars or Arrow). Dates are read as in
        :func:`~customer_models.rfm_summary` (timezone-aware dates on their local clock).
    cohort : str, default "M"
        Period of both the cohorts and the activity periods: ``"D"``, ``"W"`` (Monday to
        Sunday; ``"W-MON"`` .. ``"W-SUN"`` for weeks ending on another day), ``"M"``,
        ``"Q"`` or ``"Y"`` (the spellings of :func:`~customer_models.rfm_summary`'s
        ``freq``, e.g. ``"ME"``, ``"weeks"``, are accepted; so are ``"h"``, ``"min"`` and
        ``"s"``).
    customer_col, date_col : str
        Column names of the customer id and the transaction date.
    observation_end : date-like, optional
        Last observed day, a cut-off: purchases at any time on that day count, later ones
        are ignored (a ``pd.Period`` means its last day). Defaults to the last transaction
        date. Cells for periods after the period containing it are NaN (not observed yet:
        the usual triangle). The period containing it may be partial.
    values : {"share", "count"}, default "share"
        ``"share"``: fraction of the cohort active (floats). ``"count"``: number of active
        customers (nullable ``Int64``); column 0 is then the cohort size.
    date_format, dayfirst
        How string (or integer) dates are read, as in :func:`~customer_models.rfm_summary`.

    Returns
    -------
    pandas.DataFrame
        Index: the cohort periods with at least one customer (``PeriodIndex`` named
        ``"cohort"``). Columns: period index ``0, 1, ..., K`` (named ``"period"``), up to the
        period of ``observation_end`` for the first cohort. Unobserved cells are missing.

    Raises
    ------
    DataValidationError
        Bad transactions, or a table larger than the data warrants (the message names the
        rows at both ends of the span; a placeholder date such as 1900-01-01 with daily
        cohorts is the usual cause).

    Notes
    -----
    The work is proportional to the rows plus the cells of the returned table: activity is
    counted over the distinct (customer, period) pairs, and only cohorts that have customers
    get a row. The table may hold 20 cells per transaction row (at least 1,000,000, at most
    50,000,000); a longer span is refused rather than allocated.

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.churn._retention import cohort_retention
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 3, 3],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-01-20",
    ...                             "2024-02-01", "2024-03-03"]),
    ... })
    >>> cohort_retention(tx)
    period     0    1    2
    cohort
    2024-01  1.0  0.5  0.0
    2024-02  1.0  1.0  NaN
    >>> cohort_retention(tx, values="count")
    period   0  1     2
    cohort
    2024-01  2  1     0
    2024-02  1  1  <NA>
    """
    check_choice(values, "values", ["share", "count"])
    if not isinstance(cohort, str):
        raise ParameterError(
            f"cohort must be a period frequency string such as 'M', got {cohort!r}."
        )
    freq, shift_days = _cohort_freq(cohort)
    log = read_with(transactions, locals())
    # The cut-off is a whole day (or the cohort's own period when it is shorter than a day).
    end_us = log.end(observation_end, freq if TIME_UNIT_DAYS[freq] < 1 else "D")
    first_us = int(log.us.min())
    if end_us < first_us:
        raise ParameterError(
            f"observation_end={observation_end!r} ({_day(end_us)}) is before the first "
            f"transaction ({_day(first_us)}); no transaction is observed."
        )
    log = log.take(log.us <= end_us)
    # An anchored week ending on day e is the Monday-Sunday week of a date 6 - e days later.
    shift = shift_days * _US_PER_DAY
    period = period_codes(log.us + shift, freq)
    end_period = int(period_codes(np.array([end_us + shift], dtype=np.int64), freq)[0])
    cust_codes, uniques = customer_codes(log.ids)

    first = np.full(len(uniques), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, cust_codes, period)
    cohorts, cohort_of_customer = np.unique(first, return_inverse=True)
    n_cohorts = int(cohorts.size)
    n_periods = end_period - int(cohorts[0]) + 1
    _refuse_large_table(
        n_cohorts, n_periods, period, log.us, log.ids, cohort=cohort, date_col=date_col
    )
    k = period - first[cust_codes]
    # One (customer, period) activity flag each, then counts per (cohort, period index).
    cell = pd.unique(cust_codes * n_periods + k)  # hash-based; np.unique is slower here
    cust_of_cell, k_of_cell = np.divmod(cell, n_periods)
    counts = np.bincount(
        cohort_of_customer[cust_of_cell] * n_periods + k_of_cell,
        minlength=n_cohorts * n_periods,
    ).reshape(n_cohorts, n_periods)
    sizes = counts[:, 0]
    # Cohort c has observed periods 0 .. end_period - c.
    observed = np.arange(n_periods)[None, :] <= (end_period - cohorts)[:, None]
    if shift_days:
        starts = us_to_datetime(period_start_us(cohorts, freq) - shift)
        index = pd.DatetimeIndex(starts).to_period(cohort.strip().upper()).rename("cohort")
    else:
        index = pd.PeriodIndex.from_ordinals(
            cohorts + _PANDAS_ORDINAL_SHIFT.get(freq, 0), freq=freq, name="cohort"
        )
    columns = pd.RangeIndex(n_periods, name="period")
    if values == "count":
        table = pd.DataFrame(counts, index=index, columns=columns).astype("Int64")
        return table.where(observed)
    shares = np.divide(counts, sizes[:, None], out=np.full(counts.shape, np.nan), where=observed)
    return pd.DataFrame(shares, index=index, columns=columns)
