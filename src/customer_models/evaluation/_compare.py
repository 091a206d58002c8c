"""Model choice on the holdout: fit candidate purchase models and rank them in one table."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from customer_models._validation import (
    as_pandas,
    check_not_empty,
    check_number,
    require_columns,
)
from customer_models.evaluation._compare_parts import (
    BASELINE,
    NESTED_PAIRS,
    SameRateBaseline,
    age_column,
    check_pairs,
    decile_table,
    likelihood_ratio_tests,
    rank_rows,
    recommend,
)
from customer_models.evaluation._holdout import evaluate_holdout
from customer_models.evaluation._regularity import estimate_regularity
from customer_models.exceptions import (
    ConvergenceWarning,
    CustomerModelsError,
    DataValidationError,
    ParameterError,
)
from customer_models.summary import calibration_holdout_split
from customer_models.valuation._base import ValuationModel

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from customer_models.typing import DateLike


__all__ = ["ModelComparison", "compare_models"]


@dataclass(frozen=True)
class ModelComparison:
    """What :func:`compare_models` found.

    Attributes
    ----------
    table : DataFrame
        One row per candidate plus the naive row ``"baseline (same rate)"``, sorted by
        ``rank`` (index ``model``). Columns: ``rank`` (1 best, by ``holdout_log_score``;
        ties by fewer parameters, then name), ``n_params``, ``log_likelihood``, ``aic``,
        ``bic`` (calibration fit; NaN on the baseline row, which has no likelihood),
        ``holdout_log_score`` (mean ``-log P(X = observed holdout count)``, lower is better),
        ``brier``, ``interval_coverage``, ``mae``, ``rmse``, ``bias_pct``, ``correlation``
        (holdout, per customer, from :func:`evaluate_holdout`), ``decile_max_error`` (largest
        absolute gap between mean predicted and actual holdout purchases over the deciles of
        the prediction), with ``transactions`` also ``tracking_mae`` (mean absolute error of
        the repeat transactions per period over the whole tracked span) and
        ``tracking_error_pct`` (100 x (expected - actual) / actual cumulative repeat
        transactions at the last period), ``fit_seconds``, ``converged`` (the optimizer's
        success flag), ``convergence`` (the fit's ConvergenceWarning text, "" if none),
        ``params`` (the estimates as text), ``tie`` (why rows with tied scores are in that
        order; "" if no tie), ``score_gap`` and ``score_gap_se`` (the mean per-customer
        difference of holdout log scores to the rank-1 row and its paired standard error)
        and ``recommendation`` (a plain-language verdict: best, as good as the best within
        two standard errors, or worse; the best row also says whether the purchase timing
        is as regular as the candidates assume, see ``regularity``).
    parameters : DataFrame
        The estimates of every candidate: columns ``model``, ``parameter``, ``coef``, ``se``.
    deciles : DataFrame
        Index (``model``, ``decile``): ``n_customers``, mean ``predicted`` and ``actual``
        holdout purchases and their ``error`` (decile 1: the largest predictions).
    likelihood_ratio : DataFrame
        One row per nested pair: ``restricted``, ``general``, ``statistic``, ``df``,
        ``p_value``, ``note`` (empty when no pair is nested, as among the shipped models).
    tracking : DataFrame or None
        Cumulative repeat transactions by period: ``start``, ``end``, ``actual`` and one
        column per model (expected); None without ``transactions``.
    models : dict
        The fitted candidates (and the baseline) by name.
    regularity : Series or None
        :func:`estimate_regularity` of the transaction log (``k``, ``se``, ``n_customers``,
        ``var_m``); None without ``transactions`` or with fewer than two customers with
        three purchase days.
    """

    table: pd.DataFrame
    parameters: pd.DataFrame
    deciles: pd.DataFrame
    likelihood_ratio: pd.DataFrame
    tracking: pd.DataFrame | None
    models: dict[str, Any]
    regularity: pd.Series | None = None


def _named(candidates: Any) -> list[tuple[str, Any]]:
    """``(name, candidate)`` pairs: mapping keys, or class names made unique with ``#2``..."""
    if isinstance(candidates, Mapping):
        pairs = [(str(k), v) for k, v in candidates.items()]
    elif isinstance(candidates, Sequence) and not isinstance(candidates, str):
        pairs = []
        seen: dict[str, int] = {}
        for item in candidates:
            base = item.__name__ if isinstance(item, type) else type(item).__name__
            seen[base] = seen.get(base, 0) + 1
            pairs.append((base if seen[base] == 1 else f"{base}#{seen[base]}", item))
    else:
        raise ParameterError(
            "candidates must be a list of model classes or unfitted instances (e.g. "
            "[BetaGeoModel, ParetoNBDModel]) or a dict name -> model; got "
            f"{type(candidates).__name__}."
        )
    if not pairs:
        raise ParameterError("candidates is empty: pass at least one purchase model.")
    names = [name for name, _ in pairs]
    if BASELINE in names or len(set(names)) < len(names):
        raise ParameterError(
            f"candidate names must be unique and differ from {BASELINE!r}; got {names}."
        )
    return pairs


def _instance(name: str, candidate: Any) -> ValuationModel:
    """Return an unfitted copy of the candidate (a class is built with its defaults)."""
    if isinstance(candidate, type) and issubclass(candidate, ValuationModel):
        model = candidate()
    elif isinstance(candidate, ValuationModel):
        model = clone(candidate)  # never refit the caller's instance
    else:
        raise ParameterError(
            f"candidate {name!r} must be a valuation model class or instance (BetaGeoModel, "
            f"ParetoNBDModel, ...); got {candidate!r}."
        )
    if not callable(getattr(model, "expected_purchases", None)):
        raise ParameterError(
            f"candidate {name!r} ({type(model).__name__}) is not a purchase model: it has no "
            "expected_purchases(data, t=), so it cannot forecast the holdout (spend and "
            "cohort-retention models such as GammaGammaModel and ShiftedBetaGeoModel are not "
            "candidates)."
        )
    return model


def _split(
    data: Any, transactions: Any, calibration_end: Any, split_options: dict[str, Any]
) -> pd.DataFrame:
    if data is not None:
        if calibration_end is not None:
            raise ParameterError(
                "calibration_end builds the split from transactions; pass either data (a "
                "calibration_holdout_split summary) or transactions with calibration_end."
            )
        return as_pandas(data, what="data")
    if transactions is None or calibration_end is None:
        raise ParameterError(
            "compare_models needs data (a calibration_holdout_split summary) or "
            "transactions with calibration_end."
        )
    return calibration_holdout_split(transactions, calibration_end=calibration_end, **split_options)


def _fit(
    name: str, model: ValuationModel, frame: pd.DataFrame, sample_weight: Any
) -> tuple[float, str]:
    """Fit one candidate: its time and its convergence warning ("" if none)."""
    require_columns(frame, list(model.required_columns), what=f"data (candidate {name!r})")
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(frame, sample_weight=sample_weight)
    except CustomerModelsError as err:  # same error, its message names the candidate
        head = f"compare_models: candidate {name!r} cannot be fitted on this data: "
        err.args = (head + str(err.args[0] if err.args else ""), *err.args[1:])
        raise
    seconds = time.perf_counter() - start
    problems = []
    for item in caught:  # the fit's own warnings: convergence goes to the table, others on
        if issubclass(item.category, ConvergenceWarning):
            problems.append(str(item.message))
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
    return seconds, " ".join(problems)


def _row(evaluation: Any, n_params: int, tracked: bool) -> dict[str, Any]:
    metrics = evaluation.metrics
    customers = evaluation.customers
    deciles = decile_table(
        customers["predicted_purchases"].to_numpy(dtype=np.float64),
        customers["actual_purchases"].to_numpy(dtype=np.float64),
    )
    row: dict[str, Any] = {
        "n_params": n_params,
        "holdout_log_score": float(metrics["log_score"]),
        "brier": float(metrics["brier"]),
        "interval_coverage": float(metrics["interval_coverage"]),
        "mae": float(metrics["mae"]),
        "rmse": float(metrics["rmse"]),
        "bias_pct": float(metrics["bias_pct"]),
        "correlation": float(metrics["correlation"]),
        "decile_max_error": float(deciles["error"].abs().max()),
    }
    if tracked:
        track = evaluation.tracking
        error = track["expected"].to_numpy() - track["actual"].to_numpy()
        actual_total = float(track["actual_cumulative"].iloc[-1])
        expected_total = float(track["expected_cumulative"].iloc[-1])
        row["tracking_mae"] = float(np.mean(np.abs(error)))
        row["tracking_error_pct"] = (
            100.0 * (expected_total - actual_total) / actual_total if actual_total > 0 else 0.0
        )
    return {"row": row, "deciles": deciles}


def compare_models(
    candidates: Sequence[ValuationModel | type[ValuationModel]]
    | Mapping[str, ValuationModel | type[ValuationModel]],
    data: Any = None,
    *,
    transactions: Any = None,
    calibration_end: DateLike | None = None,
    observation_end: DateLike | None = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    freq: str = "D",
    time_unit: str | None = None,
    sample_weight: str | ArrayLike | None = None,
    nested: Sequence[tuple[str, str, int]] | None = None,
    confidence: float = 0.9,
    period: str | None = None,
) -> ModelComparison:
    """Fit candidate purchase models on the calibration period and rank them on the holdout.

    Parameters
    ----------
    candidates : list or dict
        Model classes or unfitted instances (``BetaGeoModel``, ``ModifiedBetaGeoModel``,
        ``ParetoNBDModel``, ``BetaGeoBetaBinomModel`` on discrete data with ``n_periods``,
        or any registered purchase model), or a dict ``name -> model``. Instances are cloned
        (their constructor parameters kept, the caller's object never fitted). Names default
        to the class names (``#2``, ``#3`` for repeats).
    data : DataFrame, optional
        A :func:`~customer_models.calibration_holdout_split` summary: ``frequency``,
        ``recency``, ``T`` (or the columns a candidate requires), ``frequency_holdout`` and
        ``duration_holdout``.
    transactions : DataFrame, optional
        The transaction log: with ``calibration_end`` (and no ``data``) the split is built
        from it; with or without ``data`` it adds the tracking columns and curves.
    calibration_end, observation_end : date-like, optional
        The split's cut-offs (only without ``data``).
    customer_col, date_col, freq, time_unit : optional
        As in :func:`~customer_models.calibration_holdout_split` (the split and tracking).
    sample_weight : None, str or array-like
        Passed to every candidate's ``fit``; the holdout scores are per row of ``data``.
    nested : list of (restricted, general, df), optional
        Candidate pairs to test by likelihood ratio. Default: the pairs the library knows to
        be nested with a chi-square reference, none among the shipped models (see Notes).
    confidence : float, default 0.9
        Level of the per-customer holdout intervals behind ``interval_coverage``.
    period : str, optional
        Tracking period (default: the models' time unit).

    Returns
    -------
    ModelComparison
        ``table`` (one row per model, sorted by rank), ``parameters``, ``deciles``,
        ``likelihood_ratio``, ``tracking`` and the fitted ``models``.

    Warns
    -----
    ConvergenceWarning
        Once, naming the candidates whose fit warned (their messages are in the table's
        ``convergence`` column instead of one warning each).

    Raises
    ------
    ParameterError
        A candidate is not a purchase model or has no purchase-count distribution (no
        log score to rank it by), names collide, or the inputs are incomplete.
    MissingColumnError, DataValidationError
        A candidate cannot be fitted on the data (its required columns are missing or its
        data rules fail, e.g. BG/BB on continuous recency): the whole call is refused and
        the error notes the candidate, rather than reporting a failed row.

    Notes
    -----
    The ``rank`` is by holdout log score, the mean over customers of
    ``-log P(X_i = x_i)`` where ``x_i`` is the observed holdout count and ``P`` the model's
    predictive distribution given the calibration history (so it ranks by the holdout
    log-likelihood of the counts, divided by ``-n``). Scores closer than 1e-9 are ties,
    broken by fewer parameters, then name; the ``tie`` column says so. The baseline
    forecasts a Poisson count with mean ``frequency / T * duration_holdout``: a customer
    without a calibration repeat purchase who buys in the holdout gets probability 0,
    scored as 1e-300 (about 690.8).

    A likelihood-ratio statistic ``2 (LL_general - LL_restricted)`` is chi-square only when
    the restricted model is the general one with parameters fixed inside the parameter space.
    BG/NBD, MBG/NBD and Pareto/NBD are not special cases of one another, and the NBD sits
    inside each only where a dropout parameter is on its boundary and another is not
    identified, so no test is run by default; pass ``nested=`` for a pair you can justify.

    Examples
    --------
    >>> from customer_models import calibration_holdout_split, load_cdnow_transactions
    >>> from customer_models.valuation import BetaGeoModel, ParetoNBDModel
    >>> tx = load_cdnow_transactions(sample=True)
    >>> data = calibration_holdout_split(tx, calibration_end="1997-09-30",
    ...                                  observation_end="1998-06-30", time_unit="W")
    >>> result = compare_models([BetaGeoModel, ParetoNBDModel], data)
    >>> result.table.index.tolist()
    ['BetaGeoModel', 'ParetoNBDModel', 'baseline (same rate)']
    >>> round(float(result.table.loc["BetaGeoModel", "log_likelihood"]), 1)
    -9582.4
    """
    confidence = check_number(
        confidence, "confidence", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    pairs = _named(candidates)
    models = {name: _instance(name, candidate) for name, candidate in pairs}
    tests = check_pairs(NESTED_PAIRS if nested is None else nested, list(models))
    split_options = {
        "observation_end": observation_end,
        "customer_col": customer_col,
        "date_col": date_col,
        "freq": freq,
        "time_unit": time_unit,
    }
    frame = _split(data, transactions, calibration_end, split_options)
    check_not_empty(frame, what="data (the calibration/holdout summary)")
    require_columns(
        frame, ["frequency", age_column(frame), "frequency_holdout", "duration_holdout"]
    )
    tracked = transactions is not None
    options = {
        "transactions": transactions,
        "customer_col": customer_col,
        "date_col": date_col,
        "period": period,
        "confidence": confidence,
    }
    rows: dict[str, dict[str, Any]] = {}
    deciles: dict[str, pd.DataFrame] = {}
    tracks: dict[str, pd.DataFrame] = {}
    scores: dict[str, np.ndarray] = {}
    estimates = []
    troubled = []
    for name, model in models.items():
        seconds, problems = _fit(name, model, frame, sample_weight)
        if problems:
            troubled.append(name)
        evaluation = evaluate_holdout(model, frame, **options)
        if "log_score" not in evaluation.metrics:
            raise ParameterError(
                f"candidate {name!r} ({type(model).__name__}) has no purchase-count "
                "distribution (probability_of_purchases), so its holdout log score, the "
                "ranking criterion, cannot be computed; compare it with evaluate_holdout."
            )
        part = _row(evaluation, len(model.param_names), tracked)
        summary = model.summary_
        rows[name] = {
            **part["row"],
            "log_likelihood": float(model.log_likelihood_),
            "aic": float(model.aic_),
            "bic": float(model.bic_),
            "fit_seconds": seconds,
            "converged": bool(model.convergence_.success),
            "convergence": problems,
            "params": ", ".join(f"{k}={v:.4g}" for k, v in model.params_.items()),
        }
        deciles[name] = part["deciles"]
        scores[name] = evaluation.customers["log_score"].to_numpy(dtype=np.float64)
        estimates.append(
            pd.DataFrame(
                {
                    "model": name,
                    "parameter": list(model.param_names),
                    "coef": summary["coef"].to_numpy(),
                    "se": summary["se"].to_numpy(),
                }
            )
        )
        if tracked:
            tracks[name] = evaluation.tracking
    first_unit = getattr(next(iter(models.values())), "time_unit_", None)
    baseline = SameRateBaseline(frame, frame.attrs.get("time_unit", first_unit))
    evaluation = evaluate_holdout(baseline, frame, **options)
    part = _row(evaluation, 0, tracked)
    rows[BASELINE] = {
        **part["row"],
        "log_likelihood": np.nan,
        "aic": np.nan,
        "bic": np.nan,
        "fit_seconds": 0.0,
        "converged": True,
        "convergence": "",
        "params": f"pooled rate={baseline.pooled_rate_:.4g}",
    }
    deciles[BASELINE] = part["deciles"]
    scores[BASELINE] = evaluation.customers["log_score"].to_numpy(dtype=np.float64)
    if tracked:
        tracks[BASELINE] = evaluation.tracking
    if troubled:
        warnings.warn(
            f"compare_models: the fits of {troubled} reported problems (a candidate that does "
            "not describe the data often does); see the table's 'convergence' column.",
            ConvergenceWarning,
            stacklevel=2,
        )
    models_out: dict[str, Any] = {**models, BASELINE: baseline}
    regularity = _regularity(transactions, customer_col, date_col) if tracked else None
    table = _table(rows, tracked)
    table["score_gap"], table["score_gap_se"], table["recommendation"] = recommend(
        table, scores, regularity
    )
    return ModelComparison(
        table=table,
        parameters=pd.concat(estimates, ignore_index=True),
        deciles=pd.concat(deciles, names=["model", "decile"]),
        likelihood_ratio=likelihood_ratio_tests(table, tests),
        tracking=_tracking(tracks) if tracked else None,
        models=models_out,
        regularity=regularity,
    )


def _regularity(transactions: Any, customer_col: str, date_col: str) -> pd.Series | None:
    """Return the log's inter-purchase regularity, or None when too few customers show it."""
    try:
        return estimate_regularity(transactions, customer_col=customer_col, date_col=date_col)
    except DataValidationError as err:
        if err.rule in {"at least 2 customers with 3 purchase days", "inter-purchase ratios vary"}:
            return None
        raise


_COLUMNS = [
    "rank",
    "n_params",
    "log_likelihood",
    "aic",
    "bic",
    "holdout_log_score",
    "brier",
    "interval_coverage",
    "mae",
    "rmse",
    "bias_pct",
    "correlation",
    "decile_max_error",
    "tracking_mae",
    "tracking_error_pct",
    "fit_seconds",
    "converged",
    "convergence",
    "params",
    "tie",
]


def _table(rows: dict[str, dict[str, Any]], tracked: bool) -> pd.DataFrame:
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    rank, notes = rank_rows(table)
    table["rank"] = rank
    table["tie"] = notes
    columns = [c for c in _COLUMNS if tracked or not c.startswith("tracking_")]
    table = table[columns].sort_values("rank")
    table["n_params"] = table["n_params"].astype(np.int64)
    table["converged"] = table["converged"].astype(bool)
    return table


def _tracking(tracks: dict[str, pd.DataFrame]) -> pd.DataFrame:
    first = next(iter(tracks.values()))
    out = first[["start", "end", "actual_cumulative"]].rename(
        columns={"actual_cumulative": "actual"}
    )
    for name, track in tracks.items():
        out[name] = track["expected_cumulative"].to_numpy()
    return out
