"""The health components of every customer, each on [0, 1] with 1 = healthy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from customer_models._polars import as_customer_frame, polars_out
from customer_models._validation import (
    check_not_empty,
    check_rule,
    ensure_numeric,
    require_columns,
)
from customer_models.exceptions import DataValidationError, ParameterError

__all__ = ["health_components"]

_WHAT = "health input"


def _numeric(frame: pd.DataFrame, column: str, *, allow_missing: bool) -> np.ndarray:
    values = frame[column]
    if allow_missing:
        coerced = (
            pd.to_numeric(values, errors="coerce")
            if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
            else values
        )
        check_rule(
            coerced.isna().to_numpy() & values.notna().to_numpy(),
            frame.index,
            rule=f"{column} must be numeric",
            column=column,
            what=_WHAT,
        )
        out = coerced.to_numpy(dtype=np.float64, na_value=np.nan)
        check_rule(
            np.isinf(out), frame.index, rule=f"{column} must be finite", column=column, what=_WHAT
        )
        return out
    out = ensure_numeric(values, frame.index, column=column, what=_WHAT)
    check_rule(
        ~np.isfinite(out), frame.index, rule=f"{column} must be finite", column=column, what=_WHAT
    )
    return out


def _rhythm(frame: pd.DataFrame, model: Any, t: float) -> np.ndarray:
    """min(1, E[X(T, T + t)] / (t * own rate)); own rate = frequency / recency while active."""
    require_columns(frame, ["frequency", "recency", "T"], what=_WHAT)
    x = _numeric(frame, "frequency", allow_missing=False)
    t_x = _numeric(frame, "recency", allow_missing=False)
    expected = np.asarray(model.expected_purchases(frame, t=t), dtype=np.float64)
    repeat = (x >= 1) & (t_x > 0)
    if not repeat.any():
        raise DataValidationError(
            "health rhythm: no customer has a repeat purchase (frequency >= 1 and recency > 0), "
            "so no purchase rhythm can be measured; leave the model out or use more history.",
            rule="some customers repeat",
            n_rows=len(frame),
        )
    rate = np.empty_like(x)
    rate[repeat] = x[repeat] / t_x[repeat]
    # one-time buyers have no rhythm of their own: they are held to the median repeat rhythm
    rate[~repeat] = np.median(rate[repeat])
    return np.minimum(1.0, expected / (t * rate))


@polars_out
def health_components(
    customers: Any,
    model: Any = None,
    *,
    t: float | None = None,
    alive_col: str | None = None,
    spend_recent_col: str | None = None,
    spend_before_col: str | None = None,
    feedback_col: str | None = None,
    feedback_scale: tuple[float, float] = (0.0, 10.0),
    tier_col: str | None = None,
    tiers: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Compute the components of a customer health score, each on [0, 1] (1 = healthy).

    Parameters
    ----------
    customers : DataFrame
        One row per customer: the summary columns ``frequency``, ``recency``, ``T`` when a
        ``model`` is given, plus the columns named below (attributes joined on the index).
    model : fitted purchase model, optional
        A fitted valuation model (``probability_alive``, ``expected_purchases``). Gives the
        ``alive`` and ``rhythm`` components.
    t : float, optional
        Horizon of the ``rhythm`` component, in the model's time unit (required with a model).
    alive_col : str, optional
        A column holding P(alive) already computed (instead of ``model``).
    spend_recent_col, spend_before_col : str, optional
        Spend of a recent window and of an earlier window of the same length (>= 0); give
        both for ``spend_trend``.
    feedback_col : str, optional
        Survey answers (NPS 0-10, CSAT 1-5, ...) on ``feedback_scale``; missing where the
        customer did not answer.
    feedback_scale : (low, high), default (0, 10)
        The answer scale; ``(1, 5)`` for CSAT.
    tier_col : str, optional
        The customer's loyalty tier; ``tiers`` lists the tier names from the lowest up (an
        ordered categorical column gives them itself).
    tiers : sequence, optional
        Tier names, lowest first.

    Returns
    -------
    pandas.DataFrame
        On the customers' index, the components that were asked for:

        - ``alive``: P(alive);
        - ``rhythm``: ``min(1, E[X(T, T + t)] / (t * frequency / recency))``, the purchases
          the model expects in the next ``t`` against the customer's own rate while active
          (customers without a repeat purchase are held to the median rate of those with
          one);
        - ``spend_trend``: ``recent / (recent + before)`` (0.5 = steady, 1 = all recent); NaN
          when both are 0 (no spend to compare);
        - ``feedback``: the answer rescaled to [0, 1]; NaN when not answered;
        - ``tier``: tier position / (number of tiers - 1).

        NaN appears only in ``spend_trend`` and ``feedback``, meaning "nothing to measure";
        :class:`HealthScore` leaves such components out customer by customer.

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.valuation import BetaGeoModel
    >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> df = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0], "T": [38.86, 38.86],
    ...                    "nps": [9, None], "tier": ["Gold", "Base"]})
    >>> health_components(df, m, t=39, feedback_col="nps", tier_col="tier",
    ...                   tiers=["Base", "Gold"]).round(3)
       alive  rhythm  feedback  tier
    0  0.727   0.478       0.9   1.0
    1  1.000   0.076       NaN   0.0
    """
    frame = as_customer_frame(customers, _WHAT)
    check_not_empty(frame, what=_WHAT)
    ids = frame.index
    out = pd.DataFrame(index=frame.index)
    if model is not None and alive_col is not None:
        raise ParameterError("give model= or alive_col= for P(alive), not both.")
    if model is not None:
        for method in ("probability_alive", "expected_purchases"):
            if not callable(getattr(model, method, None)):
                raise ParameterError(
                    f"model must be a fitted purchase model with {method}(), got "
                    f"{type(model).__name__}."
                )
        if t is None or isinstance(t, bool) or not np.isfinite(t) or t <= 0:
            raise ParameterError(f"t must be a horizon > 0 with a model, got {t!r}.")
        out["alive"] = np.asarray(model.probability_alive(frame), dtype=np.float64)
        out["rhythm"] = _rhythm(frame, model, float(t))
    elif alive_col is not None:
        require_columns(frame, [alive_col], what=_WHAT)
        alive = _numeric(frame, alive_col, allow_missing=False)
        check_rule(
            (alive < 0) | (alive > 1),
            ids,
            rule=f"{alive_col} must be in [0, 1]",
            column=alive_col,
            what=_WHAT,
        )
        out["alive"] = alive
    if (spend_recent_col is None) != (spend_before_col is None):
        raise ParameterError("give both spend_recent_col and spend_before_col for spend_trend.")
    if spend_recent_col is not None and spend_before_col is not None:
        require_columns(frame, [spend_recent_col, spend_before_col], what=_WHAT)
        recent = _numeric(frame, spend_recent_col, allow_missing=False)
        before = _numeric(frame, spend_before_col, allow_missing=False)
        for col, values in ((spend_recent_col, recent), (spend_before_col, before)):
            check_rule(values < 0, ids, rule=f"{col} must be >= 0", column=col, what=_WHAT)
        both = recent + before
        with np.errstate(invalid="ignore", divide="ignore"):
            out["spend_trend"] = np.where(both > 0, recent / np.where(both > 0, both, 1), np.nan)
    if feedback_col is not None:
        low, high = _scale(feedback_scale)
        require_columns(frame, [feedback_col], what=_WHAT)
        answers = _numeric(frame, feedback_col, allow_missing=True)
        check_rule(
            (answers < low) | (answers > high),
            ids,
            rule=f"{feedback_col} must be on the scale [{low:g}, {high:g}]",
            column=feedback_col,
            what=_WHAT,
        )
        out["feedback"] = (answers - low) / (high - low)
    if tier_col is not None:
        out["tier"] = _tier(frame, tier_col, tiers)
    if out.shape[1] == 0:
        raise ParameterError(
            "no health component asked for: give a model (with t), alive_col, the spend "
            "columns, feedback_col or tier_col."
        )
    return out


