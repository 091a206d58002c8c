"""Pieces of :func:`compare_models`: the naive baseline, decile calibration, ranking, LR tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2, poisson

from customer_models.exceptions import ParameterError

__all__ = [
    "BASELINE",
    "NESTED_PAIRS",
    "TIE_TOLERANCE",
    "SameRateBaseline",
    "age_column",
    "check_pairs",
    "decile_table",
    "likelihood_ratio_tests",
    "rank_rows",
    "recommend",
]

#: Name of the naive row of the comparison table.
BASELINE = "baseline (same rate)"
#: Two holdout log scores closer than this (nats per customer) are a tie.
TIE_TOLERANCE = 1e-9
#: Nested (restricted, general, df) pairs among the shipped models whose likelihood-ratio
#: statistic has the chi-square reference distribution. None: BG/NBD, MBG/NBD and Pareto/NBD
#: are not special cases of one another, and the NBD sits inside each of them only at a
#: boundary (p = 0, mu = 0) where the other dropout parameter is not identified
#: (docs/model_choice.md).
NESTED_PAIRS: tuple[tuple[str, str, int], ...] = ()


def age_column(data: pd.DataFrame) -> str:
    """``T`` (continuous time) or, on discrete data without it, ``n_periods``."""
    return "T" if "T" in data.columns or "n_periods" not in data.columns else "n_periods"


def _rates(data: pd.DataFrame) -> np.ndarray:
    """Each customer's calibration repeat rate ``frequency / T`` (0 when ``T`` is 0)."""
    x = data["frequency"].to_numpy(dtype=np.float64)
    T = data[age_column(data)].to_numpy(dtype=np.float64)
    return np.divide(x, T, out=np.zeros_like(x), where=T > 0)


class SameRateBaseline:
    """The naive forecast: every customer keeps buying at their calibration rate.

    A customer's holdout count is Poisson with mean ``frequency / T * t`` (0 when ``T`` is 0;
    ``n_periods`` stands for ``T`` on discrete data without it);
    a new customer buys at the cohort's pooled rate ``sum(frequency) / sum(T)``. It has no
    likelihood and no parameters to fit: :func:`compare_models` scores it on the holdout only.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"frequency": [2, 0], "T": [4.0, 4.0]})
    >>> SameRateBaseline(data, "W").expected_purchases(data, t=2.0).tolist()
    [1.0, 0.0]
    """

    required_columns = ("frequency", "T")

    def __init__(self, calibration: pd.DataFrame, time_unit: str | None) -> None:
        x = calibration["frequency"].to_numpy(dtype=np.float64)
        T = calibration[age_column(calibration)].to_numpy(dtype=np.float64)
        self.pooled_rate_ = float(x.sum() / T.sum()) if T.sum() > 0 else 0.0
        self.params_ = pd.Series({"pooled_rate": self.pooled_rate_})
        self.time_unit_ = time_unit

    def probability_alive(self, data: pd.DataFrame) -> pd.Series:
        """Return 1 for everyone: the baseline assumes nobody leaves."""
        return pd.Series(np.ones(len(data)), index=data.index)

    def expected_purchases(self, data: pd.DataFrame, *, t: Any) -> pd.Series:
        """``frequency / T * t`` per customer."""
        return pd.Series(_rates(data) * np.asarray(t, dtype=np.float64), index=data.index)

    def probability_of_purchases(self, data: pd.DataFrame, *, n: Any, t: Any) -> pd.Series:
        """Poisson pmf at ``n`` with mean ``frequency / T * t``."""
        mean = _rates(data) * np.asarray(t, dtype=np.float64)
        return pd.Series(poisson.pmf(n, mean), index=data.index)

    def expected_purchases_new_customer(self, *, t: Any) -> np.ndarray:
        """Return the pooled rate times ``t``."""
        return self.pooled_rate_ * np.asarray(t, dtype=np.float64)

    def probability_of_purchases_new_customer(self, *, n: int, t: Any) -> np.ndarray:
        """Poisson pmf at the pooled rate."""
        return np.asarray(poisson.pmf(n, self.pooled_rate_ * np.asarray(t, dtype=np.float64)))


