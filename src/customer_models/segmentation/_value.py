"""Value tiers: ABC / Pareto by cumulative value share, or tie-safe quantile tiers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from customer_models._validation import check_choice, check_non_negative
from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.segmentation._base import Table, check_column, check_names
from customer_models.segmentation._binning import tie_aware_edges
from customer_models.segmentation._segmenter import Segmenter

__all__ = ["ValueSegmenter"]


class ValueSegmenter(Segmenter):
    """Tier customers by a value column (CLV, revenue, margin), best tier first.

    Parameters
    ----------
    method : {"abc", "quantile"}, default="abc"
        ``"abc"``: sort customers by value, highest first; tier A is the customers who make
        the first ``thresholds[0]`` of the total value (80%), B those up to
        ``thresholds[1]`` (95%), C the rest. ``"quantile"``: equal-count tiers with the
        tie-safe policy of :class:`RFMScorer` (ties share a tier, no tier is empty).
    value_col : str or int, optional
        The value column, by name or position. Default: ``X`` must have exactly one column.
    thresholds : sequence of float, default=(0.8, 0.95)
        Increasing cumulative value shares in (0, 1) closing each ABC tier but the last.
    labels : sequence of str, optional
        Tier names, best first. Default ``A, B, C, ...`` for ``"abc"``, ``high, medium,
        low`` for ``"quantile"`` (give more labels for more quantile tiers).

    Attributes
    ----------
    segments_ : list of str
        Tier names, best first; ``predict`` codes index this list.
    value_edges_ : ndarray
        Minimum value of each tier but the last, best tier first, learned in ``fit``: a
        customer is in the first tier whose edge its value reaches, so new customers are
        tiered on the training scale.
    value_share_ : dict of str to float
        Share of total value of each tier in the training data (all 0 when the total value
        is 0, possible with ``method="quantile"`` and negative values).
    labels_ : ndarray of int
        Tier codes of the training customers.
    n_features_in_, feature_names_in_
        Input columns seen in ``fit``.

    Notes
    -----
    ABC edges: with customers sorted by decreasing value ``v_(1) >= v_(2) >= ...`` and
    cumulative shares ``s_i``, the edge of a tier with threshold ``t`` is ``v_(i)`` for the
    first ``i`` with ``s_i >= t`` (the customer who crosses the threshold is included), and
    every customer with that same value joins the tier, so ties never straddle tiers.
    Values must be non-negative for ABC.

    Examples
    --------
    >>> import pandas as pd
    >>> revenue = pd.DataFrame({"revenue": [500, 200, 100, 60, 40, 40, 30, 20, 10, 0]})
    >>> seg = ValueSegmenter("abc", thresholds=(0.7, 0.9)).fit(revenue)
    >>> seg.assign(revenue).tolist()
    ['A', 'A', 'B', 'B', 'B', 'B', 'C', 'C', 'C', 'C']
    >>> seg.value_edges_
    array([200.,  40.])
    """

    def __init__(
        self,
        method: Literal["abc", "quantile"] = "abc",
        *,
        value_col: str | int | None = None,
        thresholds: Sequence[float] = (0.8, 0.95),
        labels: Sequence[str] | None = None,
    ) -> None:
        self.method = method
        self.value_col = value_col
        self.thresholds = thresholds
        self.labels = labels

    def _positive_only(self) -> bool:
        return self.method == "abc"

    def _values(self, table: Table) -> np.ndarray:
        if self.value_col is None:
            if table.n_cols != 1:
                columns = list(table.data.columns) if table.is_frame else table.n_cols  # type: ignore[union-attr]
                raise ParameterError(
                    f"X has {table.n_cols} feature(s) ({columns}); pass value_col= to say which "
                    "column holds the value."
                )
            return table.numeric(0)
        return table.numeric(self.value_col, position=0)

    def _check_params(self) -> None:
        check_choice(self.method, "method", ["abc", "quantile"])
        check_column(self.value_col, "value_col", allow_none=True)
        if self.labels is not None:
            check_names(self.labels, "labels")

    def _abc_thresholds(self) -> np.ndarray:
        """``thresholds`` as increasing floats in (0, 1), or a :class:`ParameterError`."""
        try:
            if isinstance(self.thresholds, (str, bytes)):
                raise TypeError("a string")
            thresholds = np.asarray(self.thresholds)
            if thresholds.dtype.kind not in "iuf":
                raise TypeError("not numbers")
            thresholds = thresholds.astype(np.float64)
        except (TypeError, ValueError):
            thresholds = np.array([np.nan])
        if (
            thresholds.ndim != 1
            or not np.all(np.isfinite(thresholds))
            or thresholds.size == 0
            or np.any(thresholds <= 0)
            or np.any(thresholds >= 1)
            or np.any(np.diff(thresholds) <= 0)
        ):
            raise ParameterError(
                f"thresholds must be increasing shares strictly between 0 and 1, got "
                f"{self.thresholds!r}."
            )
        return thresholds

    def _abc_tiers(
        self, table: Table, values: np.ndarray, name: str
    ) -> tuple[list[str], np.ndarray]:
        """Tier names and value edges by cumulative value share (see Notes)."""
        thresholds = self._abc_thresholds()
        labels = self._labels([chr(ord("A") + i) for i in range(thresholds.size + 1)])
        check_non_negative(
            values,
            table.ids,
            column=name,
            what=table.what,
            hint="Negative values in data have no share of the total; clip them "
            "or use method='quantile'.",
        )
        total = values.sum()
        if total <= 0:
            raise DataValidationError(
                f"{name} sums to 0, so value shares are undefined; ABC tiers need some "
                "positive value.",
                column=name,
                rule="total value > 0",
            )
        ordered = np.sort(values)[::-1]
        share = np.cumsum(ordered) / total
        idx = np.minimum(np.searchsorted(share, thresholds, side="left"), ordered.size - 1)
        return labels, ordered[idx]

    def _quantile_tiers(
        self, table: Table, values: np.ndarray, name: str
    ) -> tuple[list[str], np.ndarray]:
        """Tier names and value edges of equal-count, tie-safe tiers."""
        labels = self._labels(["high", "medium", "low"])
        n_tiers = len(labels)
        n_distinct = np.unique(values).size
        if n_distinct < n_tiers:
            raise DataValidationError(
                f"{name} has only {n_distinct} distinct value(s) in {table.n_rows} "
                f"sample(s), fewer than the {n_tiers} tiers asked for; give fewer labels.",
                column=name,
                rule="distinct values >= number of tiers",
            )
        return labels, tie_aware_edges(values, n_tiers)[::-1]

    def _learn(self, table: Table, checked: None) -> np.ndarray:
        values = self._values(table)
        name = table.label(self.value_col if self.value_col is not None else 0)
        tiers = self._abc_tiers if self.method == "abc" else self._quantile_tiers
        labels, edges = tiers(table, values, name)
        self.value_edges_ = np.asarray(edges, dtype=np.float64)
        self.segments_ = labels
        codes = self._tiers(values)
        total = values.sum()
        shares = np.bincount(codes, weights=values, minlength=len(self.segments_))
        self.value_share_ = {
            label: float(s / total) if total != 0 else 0.0
            for label, s in zip(self.segments_, shares, strict=True)
        }
        return codes

    def _labels(self, default: list[str]) -> list[str]:
        if self.labels is None:
            return default
        labels = [str(label) for label in self.labels]
        if self.method == "abc" and len(labels) != len(default):
            raise ParameterError(
                f"labels must have {len(default)} names (one more than thresholds), got "
                f"{len(labels)}."
            )
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise ParameterError(f"labels must be at least 2 distinct names, got {labels!r}.")
        return labels

    def _tiers(self, values: np.ndarray) -> np.ndarray:
        ascending = self.value_edges_[::-1]
        n = ascending.size
        return (n - np.searchsorted(ascending, values, side="right")).astype(np.int64)

    def _codes(self, table: Table) -> np.ndarray:
        return self._tiers(self._values(table))
