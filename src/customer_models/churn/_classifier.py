"""ChurnClassifier: a scikit-learn classifier for mixed customer tables, chosen by internal CV."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_array, validate_data

from customer_models._progress import Progress, ProgressLike, check_progress
from customer_models._validation import (
    check_choice,
    check_fitted,
    check_number,
    check_random_state,
    check_rule,
    sklearn_input,
)
from customer_models.churn._calibration import (
    CalibratedModel,
    fit_calibrator,
    out_of_fold_scores,
)
from customer_models.churn._evaluate import ChurnEvaluation, evaluate_churn, resolve_pos_label
from customer_models.churn._importances import fold_importances
from customer_models.churn._labels import binary_labels
from customer_models.churn._pipelines import (
    boosting_pipeline,
    is_categorical,
    logistic_pipeline,
    numeric_object,
)
from customer_models.exceptions import DataValidationError

if TYPE_CHECKING:
    from collections.abc import Hashable

    from numpy.typing import ArrayLike

__all__ = ["ChurnClassifier"]

_ESTIMATORS = ("logistic", "gradient_boosting")

#: From this many rows ``cv="auto"`` chooses the model on one 80/20 split instead of 5 folds.
HOLDOUT_MIN_ROWS = 20_000


@dataclass(eq=False, repr=False)
class ChurnClassifier(ClassifierMixin, BaseEstimator):
    """Churn classifier for a mixed numeric/categorical customer table, taken as is.

    Object, string, category and bool columns are one-hot encoded, numeric columns are imputed
    and scaled inside the estimator, so a DataFrame such as the output of
    :func:`~customer_models.churn_dataset` (or a CRM extract) can be passed directly. With
    ``estimator="auto"`` a regularized logistic regression and gradient boosting are compared
    by stratified internal cross-validation (ROC AUC) and the better one is refitted on all
    data.

    Parameters
    ----------
    estimator : {"auto", "logistic", "gradient_boosting"}, default "auto"
        The estimator family, or ``"auto"`` to choose by internal cross-validated ROC AUC (ties
        go to the logistic regression). The chosen family is ``chosen_model_``.
    C : float, default 1.0
        Inverse L2 regularization strength of the logistic regression.
    cv : int or "auto", default "auto"
        Folds of the internal stratified cross-validation (reduced to the size of the smaller
        class when that is smaller). Used for the model choice, ``cv_scores_``, the
        out-of-fold permutation importances and the calibration. ``"auto"`` is 5 folds below
        20,000 rows and one stratified 80/20 validation split from there on, where the
        validation split holds 4,000 customers or more and five folds would fit each family
        five times.
    calibration : {"auto", "sigmoid", "isotonic", "none"}, default "auto"
        ``"auto"`` keeps the logistic regression's own probabilities (calibrated in the large:
        their mean matches the churn rate) and calibrates gradient boosting with Platt
        scaling; ``"sigmoid"`` or ``"isotonic"`` calibrate whichever model is chosen;
        ``"none"`` never calibrates.
        The calibrator (Platt's sigmoid or isotonic regression) is fitted on the out-of-fold
        scores of the internal cross-validation and applied to the model fitted on all data,
        as ``CalibratedClassifierCV(ensemble=False)`` does but without refitting: a monotone
        map that leaves the ranking (ROC AUC) unchanged.
    max_categories : int, default 30
        Most one-hot columns per categorical feature for the logistic regression; rarer
        categories are grouped (and unseen ones at predict time go to that group, or are all
        zeros when no group was needed).
    n_repeats : int, default 2
        Permutations per feature and fold for ``feature_importances_`` (0 to 1,000); 0 skips
        importances.
    random_state : int, RandomState or None, default 0
        Seed of the fold shuffling, the permutations and gradient boosting.
    pos_label : label, optional
        The label of ``y`` that means churned. Needed unless the labels say it: 0/1 or
        booleans (1/True = churned), one label spelled "churned"/"churn" (any case, e.g.
        "retained"/"churned"), or a yes/no pair ("Yes" = churned, taken only when ``y`` is
        unnamed or its name contains "churn", as Telco's ``churn`` column). Any other pair
        ("stayed"/"left", "active"/"lapsed", 1/2) raises a ParameterError listing the labels
        instead of guessing (taking the larger label would silently score retention).
    progress : bool, tqdm-compatible class or callable, optional
        Report the fit's steps (the cross-validation of each candidate family, the
        importances, the final fit): ``True`` for a tqdm bar (or lines on stderr without
        tqdm), a class such as ``tqdm.tqdm``, or a callable ``progress(done, total, desc)``.
        Silent by default.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The labels, sorted (scikit-learn's layout); the columns of ``predict_proba`` follow it.
    pos_label_ : label
        The label that means churned (``pos_label``, or the one read from the labels).
        :meth:`churn_probability` is the ``predict_proba`` column of this label, whether it
        is ``classes_[1]`` or ``classes_[0]``.
    chosen_model_ : str
        ``"logistic"`` or ``"gradient_boosting"``.
    cv_scores_ : DataFrame
        Internal cross-validated ROC AUC: one row per candidate model, columns ``mean``,
        ``std`` and one per fold.
    feature_importances_ : Series
        Permutation importance of each input column: the mean drop in ROC AUC when the column
        is shuffled, measured on the held-out fold of each internal CV split with the model
        fitted on the other folds (so it reflects generalisation, not training fit), averaged
        over folds and repeats. One value per input column, whatever its encoding.
    estimator_ : estimator
        The fitted pipeline (encoder + model), wrapped in a
        :class:`~customer_models.churn.CalibratedModel` when calibrated.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        Input column names (only when fitted on a DataFrame with string column names).

    Notes
    -----
    Numeric columns are imputed with their median (plus a missing-indicator column for those
    with missing values in training); for the logistic regression each numeric column enters
    twice, standardized and as a standardized signed log ``asinh(x)``, so that skewed amounts
    and durations (tenure, spend, recency) get a concave effect without tuning. Gradient
    boosting gets the raw numbers (it handles missing values) and ordinal-encoded categories
    declared as categorical.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from customer_models.churn import ChurnClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"tenure": rng.integers(1, 72, 300).astype(float),
    ...                   "plan": rng.choice(["monthly", "yearly"], 300)})
    >>> risk = 1.5 - X["tenure"] / 24 + (X["plan"] == "monthly")
    >>> y = (rng.random(300) < 1 / (1 + np.exp(-risk))).astype(int)
    >>> clf = ChurnClassifier(estimator="logistic").fit(X, y)
    >>> clf.chosen_model_
    'logistic'
    >>> clf.predict_proba(X.head(2)).shape
    (2, 2)
    >>> bool(clf.evaluate(X, y).roc_auc > 0.7)
    True
    """

    # The dataclass __init__ only stores the parameters (fit checks them in _check_params), as
    # scikit-learn's get_params/clone expect; repr and equality stay BaseEstimator's.
    estimator: Literal["auto", "logistic", "gradient_boosting"] = "auto"
    _: KW_ONLY
    C: float = 1.0
    cv: int | Literal["auto"] = "auto"
    calibration: Literal["auto", "sigmoid", "isotonic", "none"] = "auto"
    max_categories: int = 30
    n_repeats: int = 2
    random_state: int | np.integer | np.random.RandomState | None = 0
    pos_label: Hashable | None = None
    progress: ProgressLike = None

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.classifier_tags.multi_class = False
        return tags

    # ------------------------------------------------------------------ input handling
    def _check_params(self) -> None:
        check_choice(self.estimator, "estimator", ["auto", *_ESTIMATORS])
        check_choice(self.calibration, "calibration", ["auto", "sigmoid", "isotonic", "none"])
        if not (isinstance(self.cv, str) and self.cv == "auto"):
            check_number(self.cv, "cv", low=2, integer=True)
        check_number(self.C, "C", low=0.0, low_inclusive=False)
        check_number(self.max_categories, "max_categories", low=2, integer=True)
        check_number(self.n_repeats, "n_repeats", low=0, high=1_000, integer=True)
        check_random_state(self.random_state, generator=False)
        check_progress(self.progress)

    def _frame(self, X: Any, *, reset: bool) -> pd.DataFrame:
        """X as a DataFrame; arrays and lists go through sklearn's check_array first."""
        if not isinstance(X, pd.DataFrame):
            X = sklearn_input(check_array, X, dtype=None, ensure_all_finite="allow-nan")
        sklearn_input(validate_data, self, X, reset=reset, skip_check_array=True)
        if isinstance(X, pd.DataFrame):
            if X.shape[0] == 0:
                raise DataValidationError(
                    "X is empty: at least one row is needed.", rule="not empty", n_rows=0
                )
            return X
        return pd.DataFrame(X)

    def _prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Give scikit-learn plain columns: floats for numbers, objects with NaN for categories.

        Numeric columns stored as objects or nullable extension types become float64 (pd.NA
        becomes NaN); infinities are rejected. Categorical columns of extension types
        (``string``, nullable ``boolean``) become objects with NaN for missing values, which
        the encoders understand.
        """
        converted: dict[int, Any] = {}
        for position in self.numeric_columns_:
            column = frame.iloc[:, position]
            name = str(frame.columns[position])
            plain = isinstance(column.dtype, np.dtype) and column.dtype.kind in "iuf"
            if not plain:
                try:
                    numbers = pd.to_numeric(column, errors="raise")
                    values = np.asarray(
                        numbers.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64
                    )
                except (ValueError, TypeError) as err:
                    raise DataValidationError(
                        f"X column {name!r} was numeric when the classifier was fitted but "
                        f"now holds non-numeric values ({err}).",
                        column=name,
                        rule=f"{name} must be numeric",
                        n_rows=len(column),
                    ) from err
                converted[position] = values
            else:
                values = column.to_numpy(dtype=np.float64)
            check_rule(
                np.isinf(values),
                frame.index,
                rule=f"{name} must not be infinite (missing values are fine: they are imputed)",
                column=name,
                what="X",
            )
        for position in self.categorical_columns_:
            column = frame.iloc[:, position]
            if isinstance(column.dtype, (np.dtype, pd.CategoricalDtype)):
                continue
            missing = column.isna().to_numpy()
            objects = column.to_numpy(dtype=object, na_value=np.nan)
            objects[missing] = np.nan
            converted[position] = objects
        if not converted:
            return frame
        frame = frame.copy(deep=False)
        for position, values in converted.items():
            frame.isetitem(position, values)
        return frame

    def _feature_names(self) -> list[str]:
        if hasattr(self, "feature_names_in_"):
            return [str(n) for n in self.feature_names_in_]
        return [f"x{i}" for i in range(self.n_features_in_)]

    # ------------------------------------------------------------------ fitting
    def _candidate(self, name: str) -> Pipeline:
        num, cat = list(self.numeric_columns_), list(self.categorical_columns_)
        if name == "logistic":
            return logistic_pipeline(num, cat, float(self.C), int(self.max_categories))
        return boosting_pipeline(num, cat, self.random_state)

    def fit(self, X: Any, y: ArrayLike) -> ChurnClassifier:
        """Choose, fit and calibrate the model.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            Customer features; numeric and categorical columns may be mixed; missing values
            are imputed.
        y : array-like of shape (n_customers,)
            Binary churn labels: 0/1, booleans, or two strings with ``pos_label`` naming the
            churned one (not needed for "retained"/"churned" or a "churn" column of
            "No"/"Yes"; see ``pos_label``).

        Returns
        -------
        ChurnClassifier
            The fitted classifier.
        """
        self._check_params()
        frame = self._frame(X, reset=True)
        y_in = y
        y = binary_labels(y, type(self).__name__)
        self.classes_ = np.unique(y)
        self.pos_label_ = resolve_pos_label(
            self.classes_, self.pos_label, name=getattr(y_in, "name", None)
        )
        target = (y == self.pos_label_).astype(np.int64)
        if len(target) != len(frame):
            raise DataValidationError(
                f"X has {len(frame)} rows but y has {len(target)}.",
                rule="X and y have the same length",
                n_rows=abs(len(frame) - len(target)),
            )
        categorical = [is_categorical(frame.iloc[:, i]) for i in range(frame.shape[1])]
        categorical = [
            is_cat and not numeric_object(frame.iloc[:, i]) for i, is_cat in enumerate(categorical)
        ]
        self.categorical_columns_ = [i for i, c in enumerate(categorical) if c]
        self.numeric_columns_ = [i for i, c in enumerate(categorical) if not c]
        frame = self._prepare(frame)

        smaller = int(np.bincount(target, minlength=2).min())
        splitter = self._splitter(len(target), smaller)
        candidates: list[str] = list(_ESTIMATORS) if self.estimator == "auto" else [self.estimator]
        steps = len(candidates) + (1 if self.n_repeats else 0) + 1
        with Progress(self.progress, steps, "ChurnClassifier.fit") as progress:
            self._fit_steps(frame, target, splitter, candidates, progress)
        return self

    def _fit_steps(
        self,
        frame: pd.DataFrame,
        target: np.ndarray,
        splitter: Any,
        candidates: list[str],
        progress: Progress,
    ) -> None:
        """Cross-validate the candidates, then importances, final fit and calibration."""
        results: dict[str, dict[str, Any]] = {}
        for name in candidates:
            results[name] = cross_validate(
                self._candidate(name),
                frame,
                target,
                cv=splitter,
                scoring="roc_auc",
                return_estimator=True,
                return_indices=True,
                error_score="raise",
            )
            progress.advance()
        scores = np.vstack([results[name]["test_score"] for name in candidates])
        self.cv_scores_ = pd.DataFrame(
            scores,
            index=pd.Index(candidates, name="model"),
            columns=[f"fold_{k + 1}" for k in range(scores.shape[1])],
        )
        self.cv_scores_.insert(0, "std", scores.std(axis=1))
        self.cv_scores_.insert(0, "mean", scores.mean(axis=1))
        self.chosen_model_ = candidates[int(np.argmax(scores.mean(axis=1)))]

        self.feature_importances_ = self._importances(frame, target, results[self.chosen_model_])
        if self.n_repeats:
            progress.advance()

        final = self._candidate(self.chosen_model_).fit(frame, target)
        progress.advance()
        method = self.calibration
        if method == "auto":
            method = "none" if self.chosen_model_ == "logistic" else "sigmoid"
        if method == "none":
            self.estimator_ = final
        else:
            held_out, scores_out = out_of_fold_scores(results[self.chosen_model_], frame)
            calibrator = fit_calibrator(method, scores_out, target[held_out])
            self.estimator_ = CalibratedModel(final, calibrator, method)

    def _splitter(self, n_rows: int, smaller: int) -> Any:
        """Return the internal split: k stratified folds, or one 80/20 split of a large table."""
        if isinstance(self.cv, str) and n_rows >= HOLDOUT_MIN_ROWS:
            return StratifiedShuffleSplit(1, test_size=0.2, random_state=self.random_state)
        n_splits = min(5 if isinstance(self.cv, str) else int(self.cv), smaller)
        if n_splits < 2:
            raise DataValidationError(
                f"the smaller class has {smaller} customer(s); internal cross-validation "
                "needs at least 2 churned and 2 retained customers.",
                column="y",
                rule="each class has at least 2 customers",
                n_rows=n_rows,
            )
        return StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)

    def _importances(
        self, frame: pd.DataFrame, target: np.ndarray, result: dict[str, Any]
    ) -> pd.Series:
        names = self._feature_names()
        if self.n_repeats == 0:
            return pd.Series(np.zeros(len(names)), index=names, name="importance")
        rng = np.random.default_rng(
            self.random_state if isinstance(self.random_state, (int, np.integer)) else None
        )
        drops = fold_importances(result, frame, target, int(self.n_repeats), rng)
        return pd.Series(drops, index=names, name="importance")

    # ------------------------------------------------------------------ prediction
    def _checked_frame(self, X: Any) -> pd.DataFrame:
        check_fitted(self, "estimator_", how="call fit(X, y) first")
        return self._prepare(self._frame(X, reset=False))

    def _churn_column(self) -> int:
        return int(np.flatnonzero(self.classes_ == self.pos_label_)[0])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class of ``classes_``; the ``pos_label_`` column is churn.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            Features with the columns seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_customers, 2)
            Column ``k`` is the probability of ``classes_[k]`` (scikit-learn's layout); rows
            sum to 1.
        """
        frame = self._checked_frame(X)
        proba = np.asarray(self.estimator_.predict_proba(frame))  # [retained, churned]
        return proba if self._churn_column() == 1 else proba[:, ::-1]

    def predict(self, X: Any) -> np.ndarray:
        """Predicted label: ``pos_label_`` (churned) when the churn probability is >= 0.5.

        Parameters
        ----------
        X : DataFrame or array-like
            As in :meth:`predict_proba`.

        Returns
        -------
        ndarray of shape (n_customers,)
            Labels from ``classes_``, with their dtype (never a Series, even for a DataFrame
            ``X``: use :meth:`churn_probability` for a result on the customer index).
        """
        churn = self.predict_proba(X)[:, self._churn_column()] >= 0.5
        other = self.classes_[1 - self._churn_column()]
        return np.where(churn, self.classes_[self._churn_column()], other).astype(
            self.classes_.dtype
        )

    def churn_probability(self, X: Any) -> pd.Series:
        """Churn probability as a Series named ``"churn_probability"`` on the index of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like
            Customers to score (e.g. from :func:`~customer_models.churn_features`).

        Returns
        -------
        Series
            The ``pos_label_`` column of :meth:`predict_proba`, on the index of a DataFrame
            ``X`` (a RangeIndex for an array).
        """
        index = X.index if isinstance(X, (pd.DataFrame, pd.Series)) else None
        churn = self.predict_proba(X)[:, self._churn_column()]
        return pd.Series(churn, index=index, name="churn_probability")

    def evaluate(self, X: Any, y: ArrayLike, *, n_bins: int = 10) -> ChurnEvaluation:
        """Score the classifier on ``(X, y)``: ROC AUC, PR AUC, Brier, lift, calibration.

        Parameters
        ----------
        X : DataFrame or array-like
            Features (ideally customers not used in ``fit``).
        y : array-like or Series
            Observed labels, with the same label values as in ``fit``.
        n_bins : int, default 10
            Groups of the lift table and bins of the calibration table.

        Returns
        -------
        ChurnEvaluation
            See :func:`~customer_models.evaluate_churn`.
        """
        probability = self.churn_probability(X)
        if not isinstance(y, pd.Series) or not isinstance(X, pd.DataFrame):
            y = np.asarray(y)
            probability = probability.reset_index(drop=True)
        return evaluate_churn(y, probability, n_bins=n_bins, pos_label=self.pos_label_)
