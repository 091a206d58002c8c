"""Error, calibration and ranking metrics on numpy arrays (no pandas, no loops per customer)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["error_metrics", "gini", "reliability_table", "top_share"]


def _bias_pct(predicted: np.ndarray, actual: np.ndarray) -> float:
    total_actual = float(actual.sum())
    total_predicted = float(predicted.sum())
    if total_actual == 0.0:
        return 0.0 if total_predicted == 0.0 else float(np.inf)
    return 100.0 * (total_predicted - total_actual) / total_actual


def error_metrics(predicted: np.ndarray, actual: np.ndarray, prefix: str = "") -> dict[str, float]:
    """MAE, RMSE, total bias in percent, totals and the Pearson correlation.

    Examples
    --------
    >>> import numpy as np
    >>> error_metrics(np.array([1.0, 3.0]), np.array([2.0, 2.0]))["mae"]
    1.0
    """
    err = predicted - actual
    out = {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "bias_pct": _bias_pct(predicted, actual),
        "total_predicted": float(predicted.sum()),
        "total_actual": float(actual.sum()),
    }
    if predicted.size > 1 and np.std(predicted) > 0 and np.std(actual) > 0:
        out["correlation"] = float(np.corrcoef(predicted, actual)[0, 1])
    else:
        out["correlation"] = 0.0
    return {prefix + k: v for k, v in out.items()}


def _lorenz_area(actual: np.ndarray, order: np.ndarray) -> float:
    """Gini of ``actual`` accumulated in ``order`` (descending score)."""
    n = actual.size
    total = actual.sum()
    if n == 0 or total <= 0:
        return 0.0
    cum = np.cumsum(actual[order]) / total
    return float(cum.sum() / n - (n + 1) / (2 * n))


def gini(predicted: np.ndarray, actual: np.ndarray) -> float:
    """Return the normalized Gini of ``actual`` ranked by ``predicted`` (1 perfect, 0 random).

    The Gini of the actual values accumulated in the order of the predictions, divided by
    the Gini of the perfect ordering. Ties in ``predicted`` are broken by row order.

    Examples
    --------
    >>> import numpy as np
    >>> gini(np.array([3.0, 2.0, 1.0, 0.0]), np.array([5.0, 1.0, 0.0, 0.0]))
    1.0
    """
    order = np.argsort(-predicted, kind="stable")
    best = _lorenz_area(actual, np.argsort(-actual, kind="stable"))
    if best <= 0:
        return 0.0
    return _lorenz_area(actual, order) / best


def top_share(predicted: np.ndarray, actual: np.ndarray, fraction: float = 0.1) -> float:
    """Share of the actual total captured by the top ``fraction`` of customers by prediction.

    Examples
    --------
    >>> import numpy as np
    >>> top_share(np.arange(10.0), np.r_[np.zeros(9), 4.0])
    1.0
    """
    total = actual.sum()
    if total <= 0 or actual.size == 0:
        return 0.0
    k = max(1, int(np.ceil(fraction * actual.size)))
    order = np.argsort(-predicted, kind="stable")[:k]
    return float(actual[order].sum() / total)


def reliability_table(
    probability: np.ndarray, outcome: np.ndarray, n_bins: int = 10
) -> pd.DataFrame:
    """Reliability bins: mean predicted probability vs observed frequency per bin.

    Examples
    --------
    >>> import numpy as np
    >>> t = reliability_table(np.array([0.05, 0.95, 0.9]), np.array([0.0, 1.0, 1.0]), n_bins=2)
    >>> t["n_customers"].tolist(), t["observed"].tolist()
    ([1, 2], [0.0, 1.0])
    """
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.searchsorted(edges, probability, side="right") - 1, 0, n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    sum_p = np.bincount(bins, weights=probability, minlength=n_bins)
    sum_y = np.bincount(bins, weights=outcome, minlength=n_bins)
    keep = counts > 0
    return pd.DataFrame(
        {
            "lower": edges[:-1][keep],
            "upper": edges[1:][keep],
            "n_customers": counts[keep].astype(np.int64),
            "mean_predicted": sum_p[keep] / counts[keep],
            "observed": sum_y[keep] / counts[keep],
        }
    )