def decile_table(predicted: np.ndarray, actual: np.ndarray, n_groups: int = 10) -> pd.DataFrame:
    """Mean predicted and actual holdout purchases by decile of the prediction.

    Customers are sorted by prediction (largest first, ties in row order) and cut into
    ``n_groups`` consecutive groups whose sizes differ by at most one (the first ones the
    larger, as :func:`numpy.array_split`); group 1 holds the largest predictions.

    Examples
    --------
    >>> import numpy as np
    >>> decile_table(np.arange(4.0), np.array([0.0, 1, 2, 5]), n_groups=2)
           n_customers  predicted  actual  error
    decile
    1                2        2.5     3.5   -1.0
    2                2        0.5     0.5    0.0
    """
    n = predicted.size
    groups = min(n_groups, n)
    order = np.argsort(-predicted, kind="stable")
    sizes = np.full(groups, n // groups)
    sizes[: n % groups] += 1  # the first n mod groups groups hold one customer more
    group = np.empty(n, dtype=np.int64)
    group[order] = np.repeat(np.arange(groups), sizes)
    counts = np.bincount(group, minlength=groups)
    mean_predicted = np.bincount(group, weights=predicted, minlength=groups) / counts
    mean_actual = np.bincount(group, weights=actual, minlength=groups) / counts
    return pd.DataFrame(
        {
            "n_customers": counts.astype(np.int64),
            "predicted": mean_predicted,
            "actual": mean_actual,
            "error": mean_predicted - mean_actual,
        },
        index=pd.RangeIndex(1, groups + 1, name="decile"),
    )


def rank_rows(table: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Ranks by holdout log score (lower first), ties by fewer parameters, then name.

    Returns the rank of each row (1 best) and the explanation of each tie ("" if none).
    """
    score = table["holdout_log_score"].to_numpy(dtype=np.float64)
    n_params = table["n_params"].to_numpy(dtype=np.int64)
    names = [str(name) for name in table.index]
    order = sorted(range(len(names)), key=lambda i: (score[i], n_params[i], names[i]))
    # tolerance ties: a row whose score is within TIE_TOLERANCE of the previous one in score
    # order joins its group; within a group, fewer parameters then name decide
    groups: list[list[int]] = []
    for i in order:
        if groups and abs(score[i] - score[groups[-1][-1]]) < TIE_TOLERANCE:
            groups[-1].append(i)
        else:
            groups.append([i])
    rank = np.empty(len(names), dtype=np.int64)
    notes = [""] * len(names)
    position = 1
    for group in groups:
        group.sort(key=lambda i: (n_params[i], names[i]))
        for i in group:
            rank[i] = position
            position += 1
            if len(group) > 1:
                others = ", ".join(names[j] for j in group if j != i)
                notes[i] = (
                    f"holdout log score tied with {others} (within {TIE_TOLERANCE:g}); "
                    "ordered by fewer parameters, then name"
                )
    return rank, notes


def check_pairs(pairs: Any, names: Sequence[str]) -> list[tuple[str, str, int]]:
    """Return the nested pairs ``(restricted, general, df)`` unless one is malformed.

    Examples
    --------
    >>> check_pairs([("A", "B", 1)], ["A", "B"])
    [('A', 'B', 1)]
    """
    if isinstance(pairs, str) or not isinstance(pairs, Sequence):
        raise ParameterError(f"nested must be a list of (restricted, general, df); got {pairs!r}.")
    out = []
    for pair in pairs:
        if not (isinstance(pair, tuple | list) and len(pair) == 3):
            raise ParameterError(
                f"nested must hold (restricted, general, df) triples; got {pair!r}."
            )
        restricted, general, df = pair
        for name in (restricted, general):
            if name not in names:
                raise ParameterError(
                    f"nested names a candidate {name!r} that is not in the comparison; "
                    f"candidates: {list(names)}."
                )
        if restricted == general:
            raise ParameterError(f"nested pairs a candidate with itself: {pair!r}.")
        if isinstance(df, bool) or not (isinstance(df, int | np.integer) and df >= 1):
            raise ParameterError(f"nested: df must be a whole number >= 1; got {df!r}.")
        out.append((str(restricted), str(general), int(df)))
    return out


def likelihood_ratio_tests(
    table: pd.DataFrame, pairs: Sequence[tuple[str, str, int]]
) -> pd.DataFrame:
    """Likelihood-ratio tests of nested pairs ``(restricted, general, df)`` (checked ones).

    ``statistic = 2 (LL_general - LL_restricted)`` (clipped at 0: a general fit below its
    special case did not find its maximum, see ``note``), ``p_value`` from chi-square(df).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"log_likelihood": [-10.0, -8.0]}, index=["A", "B"])
    >>> likelihood_ratio_tests(t, [("A", "B", 1)])[["statistic", "df"]].iloc[0].tolist()
    [4.0, 1.0]
    """
    rows = []
    for restricted, general, df in pairs:
        ll_r = float(table.at[restricted, "log_likelihood"])
        ll_g = float(table.at[general, "log_likelihood"])
        raw = 2.0 * (ll_g - ll_r)
        statistic = max(raw, 0.0)
        note = "" if raw >= -1e-6 else "general fit below the restricted one: refit it"
        rows.append(
            {
                "restricted": restricted,
                "general": general,
                "statistic": statistic,
                "df": float(df),
                "p_value": float(chi2.sf(statistic, df)),
                "note": note,
            }
        )
    columns = ["restricted", "general", "statistic", "df", "p_value", "note"]
    return pd.DataFrame(rows, columns=columns)


def _regularity_note(regularity: pd.Series | None) -> str:
    """Say what the inter-purchase regularity means for the (k = 1) candidates."""
    if regularity is None:
        return ""
    k, se = float(regularity["k"]), float(regularity["se"])
    text = f"k = {k:.2f} ± {se:.2f}"
    if k >= 1.5 and k - 2.0 * se > 1.0:
        return (
            f"purchase timing is more regular than Poisson ({text}); these models assume "
            "k = 1, an Erlang-k model (MBG/CNBD-k) may forecast better"
        )
    if k <= 2.0 / 3.0 and k + 2.0 * se < 1.0:
        return f"purchase timing is clumpier than Poisson ({text}); these models assume k = 1"
    return f"purchase timing is consistent with Poisson ({text}), as these models assume"


def recommend(
    table: pd.DataFrame, scores: dict[str, np.ndarray], regularity: pd.Series | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Gap to the best row's log score (paired, with its SE) and a plain-language verdict.

    ``table`` is sorted by rank; ``scores`` holds each row's per-customer log scores.
    """
    names = [str(name) for name in table.index]
    best = names[0]
    gap = np.zeros(len(names))
    se = np.zeros(len(names))
    texts = []
    for i, name in enumerate(names):
        diff = scores[name] - scores[best]
        gap[i] = float(diff.mean())
        se[i] = float(diff.std(ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else 0.0
        if i == 0:
            if name == BASELINE:
                text = "no candidate beats the naive forecast: check the split and the data"
            else:
                note = _regularity_note(regularity)
                text = "best holdout log score" + (f"; {note}" if note else "")
        elif name == BASELINE:
            text = f"naive reference: {best} beats it by {gap[i]:.4f} nats per customer"
        elif gap[i] < 2.0 * se[i]:
            text = (
                f"as good as {best} on this holdout (gap {gap[i]:.4f} ± {se[i]:.4f} nats per "
                "customer): prefer it if it is simpler or better on what you use"
            )
        else:
            text = (
                f"worse than {best} by {gap[i]:.4f} nats per customer "
                f"({gap[i] / se[i]:.1f} standard errors)"
            )
        texts.append(text)
    return gap, se, texts
