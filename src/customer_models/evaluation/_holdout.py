"""Holdout evaluation of a fitted valuation model on ``calibration_holdout_split`` data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from customer_models._polars import polars_out
from customer_models._validation import (
    as_pandas,
    check_finite,
    check_non_negative,
    check_not_empty,
    check_number,
    check_rule,
    ensure_numeric,
    require_columns,
)
from customer_models.evaluation._metrics import (
    error_metrics,
    gini,
    reliability_table,
    top_share,
)
from customer_models.evaluation._scores import has_pmf, holdout_scores
from customer_models.evaluation._tracking import transaction_tracking
from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.typing import FittedPurchaseModel, FittedSpendModel

#: Largest ``max_frequency``: one model pmf evaluation per count, so the work grows with it.
MAX_FREQUENCY = 1_000
#: Most reliability bins (the table is allocated n_bins long).
MAX_BINS = 10_000

__all__ = ["HoldoutEvaluation", "evaluate_holdout", "frequency_fit"]


@dataclass(frozen=True)
class HoldoutEvaluation:
    """What :func:`evaluate_holdout` found.

    Attributes
    ----------
    customers : DataFrame
        One row per customer (the data's index): ``predicted_purchases``,
        ``actual_purchases``, ``probability_alive`` (if the model has it); with the model's
        purchase-count distribution (``probability_of_purchases``) also
        ``probability_any_purchase`` (P(at least one purchase in the customer's holdout)),
        ``log_score`` (``-log P(X = actual_purchases)``) and ``lower``, ``upper`` (the central
        ``confidence`` prediction interval of the holdout count); with a spend model,
        ``predicted_spend``, ``actual_spend``, ``predicted_value`` and ``actual_value``.
    metrics : Series
        ``mae``, ``rmse``, ``bias_pct`` (100 × (predicted − actual) / actual totals),
        ``total_predicted``, ``total_actual``, ``correlation``, ``gini`` (normalized Gini of
        the actual purchases ranked by the prediction), ``top_decile_capture``; with the
        model's pmf, ``brier`` (mean squared difference between P(at least one purchase in
        the holdout) and "bought in the holdout"), ``log_score`` (mean ``-log`` pmf of the
        observed holdout counts, lower is better) and ``interval_coverage`` (share of
        customers whose holdout count lies in their prediction interval; about
        ``confidence`` or more for a well-specified model); with a spend model, the same
        errors on value (prefix ``value_``) and ``spend_mae`` on customers who bought in the
        holdout.
    tracking : DataFrame or None
        Period-by-period actual and expected repeat transactions (see
        :func:`transaction_tracking`); None without ``transactions``.
    frequency_fit : DataFrame or None
        Calibration repeat-frequency distribution, actual vs expected number of customers
        (see :func:`frequency_fit`); None if the model has no ``P(X(t) = x)``.
    reliability : DataFrame or None
        Reliability bins of P(at least one purchase in the holdout) (``mean_predicted`` vs
        ``observed`` share of customers with a holdout purchase); None if the model has no
        ``probability_of_purchases``.
    conditional : DataFrame
        Mean predicted and actual holdout purchases by calibration frequency (censored at
        ``max_frequency``), R BTYD's "conditional expectation" table.
    """

    customers: pd.DataFrame
    metrics: pd.Series
    tracking: pd.DataFrame | None
    frequency_fit: pd.DataFrame | None
    reliability: pd.DataFrame | None
    conditional: pd.DataFrame


def _model_pmf(model: Any, n: int, t: np.ndarray) -> np.ndarray | None:
    """P(X(t) = n) for a new customer at each ``t``, or None when the model lacks it.

    A new customer is a history with ``frequency = recency = T = 0`` (the posterior is the
    prior), so the conditional ``probability_of_purchases`` gives the unconditional pmf.
    """
    method = getattr(model, "probability_of_purchases_new_customer", None)
    if method is not None:
        return np.asarray(method(n=n, t=t), dtype=np.float64)
    columns = tuple(getattr(model, "required_columns", ()))
    if columns != ("frequency", "recency", "T") or not hasattr(model, "probability_of_purchases"):
        return None
    zeros = np.zeros(np.shape(t))
    history = {"frequency": zeros, "recency": zeros, "T": zeros}
    try:
        values = model.probability_of_purchases(history, n=n, t=t)
    except ParameterError:  # the model does not provide the pmf
        return None
    return np.asarray(values, dtype=np.float64)


@polars_out
def frequency_fit(model: Any, data: Any, *, max_frequency: int = 7) -> pd.DataFrame | None:
    """Actual vs expected number of customers by calibration repeat frequency.

    Expected counts are ``Σ_i P(X(T_i) = x)`` for ``x < max_frequency``; the last row
    (``max_frequency`` and more) holds the rest, so both columns sum to the number of customers
    (R BTYD's ``PlotFrequencyInCalibration``).

    Parameters
    ----------
    model : fitted valuation model
        With ``probability_of_purchases_new_customer(n=..., t=...)``.
    data : DataFrame
        Calibration summary with ``frequency`` and ``T``.
    max_frequency : int, default 7
        Censoring point, 1 to 1,000.

    Returns
    -------
    DataFrame or None
        Index ``frequency`` (0 .. max_frequency, the last meaning "or more"), columns
        ``actual`` and ``expected``. None when the model has no pmf.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> class Coin:  # P(X(t)=0) = 1/2, P(X(t)=1) = 1/2
    ...     def probability_of_purchases_new_customer(self, *, n, t):
    ...         return np.full(np.shape(t), 0.5 if n < 2 else 0.0)
    >>> data = pd.DataFrame({"frequency": [0, 1, 1, 3], "T": [1.0, 1.0, 1.0, 1.0]})
    >>> frequency_fit(Coin(), data, max_frequency=2)
               actual  expected
    frequency
    0               1       2.0
    1               2       2.0
    2               1       0.0
    """
    frame = as_pandas(data, what="data")
    max_frequency = check_number(
        max_frequency, "max_frequency", low=1, high=MAX_FREQUENCY, integer=True
    )
    require_columns(frame, ["frequency", "T"], what="data")
    ids = frame.index
    x = ensure_numeric(frame["frequency"], ids, column="frequency")
    T = ensure_numeric(frame["T"], ids, column="T")
    check_non_negative(x, ids, column="frequency")
    check_finite(T, ids, column="T")
    censor = int(max_frequency)
    T_values, T_counts = np.unique(T, return_counts=True)
    expected = np.zeros(censor + 1)
    for n in range(censor):
        pmf = _model_pmf(model, n, T_values)
        if pmf is None:
            return None
        expected[n] = float(T_counts @ pmf)
    expected[censor] = max(len(frame) - expected[:censor].sum(), 0.0)
    actual = np.bincount(np.minimum(x.astype(np.int64), censor), minlength=censor + 1)
    return pd.DataFrame(
        {"actual": actual.astype(np.int64), "expected": expected},
        index=pd.RangeIndex(0, censor + 1, name="frequency"),
    )


def _expected_holdout(model: Any, frame: pd.DataFrame, duration: np.ndarray) -> np.ndarray:
    out = np.empty(len(frame))
    for value in np.unique(duration):
        rows = duration == value
        part = frame if rows.all() else frame.loc[rows]
        out[rows] = np.asarray(model.expected_purchases(part, t=float(value)), dtype=np.float64)
    return out


def _conditional(x: np.ndarray, predicted: np.ndarray, actual: np.ndarray, censor: int) -> Any:
    bucket = np.minimum(x.astype(np.int64), censor)
    counts = np.bincount(bucket, minlength=censor + 1)
    keep = counts > 0
    return pd.DataFrame(
        {
            "n_customers": counts[keep].astype(np.int64),
            "actual": np.bincount(bucket, weights=actual, minlength=censor + 1)[keep]
            / counts[keep],
            "predicted": np.bincount(bucket, weights=predicted, minlength=censor + 1)[keep]
            / counts[keep],
        },
        index=pd.Index(np.arange(censor + 1)[keep], name="frequency"),
    )


def evaluate_holdout(
    model: FittedPurchaseModel,
    data: Any,
    *,
    spend_model: FittedSpendModel | None = None,
    transactions: Any = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    period: str | None = None,
    max_frequency: int = 7,
    n_bins: int = 10,
    confidence: float = 0.9,
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> HoldoutEvaluation:
    """Compare a fitted model's holdout predictions with what customers actually did.

    Parameters
    ----------
    model : fitted valuation model
        Fitted on the calibration columns of ``data`` (``expected_purchases`` is required;
        ``probability_of_purchases``, ``probability_alive`` and
        ``probability_of_purchases_new_customer`` are used if present).
    data : DataFrame
        Output of :func:`customer_models.calibration_holdout_split`: ``frequency``,
        ``recency``, ``T``, ``frequency_holdout``, ``duration_holdout`` and, with a spend
        model, ``monetary_value`` and ``monetary_value_holdout``.
    spend_model : fitted spend model, optional
        With ``expected_spend(data)``: adds spend and value columns and metrics.
    transactions : DataFrame, optional
        The transaction log the summary was built from: enables ``tracking``.
    customer_col, date_col : str
        Columns of ``transactions``.
    period : str, optional
        Tracking period (default: the model's time unit).
    max_frequency : int, default 7
        Censoring point of the frequency tables, 1 to 1,000.
    n_bins : int, default 10
        Number of reliability bins of P(at least one holdout purchase), 1 to 10,000.
    confidence : float, default 0.9
        Level of the per-customer prediction intervals of the holdout count whose coverage
        is ``metrics["interval_coverage"]``, in (0, 1).
    date_format, dayfirst : optional
        How the string dates of ``transactions`` are read, as in
        :func:`customer_models.rfm_summary` (pass what the split was built with).

    Returns
    -------
    HoldoutEvaluation
        ``customers``, ``metrics``, ``tracking``, ``frequency_fit``, ``reliability``,
        ``conditional``.

    Raises
    ------
    MissingColumnError
        ``data`` lacks a holdout column (build it with ``calibration_holdout_split``).
    ParameterError
        The summary's ``attrs["time_unit"]`` differs from the model's time unit.
    DataValidationError
        The model has a pmf and a holdout count is not a whole number.

    Notes
    -----
    The probabilistic scores judge the model's distribution of each customer's holdout count
    ``X`` (``probability_of_purchases(data, n=k, t=duration_holdout)``, the calibration
    history given): the Brier score and the reliability table compare
    ``P(X >= 1) = 1 - P(X = 0)`` with ``X_observed >= 1``, the event they predict. (P(alive)
    is not that probability: a customer alive at the end of calibration may still not buy in
    the holdout; on the CDNOW 1/10 sample, BG/NBD scores 0.608 with P(alive) and 0.161 with
    P(X >= 1).) The log score is the mean of ``-log P(X = X_observed)`` (a pmf under 1e-300
    counts as 1e-300). The interval of each customer is the central one of its predictive
    distribution, ``lower`` the smallest count with ``P(X <= lower) >= (1 - c) / 2`` and
    ``upper`` the smallest with ``P(X <= upper) >= (1 + c) / 2``: it holds at least ``c`` of
    the probability, so a well-specified model covers about ``c`` or more (counts are
    discrete).

    Examples
    --------
    >>> import pandas as pd
    >>> class Half:  # predicts half a purchase per week in the holdout
    ...     time_unit_ = "W"
    ...     def expected_purchases(self, data, *, t):
    ...         return pd.Series(0.5 * t, index=data.index)
    >>> data = pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 3.0], "T": [5.0, 5.0],
    ...                      "frequency_holdout": [1, 3], "duration_holdout": [4.0, 4.0]})
    >>> result = evaluate_holdout(Half(), data)
    >>> result.metrics[["mae", "bias_pct"]].round(2).tolist()
    [1.0, 0.0]
    """
    frame = as_pandas(data, what="data")
    max_frequency = check_number(
        max_frequency, "max_frequency", low=1, high=MAX_FREQUENCY, integer=True
    )
    n_bins = check_number(n_bins, "n_bins", low=1, high=MAX_BINS, integer=True)
    confidence = check_number(
        confidence, "confidence", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    if not callable(getattr(model, "expected_purchases", None)):
        raise ParameterError(
            "model must be a fitted purchase model with expected_purchases(data, t=) (BG/NBD, "
            f"Pareto/NBD, ...); got {type(model).__name__}."
        )
    require_columns(frame, ["frequency", "frequency_holdout", "duration_holdout"], what="data")
    check_not_empty(frame, what="data (the calibration/holdout summary)")
    ids = frame.index
    data_unit = frame.attrs.get("time_unit")
    model_unit = getattr(model, "time_unit_", None)
    if data_unit is not None and model_unit is not None and str(data_unit) != str(model_unit):
        raise ParameterError(
            f"data is in time unit {data_unit!r} but the model was fitted in {model_unit!r}; "
            "build the summary with the model's time_unit."
        )
    actual = ensure_numeric(frame["frequency_holdout"], ids, column="frequency_holdout")
    duration = ensure_numeric(frame["duration_holdout"], ids, column="duration_holdout")
    x = ensure_numeric(frame["frequency"], ids, column="frequency")
    check_non_negative(actual, ids, column="frequency_holdout")
    check_non_negative(duration, ids, column="duration_holdout")
    predicted = _expected_holdout(model, frame, duration)

    customers = pd.DataFrame(
        {"predicted_purchases": predicted, "actual_purchases": actual}, index=ids
    )
    metrics = error_metrics(predicted, actual)
    metrics["gini"] = gini(predicted, actual)
    metrics["top_decile_capture"] = top_share(predicted, actual, 0.1)
    if hasattr(model, "probability_alive"):
        customers["probability_alive"] = np.asarray(model.probability_alive(frame), dtype=float)
    reliability = None
    if has_pmf(model, frame):
        check_rule(
            actual != np.round(actual),
            ids,
            rule="frequency_holdout must be whole numbers (purchase counts)",
            column="frequency_holdout",
        )
        scores = holdout_scores(model, frame, actual, duration, confidence=float(confidence))
        active = (actual > 0).astype(np.float64)
        customers["probability_any_purchase"] = scores.probability_any
        customers["log_score"] = scores.log_score
        customers["lower"] = scores.lower
        customers["upper"] = scores.upper
        metrics["brier"] = float(np.mean((scores.probability_any - active) ** 2))
        metrics["log_score"] = float(np.mean(scores.log_score))
        metrics["interval_coverage"] = float(
            np.mean((scores.lower <= actual) & (actual <= scores.upper))
        )
        reliability = reliability_table(scores.probability_any, active, n_bins=int(n_bins))
    if spend_model is not None:
        if not callable(getattr(spend_model, "expected_spend", None)):
            raise ParameterError(
                "spend_model must be a fitted spend model with expected_spend(data) (e.g. "
                f"GammaGammaModel), got {type(spend_model).__name__}."
            )
        require_columns(frame, ["monetary_value_holdout"], what="data")
        spend = np.asarray(spend_model.expected_spend(frame), dtype=np.float64)
        actual_spend = ensure_numeric(
            frame["monetary_value_holdout"], ids, column="monetary_value_holdout"
        )
        customers["predicted_spend"] = spend
        customers["actual_spend"] = actual_spend
        customers["predicted_value"] = predicted * spend
        customers["actual_value"] = actual * actual_spend
        buyers = actual > 0
        metrics["spend_mae"] = (
            float(np.mean(np.abs(spend[buyers] - actual_spend[buyers]))) if buyers.any() else 0.0
        )
        metrics.update(
            error_metrics(
                customers["predicted_value"].to_numpy(),
                customers["actual_value"].to_numpy(),
                prefix="value_",
            )
        )
        metrics["value_gini"] = gini(
            customers["predicted_value"].to_numpy(), customers["actual_value"].to_numpy()
        )
    tracking = None
    if transactions is not None:
        tracking = transaction_tracking(
            model,
            frame,
            transactions,
            period=period,
            customer_col=customer_col,
            date_col=date_col,
            date_format=date_format,
            dayfirst=dayfirst,
        )
    undefined = [name for name, value in metrics.items() if not np.isfinite(value)]
    if undefined:
        raise DataValidationError(
            f"the holdout metrics {undefined} are undefined: the holdout has "
            f"{int(actual.sum())} purchases (or a total value of 0), so a bias relative to "
            "the actual total cannot be computed. Check calibration_end and observation_end "
            "of the split (the holdout period must contain purchases).",
            column="frequency_holdout",
            rule="the holdout has purchases",
            n_rows=len(frame),
        )
    fit = frequency_fit(model, frame, max_frequency=max_frequency) if "T" in frame else None
    return HoldoutEvaluation(
        customers=customers,
        metrics=pd.Series(metrics, name="value", dtype=np.float64),
        tracking=tracking,
        frequency_fit=fit,
        reliability=reliability,
        conditional=_conditional(x, predicted, actual, int(max_frequency)),
    )