def _scale(scale: Any) -> tuple[float, float]:
    ok = (
        isinstance(scale, (tuple, list))
        and len(scale) == 2
        and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and np.isfinite(v)
            for v in scale
        )
    )
    if not ok or not scale[0] < scale[1]:
        raise ParameterError(f"feedback_scale must be (low, high) with low < high, got {scale!r}.")
    return float(scale[0]), float(scale[1])


def _tier(frame: pd.DataFrame, column: str, tiers: Sequence[Any] | None) -> np.ndarray:
    require_columns(frame, [column], what=_WHAT)
    values = frame[column]
    if tiers is None:
        if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered:
            tiers = list(values.cat.categories)
        else:
            raise ParameterError(
                f"tiers= must list the tier names from the lowest up (column {column!r} is not "
                "an ordered categorical), e.g. tiers=['Base', 'Silver', 'Gold']."
            )
    names = list(tiers)
    if len(names) < 2 or len(set(names)) != len(names):
        raise ParameterError(f"tiers must list at least two distinct tier names, got {names!r}.")
    codes = pd.Index(names).get_indexer(values.astype(object))
    check_rule(
        codes < 0,
        frame.index,
        rule=f"{column} must be one of the tiers {names}",
        column=column,
        what=_WHAT,
    )
    return codes / (len(names) - 1)
