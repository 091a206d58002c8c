"""RFM scores (:class:`RFMScorer`); the named segments are in ``_rfm_segments``.

Recency in the customer summary is the BTYD quantity (time from first to last purchase). The
marketing "R" of RFM is the *time since the last purchase*, ``T - recency``: the smaller it
is, the higher the R score.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from customer_models._validation import check_fitted, check_non_negative, check_rule
from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.segmentation._base import (
    Table,
    check_column,
    check_int,
    read_table,
)
from customer_models.segmentation._binning import apply_edges, tie_aware_edges

__all__ = ["RFMColumns", "RFMScorer"]

_NEGATIVE_HINT = "Negative values in data cannot be RFM inputs; check how the summary was built."

_FEATURE = {
    "r_score": "time since last purchase (T - recency)",
    "f_score": "frequency",
    "m_score": "monetary_value",
}


@dataclass(eq=False, repr=False)
class RFMColumns:
    """Column parameters shared by the scorer and the segmenter, stated once.

    The estimators are dataclasses too: their ``__init__`` (whose signature scikit-learn's
    ``get_params`` reads) takes these keyword-only fields after their own positional one,
    stores them unchecked (validation happens in ``fit``), and repr and equality stay
    BaseEstimator's.
    """

    _: KW_ONLY
    frequency_col: str | int = "frequency"
    recency_col: str | int = "recency"
    T_col: str | int | None = "T"
    monetary_col: str | int | None = "monetary_value"

    def _check_columns(self) -> None:
        check_column(self.frequency_col, "frequency_col")
        check_column(self.recency_col, "recency_col")
        check_column(self.T_col, "T_col", allow_none=True)
        check_column(self.monetary_col, "monetary_col", allow_none=True)

    def _positions(self) -> dict[str, int]:
        """Positions used for plain arrays: frequency, recency[, T][, monetary_value]."""
        roles = ["frequency", "recency"]
        if self.T_col is not None:
            roles.append("T")
        if self.monetary_col is not None:
            roles.append("monetary")
        return {role: i for i, role in enumerate(roles)}

    def _rfm_values(self, table: Table) -> dict[str, np.ndarray]:
        """Return validated features: time since last purchase (for R), F and M."""
        self._check_columns()
        pos = self._positions()
        frequency = table.numeric(self.frequency_col, position=pos["frequency"])
        recency = table.numeric(self.recency_col, position=pos["recency"])
        for name, values in (("frequency", frequency), ("recency", recency)):
            check_non_negative(values, table.ids, column=name, what=table.what, hint=_NEGATIVE_HINT)
        if self.T_col is not None:
            T = table.numeric(self.T_col, position=pos["T"])
            check_rule(
                recency > T,
                table.ids,
                rule="recency must be <= T",
                column="recency",
                what=table.what,
                hint="recency is time from first to last purchase (BTYD); if your column "
                "already holds the time since the last purchase, pass T_col=None.",
            )
            since_last = T - recency
        else:
            since_last = recency
        out = {"r_score": since_last, "f_score": frequency}
        if self.monetary_col is not None:
            # Net spend may be negative (refunds netted with rfm_summary(refunds=
            # "net_customer")): it ranks lowest, like any other value.
            out["m_score"] = table.numeric(self.monetary_col, position=pos["monetary"])
        return out


def _oriented(name: str, values: np.ndarray) -> np.ndarray:
    """Values oriented so that higher earns a higher score (R: less time since last)."""
    return -values if name == "r_score" else values


def _flip_edges(name: str, edges: np.ndarray) -> np.ndarray:
    """Edges between the feature's own units and the oriented scale (its own inverse).

    R is scored on minus the time since the last purchase, so its ascending edges are negated
    and reversed; the other scores' edges are the same on both scales.
    """
    return -edges[::-1] if name == "r_score" else edges


@dataclass(eq=False, repr=False)
class RFMScorer(RFMColumns, TransformerMixin, BaseEstimator):
    """Score recency, frequency and monetary value into ``1..n_bins`` with tie-safe edges.

    ``fit`` learns bin edges from the customer summary; ``transform`` scores any customers
    (including new ones) on that same scale. Output columns, in order: ``r_score``,
    ``f_score``, ``m_score`` (omitted when ``monetary_col=None``) and ``rfm_score``.

    Parameters
    ----------
    n_bins : int, default=5
        Number of scores per feature (2..9 with ``combined="code"``).
    frequency_col, recency_col : str or int, default "frequency", "recency"
    T_col, monetary_col : str, int or None, default "T", "monetary_value"
        Columns of the summary, by name or by position. ``recency`` is BTYD recency (first to
        last purchase); R is scored on ``T - recency``, the time since the last purchase.
        With ``T_col=None`` the recency column is taken to *already be* the time since the
        last purchase. With ``monetary_col=None`` there is no M score.
        For plain arrays, named columns are read by position in the order
        ``frequency, recency, T, monetary_value`` (skipping the ones set to None).
    combined : {"code", "sum"}, default="code"
        ``rfm_score`` as the digits of the scores read as an integer (r=3, f=4, m=5 gives
        345) or as their sum (12).

    Attributes
    ----------
    bin_edges_ : dict of str to ndarray
        Thresholds per score, in the feature's own units and ascending. For ``r_score`` they
        are times since the last purchase and the score *decreases* across them.
    n_bins_ : dict of str to int
        Bins per score; always ``n_bins`` (every bin is filled, see Notes).
    n_features_in_ : int
        Number of input columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Input column names (DataFrame input with string column names only).

    Notes
    -----
    Tie and edge policy. Tied values always get the same score: a threshold never falls
    between equal values. Bins are filled greedily from score 1 upwards, each aiming at an
    equal share of the customers not yet placed, and each ending at the distinct value whose
    cumulative count is closest to that target while leaving one distinct value per
    remaining bin. A heavy tie (60% of customers with frequency 0) becomes bin 1 on its own
    and the other customers share scores 2..n_bins equally, so no score is empty and none is
    arbitrary. Without ties the bins are those of ``pd.qcut`` (sizes differ by at most one).
    Thresholds are midpoints between neighbouring bins, so values unseen in ``fit`` land in
    the nearest bin, and values beyond the fitted range get the end scores. A feature with
    fewer distinct values than ``n_bins`` is an error (ask for fewer bins).

    Examples
    --------
    >>> import customer_models as cm
    >>> summary = cm.load_cdnow_summary()
    >>> scores = RFMScorer().set_output(transform="pandas").fit_transform(summary)
    >>> list(scores.columns)
    ['r_score', 'f_score', 'm_score', 'rfm_score']
    >>> sorted(scores["f_score"].unique().tolist())
    [1, 2, 3, 4, 5]
    >>> int((summary["frequency"] == 0).sum()) == int((scores["f_score"] == 1).sum())
    True
    """

    n_bins: int = 5
    _: KW_ONLY
    combined: Literal["code", "sum"] = "code"

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _check_params(self) -> int:
        n_bins = check_int(self.n_bins, "n_bins", minimum=2)
        if self.combined not in ("code", "sum"):
            raise ParameterError(f"combined must be 'code' or 'sum', got {self.combined!r}.")
        if self.combined == "code" and n_bins > 9:
            raise ParameterError(
                f"combined='code' writes one digit per score, so n_bins must be <= 9 "
                f"(got {n_bins}); use combined='sum' for more bins."
            )
        return n_bins

    def fit(self, X: Any, y: Any = None) -> RFMScorer:
        """Learn the score thresholds from the customer summary ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_columns)
            The customer summary.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        n_bins = self._check_params()
        table = read_table(self, X, reset=True, what="summary")
        if table.n_rows < n_bins:
            raise DataValidationError(
                f"RFMScorer needs at least n_bins={n_bins} customers; got {table.n_rows} "
                "sample(s).",
                rule="n_samples >= n_bins",
                n_rows=table.n_rows,
            )
        edges: dict[str, np.ndarray] = {}
        for name, values in self._rfm_values(table).items():
            n_distinct = np.unique(values).size
            if n_distinct < n_bins:
                raise DataValidationError(
                    f"{name[0].upper()} score: the {_FEATURE[name]} has only {n_distinct} "
                    f"distinct value(s), fewer than n_bins={n_bins}, so some scores would be "
                    f"empty. Use n_bins <= {n_distinct}.",
                    column=_FEATURE[name],
                    rule="distinct values >= n_bins",
                )
            edges[name] = _flip_edges(name, tie_aware_edges(_oriented(name, values), n_bins))
        self.bin_edges_ = edges
        self.n_bins_ = dict.fromkeys(edges, n_bins)
        return self

    def _scores(self, table: Table) -> np.ndarray:
        """Scores of a validated table (``transform`` without the input checks)."""
        columns = [
            apply_edges(_oriented(name, values), _flip_edges(name, self.bin_edges_[name]))
            for name, values in self._rfm_values(table).items()
        ]
        scores = np.column_stack(columns)
        if self.combined == "sum":
            combined = scores.sum(axis=1)
        else:
            weights = 10 ** np.arange(scores.shape[1] - 1, -1, -1, dtype=np.int64)
            combined = scores @ weights
        return np.column_stack([scores, combined]).astype(np.int64)

    def transform(self, X: Any) -> np.ndarray:
        """Score customers on the scale learned in ``fit``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_columns)
            Customer summary with the columns used in ``fit``.

        Returns
        -------
        ndarray of int64, shape (n_customers, n_scores + 1)
            ``r_score, f_score[, m_score], rfm_score`` (a DataFrame on the summary's index
            after ``set_output(transform="pandas")``).
        """
        check_fitted(self, "bin_edges_")
        table = read_table(self, X, reset=False, what="summary")
        return self._scores(table)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output column names: ``r_score, f_score[, m_score], rfm_score``."""
        check_fitted(self, "bin_edges_")
        return np.asarray([*self.bin_edges_, "rfm_score"], dtype=object)
