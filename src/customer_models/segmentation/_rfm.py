"""RFM scores (:class:`RFMScorer`) and named RFM segments (:class:`RFMSegmenter`).

Recency in the customer summary is the BTYD quantity (time from first to last purchase). The
marketing "R" of RFM is the *time since the last purchase*, ``T - recency``: the smaller it
is, the higher the R score.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin

from customer_models._validation import check_rule
from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.segmentation._base import (
    SegmentAssignMixin,
    Table,
    check_column,
    check_fitted,
    check_int,
    read_table,
)
from customer_models.segmentation._binning import apply_edges, tie_aware_edges

__all__ = ["DEFAULT_RFM_SEGMENTS", "RFMScorer", "RFMSegmenter"]

#: The default segment map on the 5 x 5 grid of the R score and the FM score
#: (``fm = round_half_up((f_score + m_score) / 2)``; ``fm = f_score`` without monetary value).
#: Ranges are inclusive. The eleven rectangles partition the grid: every (r, fm) cell belongs to
#: exactly one segment.
DEFAULT_RFM_SEGMENTS: dict[str, dict[str, tuple[int, int]]] = {
    "Champions": {"r": (5, 5), "fm": (4, 5)},
    "Loyal Customers": {"r": (3, 4), "fm": (4, 5)},
    "Potential Loyalists": {"r": (4, 5), "fm": (2, 3)},
    "New Customers": {"r": (5, 5), "fm": (1, 1)},
    "Promising": {"r": (4, 4), "fm": (1, 1)},
    "Need Attention": {"r": (3, 3), "fm": (3, 3)},
    "About to Sleep": {"r": (3, 3), "fm": (1, 2)},
    "At Risk": {"r": (1, 2), "fm": (3, 4)},
    "Can't Lose Them": {"r": (1, 2), "fm": (5, 5)},
    "Hibernating": {"r": (2, 2), "fm": (1, 2)},
    "Lost": {"r": (1, 1), "fm": (1, 2)},
}

_NEGATIVE_HINT = "Negative values in data cannot be RFM inputs; check how the summary was built."


class _RFMColumns:
    """Column parameters shared by the scorer and the segmenter."""

    frequency_col: str | int
    recency_col: str | int
    T_col: str | int | None
    monetary_col: str | int | None

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
            check_rule(
                values < 0,
                table.ids,
                rule=f"{name} must be >= 0",
                column=name,
                what=table.what,
                hint=_NEGATIVE_HINT,
            )
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


class RFMScorer(_RFMColumns, TransformerMixin, BaseEstimator):
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

    def __init__(
        self,
        n_bins: int = 5,
        *,
        frequency_col: str | int = "frequency",
        recency_col: str | int = "recency",
        T_col: str | int | None = "T",
        monetary_col: str | int | None = "monetary_value",
        combined: Literal["code", "sum"] = "code",
    ) -> None:
        self.n_bins = n_bins
        self.frequency_col = frequency_col
        self.recency_col = recency_col
        self.T_col = T_col
        self.monetary_col = monetary_col
        self.combined = combined

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
            oriented = tie_aware_edges(_oriented(name, values), n_bins)
            edges[name] = -oriented[::-1] if name == "r_score" else oriented
        self.bin_edges_ = edges
        self.n_bins_ = dict.fromkeys(edges, n_bins)
        return self

    def _scores(self, table: Table) -> np.ndarray:
        columns = []
        for name, values in self._rfm_values(table).items():
            edges = self.bin_edges_[name]
            oriented_edges = -edges[::-1] if name == "r_score" else edges
            columns.append(apply_edges(_oriented(name, values), oriented_edges))
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


_FEATURE = {
    "r_score": "time since last purchase (T - recency)",
    "f_score": "frequency",
    "m_score": "monetary_value",
}

_DIMS = ("r", "f", "m", "fm")


def _as_range(value: Any, name: str, dim: str, n_bins: int) -> tuple[int, int]:
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        lo = hi = int(value)
    elif isinstance(value, tuple | list) and len(value) == 2:
        lo, hi = (int(v) for v in value)
    else:
        raise ParameterError(
            f"segment {name!r}: {dim} must be a score or an inclusive (low, high) pair, "
            f"got {value!r}."
        )
    if not 1 <= lo <= hi <= n_bins:
        raise ParameterError(
            f"segment {name!r}: {dim} range {(lo, hi)} must satisfy 1 <= low <= high <= "
            f"n_bins={n_bins}."
        )
    return lo, hi


class RFMSegmenter(_RFMColumns, SegmentAssignMixin, ClusterMixin, BaseEstimator):
    r"""Name every customer's RFM segment from a segment map given as data.

    The segmenter scores the summary with an internal :class:`RFMScorer` (same column
    parameters) and looks each customer's scores up in the map. ``predict`` returns integer
    codes (positions in ``segments_``); :meth:`assign` returns the names.

    Parameters
    ----------
    segments : dict, optional
        Ordered mapping ``segment name -> {dimension: range}``, with dimensions ``"r"``,
        ``"f"``, ``"m"`` and ``"fm"`` (``round_half_up((f + m) / 2)``, or ``f`` without
        monetary value) and ranges inclusive ``(low, high)`` pairs or single scores; a
        dimension left out is unconstrained. ``fit`` checks that the segments cover every
        cell of the score grid exactly once and lists the uncovered and overlapping cells
        otherwise. Default: :data:`DEFAULT_RFM_SEGMENTS` (requires ``n_bins=5``).
    n_bins, frequency_col, recency_col, T_col, monetary_col
        As in :class:`RFMScorer`.

    Attributes
    ----------
    segments_ : list of str
        Segment names; ``predict`` codes index this list.
    segment_map_ : dict
        The validated map with explicit ``(low, high)`` ranges.
    scorer_ : RFMScorer
        The fitted scorer.
    labels_ : ndarray of int
        Segment codes of the training customers.
    n_features_in_, feature_names_in_
        As in :class:`RFMScorer`.

    Notes
    -----
    The default map, on the R score (rows) and FM score (columns)::

        r\fm   1                2                 3                 4                 5
        5      New Customers    Potential Loyal.  Potential Loyal.  Champions         Champions
        4      Promising        Potential Loyal.  Potential Loyal.  Loyal Customers   Loyal C.
        3      About to Sleep   About to Sleep    Need Attention    Loyal Customers   Loyal C.
        2      Hibernating      Hibernating       At Risk           At Risk           Can't Lose
        1      Lost             Lost              At Risk           At Risk           Can't Lose

    Examples
    --------
    >>> import customer_models as cm
    >>> summary = cm.load_cdnow_summary()
    >>> segments = RFMSegmenter().fit_assign(summary)
    >>> len(segments) == len(summary) and bool(segments.notna().all())
    True
    >>> segments.cat.categories[0]
    'Champions'
    >>> RFMSegmenter(segments={"Recent": {"r": (4, 5)}, "Old": {"r": (1, 2)}}).fit(summary)
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: segment map does not cover 5 score cell(s): ...
    """

    def __init__(
        self,
        segments: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        n_bins: int = 5,
        frequency_col: str | int = "frequency",
        recency_col: str | int = "recency",
        T_col: str | int | None = "T",
        monetary_col: str | int | None = "monetary_value",
    ) -> None:
        self.segments = segments
        self.n_bins = n_bins
        self.frequency_col = frequency_col
        self.recency_col = recency_col
        self.T_col = T_col
        self.monetary_col = monetary_col

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    def _compile(self, n_bins: int) -> tuple[dict[str, dict[str, tuple[int, int]]], np.ndarray]:
        """Validate the map; return it normalised and a lookup table over (r, f, m) cells."""
        segments = DEFAULT_RFM_SEGMENTS if self.segments is None else self.segments
        if self.segments is None and n_bins != 5:
            raise ParameterError(
                f"the default segment map is defined on scores 1..5; use n_bins=5 or pass "
                f"your own segments map for n_bins={n_bins}."
            )
        if not isinstance(segments, Mapping) or len(segments) == 0:
            raise ParameterError(
                "segments must be a non-empty mapping of segment name -> {dimension: range}."
            )
        has_m = self.monetary_col is not None
        normalised: dict[str, dict[str, tuple[int, int]]] = {}
        for name, spec in segments.items():
            if not isinstance(spec, Mapping):
                raise ParameterError(f"segment {name!r} must map dimensions to ranges.")
            unknown = [d for d in spec if d not in _DIMS]
            if unknown or (not has_m and "m" in spec):
                allowed = list(_DIMS) if has_m else ["r", "f", "fm"]
                raise ParameterError(
                    f"segment {name!r} uses unknown dimension(s) {unknown or ['m']}; "
                    f"allowed: {allowed}."
                )
            normalised[str(name)] = {d: _as_range(v, str(name), d, n_bins) for d, v in spec.items()}
        used = {d for spec in normalised.values() for d in spec}
        grid_dims = ("r", "fm") if used <= {"r", "fm"} else ("r", "f", "m") if has_m else ("r", "f")
        r, f, m = (
            np.meshgrid(*(np.arange(1, n_bins + 1),) * 3, indexing="ij")
            if has_m
            else (*np.meshgrid(*(np.arange(1, n_bins + 1),) * 2, indexing="ij"), None)
        )
        cells = {"r": r, "f": f}
        if m is not None:
            cells["m"] = m
            cells["fm"] = (f + m + 1) // 2
        else:
            cells["fm"] = f
        hits = np.zeros(r.shape, dtype=np.int64)
        lookup = np.full(r.shape, -1, dtype=np.int64)
        owners: list[np.ndarray] = []
        for code, spec in enumerate(normalised.values()):
            inside = np.ones(r.shape, dtype=bool)
            for d, (lo, hi) in spec.items():
                inside &= (cells[d] >= lo) & (cells[d] <= hi)
            hits += inside
            lookup[inside] = code
            owners.append(inside)
        self._raise_on_bad_cells(hits, owners, list(normalised), cells, grid_dims)
        return normalised, lookup

    @staticmethod
    def _raise_on_bad_cells(
        hits: np.ndarray,
        owners: list[np.ndarray],
        names: list[str],
        cells: dict[str, np.ndarray],
        grid_dims: tuple[str, ...],
    ) -> None:
        def describe(mask: np.ndarray) -> list[str]:
            seen: dict[str, list[int]] = {}
            for flat in np.flatnonzero(mask.ravel()):
                key = ", ".join(f"{d}={int(cells[d].ravel()[flat])}" for d in grid_dims)
                seen.setdefault(key, [int(flat)])
            return list(seen)

        uncovered = describe(hits == 0)
        if uncovered:
            raise ParameterError(
                f"segment map does not cover {len(uncovered)} score cell(s): "
                f"{'; '.join(uncovered[:12])}{' ...' if len(uncovered) > 12 else ''}. "
                "Every cell must belong to exactly one segment; add a segment (or widen a "
                "range) for them."
            )
        overlapping = describe(hits > 1)
        if overlapping:
            details = []
            for key in overlapping[:12]:
                flat = next(
                    i
                    for i in np.flatnonzero((hits > 1).ravel())
                    if ", ".join(f"{d}={int(cells[d].ravel()[i])}" for d in grid_dims) == key
                )
                who = [n for n, own in zip(names, owners, strict=True) if own.ravel()[flat]]
                details.append(f"{key} ({', '.join(who)})")
            raise ParameterError(
                f"segment map overlaps on {len(overlapping)} score cell(s): {'; '.join(details)}"
                f"{' ...' if len(overlapping) > 12 else ''}. Every cell must belong to exactly "
                "one segment; narrow the ranges so the segments do not share cells."
            )

    def fit(self, X: Any, y: Any = None) -> RFMSegmenter:
        """Validate the segment map, learn the score edges and segment ``X``.

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
        n_bins = check_int(self.n_bins, "n_bins", minimum=2)
        self.segment_map_, self._lookup = self._compile(n_bins)
        read_table(self, X, reset=True, what="summary")
        self.scorer_ = RFMScorer(
            n_bins,
            frequency_col=self.frequency_col,
            recency_col=self.recency_col,
            T_col=self.T_col,
            monetary_col=self.monetary_col,
            combined="sum",
        ).fit(X)
        self.segments_ = list(self.segment_map_)
        self.labels_ = self._codes(X)
        return self

    def _codes(self, X: Any) -> np.ndarray:
        scores = self.scorer_.transform(X)[:, :-1] - 1
        return self._lookup[tuple(scores.T)]

    def predict(self, X: Any) -> np.ndarray:
        """Segment codes (positions in ``segments_``) of the customers in ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_columns)
            Customer summary with the columns used in ``fit``.

        Returns
        -------
        ndarray of int64
        """
        check_fitted(self, "scorer_")
        read_table(self, X, reset=False, what="summary")
        return self._codes(X)
