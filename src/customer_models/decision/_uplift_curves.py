"""Uplift and Qini curves of a campaign, and the areas under them.

Customers are ranked by a score (an estimated uplift, or any targeting score); after the top
``k``, with ``n_t``/``n_c`` treated/control customers and ``y_t``/``y_c`` their summed
outcomes among them:

- Qini curve (Radcliffe 2007): ``y_t - y_c n_t / n_c``, the incremental outcome of the
  treated among the top ``k``;
- uplift curve: ``(y_t / n_t - y_c / n_c) (n_t + n_c)``, the incremental outcome had the top
  ``k`` all been treated.

Customers with the same score enter together (the curve is evaluated where the score changes),
so the result does not depend on the row order of ties.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models.decision._uplift import _treatment
from customer_models.exceptions import ParameterError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["auuc", "qini_curve", "uplift_curve"]


def _curve_inputs(y: Any, treatment: Any, score: Any) -> tuple[np.ndarray, ...]:
    y_arr = np.asarray(y, dtype=np.float64)
    s = np.asarray(score, dtype=np.float64)
    if y_arr.ndim != 1 or s.shape != y_arr.shape:
        raise ParameterError(
            f"y and score must be 1-D of the same length, got {y_arr.shape} and {s.shape}."
        )
    if not (np.all(np.isfinite(y_arr)) and np.all(np.isfinite(s))):
        raise ParameterError("y and score must be finite (no NaN or infinity).")
    t = _treatment(treatment, y_arr.size)
    order = np.argsort(-s, kind="stable")
    s, y_arr, t = s[order], y_arr[order], t[order]
    last_of_tie = np.append(s[1:] != s[:-1], True)  # where the score changes
    n_t = np.cumsum(t)[last_of_tie].astype(np.float64)
    n_c = np.cumsum(~t)[last_of_tie].astype(np.float64)
    y_t = np.cumsum(np.where(t, y_arr, 0.0))[last_of_tie]
    y_c = np.cumsum(np.where(t, 0.0, y_arr))[last_of_tie]
    return n_t, n_c, y_t, y_c


def _frame(n_t: np.ndarray, n_c: np.ndarray, values: np.ndarray, name: str) -> pd.DataFrame:
    n = n_t + n_c
    return pd.DataFrame(
        {
            "share_targeted": np.concatenate(([0.0], n / n[-1])),
            "n_targeted": np.concatenate(([0], n.astype(np.int64))),
            name: np.concatenate(([0.0], values)),
        }
    )


def qini_curve(y: ArrayLike, treatment: ArrayLike, score: ArrayLike) -> pd.DataFrame:
    """Return the Qini curve: incremental outcome among the treated of the top customers.

    Parameters
    ----------
    y : array-like
        Outcome per customer (0/1 response or a value).
    treatment : array-like of bool or 0/1
        Whether the customer was contacted.
    score : array-like
        Targeting score; higher is targeted first.

    Returns
    -------
    DataFrame
        ``share_targeted``, ``n_targeted`` and ``qini``, from (0, 0) to everyone.

    Examples
    --------
    >>> qini_curve([1, 0, 0, 1], [1, 1, 0, 0], [0.9, 0.5, 0.4, 0.1])["qini"].tolist()
    [0.0, 1.0, 1.0, 1.0, 0.0]
    """
    n_t, n_c, y_t, y_c = _curve_inputs(y, treatment, score)
    with np.errstate(invalid="ignore", divide="ignore"):
        qini = y_t - np.where(n_c > 0, y_c * n_t / np.where(n_c > 0, n_c, 1.0), 0.0)
    return _frame(n_t, n_c, qini, "qini")


def uplift_curve(y: ArrayLike, treatment: ArrayLike, score: ArrayLike) -> pd.DataFrame:
    """Return the uplift curve: incremental outcome had the top customers all been treated.

    Where the top customers hold no treated or no control customer yet, the curve is 0 (no
    estimate). Same parameters as :func:`qini_curve`; the column is ``uplift``.

    Examples
    --------
    >>> uplift_curve([1, 0, 0, 1], [1, 1, 0, 0], [0.9, 0.5, 0.4, 0.1])["uplift"].tolist()
    [0.0, 0.0, 0.0, 1.5, 0.0]
    """
    n_t, n_c, y_t, y_c = _curve_inputs(y, treatment, score)
    both = (n_t > 0) & (n_c > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(both, y_t / np.where(both, n_t, 1.0) - y_c / np.where(both, n_c, 1.0), 0.0)
    return _frame(n_t, n_c, rate * (n_t + n_c), "uplift")


def auuc(y: ArrayLike, treatment: ArrayLike, score: ArrayLike, *, curve: str = "qini") -> float:
    """Return the area between a curve and the random-targeting line, per customer.

    The trapezoid area under the Qini (default) or uplift curve over the share targeted,
    minus the area under the straight line from 0 to the curve's end (random targeting),
    divided by the number of customers: positive when the score ranks responders to the
    campaign first, 0 for a random score on average.

    Examples
    --------
    >>> round(auuc([1, 0, 0, 1], [1, 1, 0, 0], [0.9, 0.5, 0.4, 0.1]), 4)
    0.1875
    """
    if curve not in ("qini", "uplift"):
        raise ParameterError(f"curve must be 'qini' or 'uplift', got {curve!r}.")
    table = (qini_curve if curve == "qini" else uplift_curve)(y, treatment, score)
    x = table["share_targeted"].to_numpy()
    values = table[curve].to_numpy()
    area = float(np.sum((values[1:] + values[:-1]) * np.diff(x)) / 2.0)
    random = float(values[-1]) / 2.0
    return (area - random) / float(table["n_targeted"].iloc[-1])
