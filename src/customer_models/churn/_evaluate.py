"""Evaluate churn scores: ROC AUC, PR AUC, Brier score, lift/capture by decile, calibration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from customer_models._validation import check_number, check_numbers, check_rule
from customer_models.exceptions import DataValidationError, ParameterError

if TYPE_CHECKING:
    from collections.abc import Hashable

    from numpy.typing import ArrayLike

__all__ = ["ChurnEvaluation", "check_churn_probability", "evaluate_churn"]


@dataclass(frozen=True)
class ChurnEvaluation:
    """The result of :func:`evaluate_churn` (and of the ``evaluate`` methods).

    Attributes
    ----------
    roc_auc : float
        Area under the ROC curve (probability that a random churner is ranked above a random
        non-churner).
    pr_auc : float
        Average precision (area under the precision-recall curve); compare it with
        ``base_rate``, its value for a random ranking.
    brier : float
        Brier score, the mean squared error of the probabilities (lower is better).
    base_rate : float
        Share of churners in the evaluated customers.
    n : int
        Number of customers evaluated.
    lift : DataFrame
        One row per decile of predicted risk (decile 1 = the riskiest 10 %) with ``n``,
        ``n_churned``, ``churn_rate``, ``mean_predicted``, ``lift`` (churn rate over the base
        rate), ``cumulative_share`` (share of customers contacted down to this decile),
        ``capture`` (share of all churners found down to this decile, the gains curve) and
        ``cumulative_lift``.
    calibration : DataFrame
        One row per non-empty bin of predicted probability (equal-width bins on [0, 1], as
        :func:`sklearn.calibration.calibration_curve`), with ``n``, ``mean_predicted`` and
        ``observed_rate``.

    Examples
    --------
    >>> from customer_models.churn import evaluate_churn
    >>> result = evaluate_churn([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], n_bins=2)
    >>> round(result.roc_auc, 2)
    0.75
    """

    roc_auc: float
    pr_auc: float
    brier: float
    base_rate: float
    n: int
    lift: pd.DataFrame = field(repr=False)
    calibration: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict[str, float]:
        """Return the scalar metrics as a dict (handy for a results table)."""
        return {
            "roc_auc": self.roc_auc,
            "pr_auc": self.pr_auc,
            "brier": self.brier,
            "base_rate": self.base_rate,
            "n": float(self.n),
        }


#: Most risk groups / calibration bins (the tables are allocated n_bins long).
MAX_BINS = 10_000
#: Labels recognised as "churned" without ``pos_label`` (compared after ``strip().lower()``).
CHURN_LABELS = frozenset({"churn", "churned", "churner", "churners"})
#: Answers recognised as "yes, churned" in a yes/no pair of string labels.
_YES_NO = {"yes": "no", "y": "n", "true": "false"}


def _plain(label: Any) -> Any:
    return label.item() if isinstance(label, np.generic) else label


def resolve_pos_label(
    classes: Any, pos_label: Hashable | None = None, *, name: Any = None, what: str = "y"
) -> Any:
    """Return the label of two ``classes`` that means "churned", refusing to guess.

    The rules, in order:

    1. ``pos_label`` given: it must be one of the two labels.
    2. 0/1 (or -1/1, or their strings "0"/"1") and booleans: 1 / True is churned.
    3. Exactly one label is a churn word (``"churned"``, ``"churn"``, ``"churner"``,
       ``"churners"``, any case): that one (``"retained"``/``"churned"`` works as is).
    4. A yes/no pair (``"Yes"``/``"No"``, ``"Y"``/``"N"``, ``"True"``/``"False"``, any case):
       "yes" is churned, because ``y`` is the answer to "did the customer churn?" -- unless
       ``y`` is a Series whose name does not contain "churn" (e.g. ``"retained"``), then
       ``pos_label`` is required.
    5. Anything else (``"stayed"``/``"left"``, ``"active"``/``"lapsed"``, 1/2, ...) raises
       :class:`~customer_models.exceptions.ParameterError` listing the labels: which one means
       churned cannot be told from the spelling, and taking the larger one silently flips
       the scores.

    Examples
    --------
    >>> resolve_pos_label(["retained", "churned"])
    'churned'
    >>> resolve_pos_label([False, True])
    True
    >>> resolve_pos_label(["left", "stayed"])
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: y has labels ['left', 'stayed']: which one means
    churned cannot be told from their names. Pass pos_label= ...
    """
    labels = [_plain(c) for c in classes]
    if pos_label is not None:
        pos_label = _plain(pos_label)
        if pos_label not in labels:
            raise ParameterError(
                f"pos_label={pos_label!r} is not one of the labels of {what}: {labels}."
            )
        return next(label for label in labels if label == pos_label)
    if len(labels) != 2:
        raise ParameterError(
            f"{what} must have exactly two labels to find the churned one, got {labels}."
        )
    if all(isinstance(label, (bool, np.bool_)) for label in labels):
        return True
    numeric = all(
        isinstance(label, (int, float, np.integer, np.floating))
        and not isinstance(label, (bool, np.bool_))
        for label in labels
    )
    if numeric and set(labels) in ({0, 1}, {-1, 1}):
        return next(label for label in labels if label == 1)
    if all(isinstance(label, str) for label in labels):
        folded = [label.strip().lower() for label in labels]
        if set(folded) in ({"0", "1"}, {"-1", "1"}):
            return labels[folded.index("1")]
        churn = [label for label, f in zip(labels, folded, strict=True) if f in CHURN_LABELS]
        if len(churn) == 1:
            return churn[0]
        for yes, no in _YES_NO.items():
            if set(folded) == {yes, no}:
                if name is None or "churn" in str(name).lower():
                    return labels[folded.index(yes)]
                raise ParameterError(
                    f"{what} (named {name!r}) has labels {_sorted(labels)}: a yes/no answer "
                    "is taken as churned only when the Series name says churn. Pass "
                    "pos_label= with the churned label, e.g. "
                    f"pos_label={labels[folded.index(no)]!r}."
                )
    raise ParameterError(
        f"{what} has labels {_sorted(labels)}: which one means churned cannot be told from "
        "their names. Pass pos_label= with the churned label, e.g. "
        f"pos_label={_sorted(labels)[0]!r}."
    )


def _sorted(labels: list[Any]) -> list[Any]:
    try:
        return sorted(labels)
    except TypeError:
        return sorted(labels, key=str)


def _binary_labels(y_true: Any, pos_label: Any) -> np.ndarray:
    """Return ``y_true`` as a 0/1 int array (1 = churned); raise unless it has two classes."""
    name = y_true.name if isinstance(y_true, pd.Series) else None
    if isinstance(y_true, pd.DataFrame):
        if y_true.shape[1] != 1:
            raise ParameterError(
                f"y must be one column of labels, got a DataFrame with {y_true.shape[1]} columns."
            )
        y_true = y_true.iloc[:, 0]
        name = y_true.name
    if isinstance(y_true, dict | set | str | bytes) or np.ndim(y_true) == 0:
        raise ParameterError(
            f"y must be an array-like of labels (list, array, Series), got {type(y_true).__name__}."
        )
    y = pd.Series(np.asarray(y_true).ravel()) if not isinstance(y_true, pd.Series) else y_true
    if len(y) == 0:
        raise DataValidationError("y is empty: at least one label is needed.", n_rows=0)
    check_rule(y.isna().to_numpy(), y.index, rule="labels must not be missing", what="y")
    classes = pd.unique(y.to_numpy())
    if len(classes) > 2:
        raise DataValidationError(
            f"y must be binary (churned or not); it has {len(classes)} classes: "
            f"{sorted(map(str, classes))[:10]}.",
            rule="y is binary",
            n_rows=len(y),
        )
    if len(classes) < 2:
        raise DataValidationError(
            f"y has only one class ({classes[0]!r}); evaluating churn scores needs both "
            "churned and retained customers.",
            rule="y has two classes",
            n_rows=len(y),
        )
    positive = resolve_pos_label(classes, pos_label, name=name)
    return (y.to_numpy() == positive).astype(np.int64)


def _lift_table(y: np.ndarray, p: np.ndarray, n_groups: int) -> pd.DataFrame:
    order = np.argsort(-p, kind="stable")  # ties keep the input order
    n = y.size
    group = np.empty(n, dtype=np.int64)
    group[order] = np.arange(n) * n_groups // n + 1
    count = np.bincount(group, minlength=n_groups + 1)[1:]
    churned = np.bincount(group, weights=y, minlength=n_groups + 1)[1:]
    predicted = np.bincount(group, weights=p, minlength=n_groups + 1)[1:]
    base_rate = y.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.divide(churned, count, out=np.zeros(n_groups), where=count > 0)
        cum_n = np.cumsum(count)
        cum_churned = np.cumsum(churned)
        table = pd.DataFrame(
            {
                "n": count,
                "n_churned": churned.astype(np.int64),
                "churn_rate": rate,
                "mean_predicted": np.divide(
                    predicted, count, out=np.zeros(n_groups), where=count > 0
                ),
                "lift": rate / base_rate,
                "cumulative_share": cum_n / n,
                "capture": cum_churned / y.sum(),
                "cumulative_lift": (cum_churned / cum_n) / base_rate,
            },
            index=pd.RangeIndex(1, n_groups + 1, name="decile"),
        )
    return table[table["n"] > 0]


def _calibration_table(y: np.ndarray, p: np.ndarray, n_bins: int) -> pd.DataFrame:
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Same binning as sklearn.calibration.calibration_curve(strategy="uniform").
    bins = np.searchsorted(edges[1:-1], p, side="right")
    count = np.bincount(bins, minlength=n_bins)
    predicted = np.bincount(bins, weights=p, minlength=n_bins)
    observed = np.bincount(bins, weights=y, minlength=n_bins)
    nonzero = count > 0
    table = pd.DataFrame(
        {
            "bin_lower": edges[:-1],
            "bin_upper": edges[1:],
            "n": count,
            "mean_predicted": np.divide(predicted, count, out=np.zeros(n_bins), where=nonzero),
            "observed_rate": np.divide(observed, count, out=np.zeros(n_bins), where=nonzero),
        }
    )
    return table[nonzero].reset_index(drop=True)


def check_churn_probability(p: np.ndarray, ids: Any, *, what: str) -> None:
    """Raise unless every churn probability is finite and in [0, 1] (``what``: the input).

    Examples
    --------
    >>> check_churn_probability(np.array([0.2, 1.5]), ["a", "b"], what="scores")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.DataValidationError: scores column 'churn_probability': 1 of 2
    rows break the rule 'churn_probability must be in [0, 1]'; first offending ids: ['b'].
    """
    for bad, rule in (
        (~np.isfinite(p), "churn_probability must be finite"),
        ((p < 0) | (p > 1), "churn_probability must be in [0, 1]"),
    ):
        check_rule(bad, ids, rule=rule, column="churn_probability", what=what)


def evaluate_churn(
    y_true: ArrayLike,
    churn_probability: ArrayLike,
    *,
    n_bins: int = 10,
    pos_label: Hashable | None = None,
) -> ChurnEvaluation:
    """Score churn probabilities against observed churn.

    Parameters
    ----------
    y_true : array-like or Series
        Observed churn: 0/1, booleans or two labels. When both ``y_true`` and
        ``churn_probability`` are Series, they are matched on their index.
    churn_probability : array-like or Series
        Predicted probability of churn, in [0, 1].
    n_bins : int, default 10
        Number of risk groups in the lift table (10 = deciles) and of equal-width bins in the
        calibration table, 1 to 10,000.
    pos_label : optional
        The label that means "churned". Needed unless the labels say it: 0/1 or booleans
        (1/True = churned), one label spelled "churned"/"churn" (e.g. "retained"/"churned"),
        or a yes/no pair ("Yes" = churned; a Series named otherwise than "...churn..." needs
        it). Other pairs ("stayed"/"left", ...) raise a ParameterError listing the labels.

    Returns
    -------
    ChurnEvaluation
        ROC AUC, PR AUC (average precision), Brier score, base rate, the lift/capture table
        by risk group and the calibration table.

    Raises
    ------
    DataValidationError
        Labels that are missing, not binary or of one class only; probabilities that are
        missing or outside [0, 1]; Series whose indexes do not match.

    Notes
    -----
    Customers are ranked by decreasing probability (ties keep the input order) and cut into
    ``n_bins`` groups of equal size (sizes differ by at most one). The lift of a group is its
    churn rate divided by the overall churn rate; ``capture`` is the share of all churners in
    the groups down to this one (the cumulative gains curve).

    Examples
    --------
    >>> from customer_models.churn import evaluate_churn
    >>> result = evaluate_churn([1, 0, 1, 0, 0, 0, 0, 0, 0, 0],
    ...                         [.9, .8, .7, .6, .5, .4, .3, .2, .1, .0], n_bins=5)
    >>> result.lift[["n", "n_churned", "lift", "capture"]]
            n  n_churned  lift  capture
    decile
    1       2          1   2.5      0.5
    2       2          1   2.5      1.0
    3       2          0   0.0      1.0
    4       2          0   0.0      1.0
    5       2          0   0.0      1.0
    """
    n_bins = check_number(n_bins, "n_bins", low=1, high=MAX_BINS, integer=True)
    if (
        isinstance(y_true, pd.Series)
        and isinstance(churn_probability, pd.Series)
        and not y_true.index.equals(churn_probability.index)
    ):
        missing = ~churn_probability.index.isin(y_true.index)
        extra = ~y_true.index.isin(churn_probability.index)
        check_rule(
            np.concatenate([missing, extra]),
            np.concatenate([churn_probability.index, y_true.index]),
            rule="y and churn_probability must have the same customers (index)",
            what="y / churn_probability",
        )
        check_rule(
            y_true.index.duplicated(),
            y_true.index,
            rule="y must have one row per customer to be matched on the index",
            what="y",
        )
        y_true = y_true.reindex(churn_probability.index)
    y = _binary_labels(y_true, pos_label)
    if isinstance(churn_probability, pd.Series):
        # missing values are reported below with the customer ids
        probs = pd.to_numeric(churn_probability, errors="coerce")
        check_rule(
            probs.isna().to_numpy() & churn_probability.notna().to_numpy(),
            churn_probability.index,
            rule="churn_probability must be numeric",
            column="churn_probability",
            what="scores",
        )
        raw = probs.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        array = np.asarray(churn_probability)
        if array.dtype.kind not in "iuf":
            check_numbers(array, "churn_probability", what="probabilities in [0, 1]")
        raw = array.astype(np.float64)
    prob = pd.Series(raw.ravel())
    if prob.size != y.size:
        raise DataValidationError(
            f"y has {y.size} rows but churn_probability has {prob.size}.",
            rule="same length",
            n_rows=abs(prob.size - y.size),
        )
    p = prob.to_numpy()
    ids = churn_probability.index if isinstance(churn_probability, pd.Series) else np.arange(p.size)
    check_churn_probability(p, ids, what="scores")
    return ChurnEvaluation(
        roc_auc=float(roc_auc_score(y, p)),
        pr_auc=float(average_precision_score(y, p)),
        brier=float(brier_score_loss(y, p)),
        base_rate=float(y.mean()),
        n=int(y.size),
        lift=_lift_table(y, p, int(n_bins)),
        calibration=_calibration_table(y, p, int(n_bins)),
    )
