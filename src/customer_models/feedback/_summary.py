"""Feedback metrics by segment and over time, vectorized: group codes, bincounts, array formulas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from customer_models._polars import polars_out
from customer_models._validation import (
    as_pandas,
    check_choice,
    check_not_empty,
    check_rule,
    check_str,
    require_columns,
)
from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.feedback._ces import CES_METHODS, t_quantile
from customer_models.feedback._csat import check_satisfied
from customer_models.feedback._intervals import (
    BINOMIAL_METHODS,
    CES_PSEUDO,
    adjusted_t_interval,
    binomial_interval,
)
from customer_models.feedback._nps import (
    DETRACTOR_MAX,
    NPS_METHODS,
    NPS_SCALE,
    PROMOTER_MIN,
    nps_interval,
)
from customer_models.feedback._scores import (
    as_list,
    check_confidence,
    check_scale,
    clean_score_column,
    clean_weights,
)

if TYPE_CHECKING:
    from collections.abc import Hashable, Sequence

    from numpy.typing import ArrayLike

__all__ = ["feedback_summary"]

#: Largest dense id space (product of the key cardinalities) before codes are compacted.
_DENSE_LIMIT = 1 << 22

#: Interval methods per metric, the default first (the one-sample functions' defaults).
_METHODS: dict[str, list[str]] = {
    "nps": list(NPS_METHODS),
    "csat": list(BINOMIAL_METHODS),
    "ces": list(CES_METHODS),
}
_SCALES: dict[str, tuple[float, float]] = {"csat": (1, 5), "ces": (1, 7)}


def _column_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques, name=values.name)


def _time_codes(df: pd.DataFrame, grouper: pd.Grouper, what: str) -> tuple[np.ndarray, pd.Index]:
    key = grouper.key
    dates = df[key]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        raise DataValidationError(
            f"{what} column {key!r} must hold dates to be grouped by freq={grouper.freq!r}, "
            f"got dtype {dates.dtype}. Convert it first, e.g. df[{key!r}] = "
            f"pd.to_datetime(df[{key!r}]).",
            column=key,
            rule=f"{key} must be datetime",
            n_rows=len(dates),
        )
    check_rule(
        dates.isna().to_numpy(),
        df.index,
        rule=f"{key} must not be missing to group by time",
        column=key,
        what=what,
    )
    date_codes, uniques = pd.factorize(dates, sort=True)
    # Bin the (few) distinct dates with pandas' own Grouper, then map every row through them:
    # time bins are contiguous runs of the sorted distinct dates.
    small = pd.DataFrame({key: uniques, "_pos": np.arange(len(uniques))})
    firsts = small.groupby(grouper)["_pos"].min().dropna()
    starts = firsts.to_numpy(dtype=np.int64)
    bin_of_date = np.searchsorted(starts, np.arange(len(uniques)), side="right") - 1
    return bin_of_date[np.asarray(date_codes, dtype=np.int64)], pd.Index(firsts.index, name=key)


def _group_ids(
    parts: list[tuple[np.ndarray, pd.Index]], n_rows: int
) -> tuple[np.ndarray, int, list[np.ndarray]]:
    """Combine per-key codes into one id per row (lexicographic in the keys' sorted order).

    Returns the row ids, the size of the id space and, for every id, each key's code.
    """
    flat = np.zeros(n_rows, dtype=np.int64)
    size = 1
    key_codes: list[np.ndarray] = []
    for codes, uniques in parts:
        k = max(len(uniques), 1)
        if size * k > _DENSE_LIMIT:  # compact the ids seen so far (order is preserved)
            new_flat, seen = pd.factorize(flat, sort=True)
            flat = np.asarray(new_flat, dtype=np.int64)
            seen = np.asarray(seen, dtype=np.int64)
            key_codes = [kc[seen] for kc in key_codes]
            size = len(seen)
        flat = flat * k + codes
        key_codes = [np.repeat(kc, k) for kc in key_codes]
        key_codes.append(np.tile(np.arange(k, dtype=np.int64), size))
        size *= k
    return flat, size, key_codes


def _count(ids: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(ids, weights=weights, minlength=size).astype(np.float64)


@polars_out
def feedback_summary(
    data: Any,
    *,
    score_col: str,
    metric: Literal["nps", "csat", "ces"] = "nps",
    by: Hashable | pd.Grouper | Sequence[Hashable | pd.Grouper] | None = None,
    weight_col: str | None = None,
    confidence: float = 0.95,
    method: str | None = None,
    scale: tuple[float, float] | None = None,
    satisfied: ArrayLike = (4, 5),
    dropna: bool = False,
) -> pd.DataFrame:
    """One row of NPS, CSAT or CES (with interval) per segment and/or period, vectorized.

    Parameters
    ----------
    data : DataFrame
        One row per answer (pandas; polars and Arrow tables are converted).
    score_col : str
        The column of answers.
    metric : {"nps", "csat", "ces"}, default "nps"
        Which metric (see :func:`nps`, :func:`csat`, :func:`ces`).
    by : str, pandas.Grouper or list of them, optional
        Column name(s) and/or a time grouper such as ``pd.Grouper(key="date", freq="MS")``
        (any pandas frequency: ``"W"``, ``"MS"``, ``"QS"``, ...). ``None`` gives one row
        labelled ``"all"``. Missing values in a column key form their own group (they are
        never dropped); missing dates in a time key raise.
    weight_col : str, optional
        Column of non-negative survey weights.
    confidence : float, default 0.95
        Confidence level of the intervals.
    method : str, optional
        Interval method, as in the one-sample functions: ``"score_cc"`` (default),
        ``"score"``, ``"adjusted_wald"`` or ``"wald"`` for NPS; ``"wilson_cc"`` (default),
        ``"wilson"``, ``"jeffreys"`` or ``"clopper_pearson"`` for CSAT; ``"adjusted_t"``
        (default) or ``"t"`` for CES. (The bootstrap is available in :func:`nps` only.)
    scale : (low, high), optional
        Answer scale for CSAT (default (1, 5)) and CES (default (1, 7)); NPS is always 0-10.
    satisfied : (low, high) or number, default (4, 5)
        CSAT only: the answers counted as satisfied.
    dropna : bool, default False
        Missing answers raise unless ``dropna=True``; dropped answers are counted per group in
        the ``n_dropped`` column and in total in ``attrs["n_dropped"]``.

    Returns
    -------
    DataFrame
        Indexed by the group keys (sorted; periods labelled as pandas labels them, e.g. month
        start for ``"MS"``), one row per group present in the data, with columns ``score``,
        ``se``, ``lower``, ``upper``, ``n``, ``effective_n``, ``n_dropped`` and the metric's
        counts: ``promoters``, ``passives``, ``detractors`` and their ``*_share`` (NPS);
        ``satisfied``, ``satisfied_share`` (CSAT); ``std`` (CES). ``attrs`` holds
        ``metric``, ``method``, ``confidence`` and ``n_dropped``.

    Notes
    -----
    Each row equals the one-sample function applied to that group (same formulas, see their
    Notes), but nothing loops over groups: the keys are factorized once into integer group
    ids, the sufficient statistics (counts, weighted sums) come from :func:`numpy.bincount`,
    and the intervals are array formulas. Periods with no answers at all are left out; a
    group whose answers were all dropped by ``dropna=True`` is kept with ``n = 0`` and NaN
    score. For CES, groups with a single answer have NaN ``se`` and interval (a t interval
    needs two answers).

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.feedback import feedback_summary
    >>> answers = pd.DataFrame(
    ...     {
    ...         "segment": ["a", "a", "a", "b", "b", "b", "b"],
    ...         "ltr": [10, 9, 3, 8, 7, 10, 10],
    ...     }
    ... )
    >>> table = feedback_summary(answers, score_col="ltr", by="segment", method="wald")
    >>> table[["score", "n", "promoters", "detractors"]].round(1)
             score  n  promoters  detractors
    segment
    a         33.3  3          2           1
    b         50.0  4          2           0
    """
    df = as_pandas(data)
    check_str(score_col, "score_col")
    check_str(weight_col, "weight_col", allow_none=True)
    check_choice(metric, "metric", list(_METHODS))
    method = _METHODS[metric][0] if method is None else method
    check_choice(method, "method", _METHODS[metric])
    confidence = check_confidence(confidence)
    if metric == "nps":
        if scale is not None and (
            isinstance(scale, str) or not isinstance(scale, tuple | list) or tuple(scale) != (0, 10)
        ):
            raise ParameterError("NPS answers are always on the 0-10 scale; leave scale=None.")
        bounds = NPS_SCALE
    else:
        bounds = check_scale(_SCALES[metric] if scale is None else scale)

    keys = as_list(by)
    columns = [score_col] + ([weight_col] if weight_col is not None else [])
    for key in keys:
        if isinstance(key, pd.Grouper):
            if key.key is None:
                raise ParameterError(
                    "a pd.Grouper in by= needs key=, e.g. pd.Grouper(key='date', freq='MS')."
                )
            columns.append(key.key)
        else:
            columns.append(key)
    require_columns(df, columns, what="data")
    check_not_empty(df, what="data")

    x, keep = clean_score_column(df, score_col, scale=bounds, dropna=dropna, what="data")
    w = None if weight_col is None else clean_weights(df[weight_col], len(df), what=weight_col)

    parts = [
        _time_codes(df, key, "data")
        if isinstance(key, pd.Grouper) and key.freq is not None
        else _column_codes(df[key.key if isinstance(key, pd.Grouper) else key])
        for key in keys
    ]
    ids, size, key_codes = _group_ids(parts, len(df))
    if w is not None:
        # Every weighted statistic of a group is invariant to rescaling its weights: divide
        # them by the group's largest kept weight so tiny or huge weights neither underflow
        # nor overflow when squared (effective n).
        kept = np.where(keep, w, 0.0)
        largest = pd.Series(kept).groupby(ids).max().reindex(range(size), fill_value=0.0)
        group_max = largest.to_numpy(dtype=np.float64)
        w = w / np.where(group_max > 0, group_max, 1.0)[ids]

    rows = np.bincount(ids, minlength=size)
    present = rows > 0
    keep_f = keep.astype(np.float64)
    n = _count(ids, size, keep_f)
    wk = keep_f if w is None else np.where(keep, w, 0.0)
    sw = _count(ids, size, wk) if w is not None else n
    sw2 = _count(ids, size, wk * wk) if w is not None else n

    def pick(values: np.ndarray) -> np.ndarray:
        return values[present]

    n_p, sw_p, sw2_p = pick(n), pick(sw), pick(sw2)
    if keys:
        labels = [
            uniques[codes[present]] for (_, uniques), codes in zip(parts, key_codes, strict=True)
        ]
        index = (
            labels[0]
            if len(labels) == 1
            else pd.MultiIndex.from_arrays(labels, names=[lab.name for lab in labels])
        )
    else:
        index = pd.Index(["all"])
    if w is not None:
        check_rule(
            (n_p > 0) & ~(sw_p > 0),
            index,
            rule=f"{weight_col} must have a positive sum in every group with answers",
            column=weight_col,
            what="data groups",
            hint="Drop the groups whose weights are all 0, or fix their weights.",
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = sw_p**2 / sw2_p
    out: dict[str, np.ndarray] = {}
    xk = np.where(keep, x, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "nps":
            is_pro, is_det = keep & (xk >= PROMOTER_MIN), keep & (xk <= DETRACTOR_MAX)
            pro, det = pick(_count(ids, size, is_pro)), pick(_count(ids, size, is_det))
            if w is None:
                s_pro, s_det, s_pas = pro / n_p, det / n_p, (n_p - pro - det) / n_p
            else:
                s_pro = pick(_count(ids, size, np.where(is_pro, w, 0.0))) / sw_p
                s_det = pick(_count(ids, size, np.where(is_det, w, 0.0))) / sw_p
                is_pas = keep & ~is_pro & ~is_det
                s_pas = pick(_count(ids, size, np.where(is_pas, w, 0.0))) / sw_p
            se, low, high = nps_interval(s_pro, s_det, n_eff, confidence=confidence, method=method)  # type: ignore[arg-type]
            out = {
                "score": 100.0 * (s_pro - s_det),
                "se": 100.0 * se,
                "lower": 100.0 * low,
                "upper": 100.0 * high,
            }
            counts = {
                "promoters": pro,
                "passives": n_p - pro - det,
                "detractors": det,
            }
            shares = {
                "promoter_share": s_pro,
                "passive_share": s_pas,
                "detractor_share": s_det,
            }
        elif metric == "csat":
            s_low, s_high = check_satisfied(satisfied, bounds[0], bounds[1])
            is_sat = keep & (xk >= s_low) & (xk <= s_high)
            sat = pick(_count(ids, size, is_sat))
            share = (
                sat / n_p if w is None else pick(_count(ids, size, np.where(is_sat, w, 0.0))) / sw_p
            )
            low, high = binomial_interval(
                share * n_eff, n_eff, confidence=confidence, method=method
            )
            out = {
                "score": 100.0 * share,
                "se": 100.0 * np.sqrt(share * (1.0 - share) / n_eff),
                "lower": 100.0 * low,
                "upper": 100.0 * high,
            }
            counts, shares = {"satisfied": sat}, {"satisfied_share": share}
        else:  # ces
            mid = 0.5 * (bounds[0] + bounds[1])
            y = np.where(keep, x - mid, 0.0)
            s1 = pick(_count(ids, size, wk * y))
            s2 = pick(_count(ids, size, wk * y * y))
            mean_c = s1 / sw_p
            var = np.maximum(s2 / sw_p - mean_c**2, 0.0) * n_eff / (n_eff - 1.0)
            var = np.where(n_eff > 1.0 + 1e-9, var, np.nan)
            std = np.sqrt(var)
            mean = mean_c + mid
            if method == "adjusted_t":
                se, lower, upper = adjusted_t_interval(
                    mean,
                    var * (n_eff - 1.0) / n_eff,
                    n_eff,
                    scale=(bounds[0], bounds[1]),
                    confidence=confidence,
                    pseudo=CES_PSEUDO,
                )
            else:
                se = std / np.sqrt(n_eff)
                half = t_quantile(confidence, np.where(n_eff > 1.0, n_eff - 1.0, np.nan)) * se
                lower = np.maximum(mean - half, bounds[0])
                upper = np.minimum(mean + half, bounds[1])
            out = {"score": mean, "se": se, "lower": lower, "upper": upper}
            counts, shares = {}, {"std": std}

    n_int = n_p.astype(np.int64)
    out["n"] = n_int
    out["effective_n"] = n_eff if w is not None else n_p
    out["n_dropped"] = rows[present].astype(np.int64) - n_int
    out.update({name: values.astype(np.int64) for name, values in counts.items()})
    out.update(shares)

    table = pd.DataFrame(out, index=index)
    table.attrs.update(
        {
            "metric": metric,
            "method": method,
            "confidence": confidence,
            "n_dropped": int(table["n_dropped"].sum()),
        }
    )
    return table
