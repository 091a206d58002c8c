"""K-means segments with log/standard scaling, automatic k and value-ordered clusters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Literal, NamedTuple

import numpy as np
from sklearn.utils import check_random_state

from customer_models._validation import check_bool, check_rule
from customer_models._validation import check_random_state as check_random_state_of
from customer_models.exceptions import ParameterError
from customer_models.segmentation._base import Table, check_column, check_int, check_names
from customer_models.segmentation._segmenter import Segmenter
from customer_models.segmentation._silhouette import silhouettes

__all__ = ["KMeansSegmenter"]

_NAMES = {
    1: ["All customers"],
    2: ["High value", "Low value"],
    3: ["High value", "Medium value", "Low value"],
    4: ["Top value", "High value", "Medium value", "Low value"],
    5: ["Top value", "High value", "Medium value", "Low value", "Bottom value"],
}


class _Plan(NamedTuple):
    """The checked parameters of a fit: ``k_range`` is None for a fixed ``n_clusters``."""

    k_range: tuple[int, int] | None
    sample_size: int
    silhouette_size: int
    n_init: int


@dataclass(eq=False, repr=False)
class KMeansSegmenter(Segmenter):
    """Behavioural clusters: ``log1p`` + standard scaling, k-means, clusters ranked by value.

    Parameters
    ----------
    n_clusters : int or "auto", default="auto"
        Number of clusters, or ``"auto"``: try every k in ``k_range`` on a seeded random
        sample of ``sample_size`` customers and keep the k with the highest silhouette.
    columns : sequence of str or int, optional
        Feature columns (names or positions). Default: every column of ``X`` (all must be
        numeric).
    value_col : str or int, optional
        Column whose cluster mean ranks the clusters (the first segment has the highest
        mean). It must be one of ``columns``. Default: the first feature.
    k_range : (int, int), default=(2, 8)
        Inclusive range of k tried by ``"auto"``.
    sample_size : int, default=5_000
        Customers sampled (seeded) to fit the candidate k-means and the k-means++ start; the
        final clusters are refined by Lloyd iterations on every customer, starting from the
        chosen candidate's centres. The cost of choosing k depends on this size and
        ``silhouette_size``, not on the number of customers.
    silhouette_size : int, default=5_000
        Customers of that sample (seeded) on which the silhouette of each candidate k is
        computed (the silhouette is quadratic in the number of customers; with the
        defaults it is the whole sample).
    log_transform : bool, default=True
        Apply ``log1p`` to the features before scaling (needs non-negative features; skewed
        money and counts cluster much better on the log scale).
    names : sequence of str, optional
        Segment names, highest value first. Default: ``"High value"``, ``"Medium value"``,
        ... for up to 5 clusters, ``"Tier 1"``... beyond.
    n_init : int, default=3
        k-means++ restarts on the sample for each k.
    random_state : int, RandomState or None
        Seed for the sample and k-means.

    Attributes
    ----------
    n_clusters_ : int
        Number of clusters used.
    silhouette_scores_ : dict of int to float
        Silhouette of each k tried (``"auto"`` only; empty otherwise).
    cluster_centers_ : ndarray of shape (n_clusters_, n_features)
        Centres back in the original units (``expm1`` of the log-scale centre, a
        geometric-mean-like typical customer), ordered like ``segments_``.
    features_ : list of str
        The feature columns used.
    segments_ : list of str
        Segment names, highest value first.
    labels_ : ndarray of int
        Segment codes of the training customers.
    kmeans_ : sklearn.cluster.KMeans
        The fitted k-means on the scaled features (its cluster order is the raw one).
    n_features_in_, feature_names_in_
        Input columns seen in ``fit``.

    Examples
    --------
    >>> import customer_models as cm
    >>> summary = cm.load_cdnow_summary()
    >>> seg = KMeansSegmenter(
    ...     3, columns=["frequency", "monetary_value"], value_col="monetary_value",
    ...     random_state=0,
    ... ).fit(summary)
    >>> seg.segments_
    ['High value', 'Medium value', 'Low value']
    >>> bool(seg.cluster_centers_[0, 1] > seg.cluster_centers_[2, 1])
    True
    """

    silhouette_scores_: dict[int, float] = field(init=False)  # fitted, not a parameter

    # The dataclass __init__ only stores the parameters (fit checks them in _check_params), as
    # scikit-learn's get_params/clone expect; repr and equality stay BaseEstimator's.
    n_clusters: int | Literal["auto"] = "auto"
    _: KW_ONLY
    columns: Sequence[str | int] | None = None
    value_col: str | int | None = None
    k_range: tuple[int, int] = (2, 8)
    sample_size: int = 5_000
    silhouette_size: int = 5_000
    log_transform: bool = True
    names: Sequence[str] | None = None
    n_init: int = 3
    random_state: int | np.integer | np.random.RandomState | None = None

    def _positive_only(self) -> bool:
        return bool(self.log_transform)

    def _columns(self, table: Table) -> list[str | int]:
        if self.columns is None:
            return list(range(table.n_cols))
        columns = check_names(self.columns, "columns")
        if len(columns) == 0:
            raise ParameterError("columns must be a non-empty list of column names/positions.")
        return [check_column(c, "columns") for c in columns]

    def _features(self, table: Table, raw: np.ndarray | None = None) -> np.ndarray:
        """Return the (``log1p``) features; ``raw``: the feature columns, if read already."""
        if raw is None:
            raw = np.column_stack([table.numeric(c) for c in self._columns(table)])
        X = raw
        if self.log_transform:
            bad = (X < 0).any(axis=1)
            check_rule(
                bad,
                table.ids,
                rule="features must be >= 0 for log_transform=True",
                what=table.what,
                hint="Negative values in data cannot be log1p-scaled; pass log_transform=False.",
            )
            X = np.log1p(X)
        return X

    def _check_params(self) -> _Plan:
        auto = isinstance(self.n_clusters, str)
        if auto and self.n_clusters != "auto":
            raise ParameterError(f"n_clusters must be an int or 'auto', got {self.n_clusters!r}.")
        check_bool(self.log_transform, "log_transform")
        check_column(self.value_col, "value_col", allow_none=True)
        if self.names is not None:
            check_names(self.names, "names")
        check_random_state_of(self.random_state, generator=False)
        sample_size = check_int(self.sample_size, "sample_size", minimum=10)
        silhouette_size = check_int(self.silhouette_size, "silhouette_size", minimum=10)
        n_init = check_int(self.n_init, "n_init", minimum=1)
        k_range = None
        if auto:
            if isinstance(self.k_range, str) or not (
                isinstance(self.k_range, tuple | list) and len(self.k_range) == 2
            ):
                raise ParameterError(
                    f"k_range must be a (low, high) pair of integers >= 2, got {self.k_range!r}."
                )
            k_lo, k_hi = (check_int(k, "k_range", minimum=2) for k in self.k_range)
            if k_hi < k_lo:
                raise ParameterError(
                    f"k_range must be (low, high) with low <= high, got {self.k_range}."
                )
            k_range = (k_lo, k_hi)
        return _Plan(k_range, sample_size, silhouette_size, n_init)

    def _value_position(self, table: Table, columns: list[str | int]) -> int:
        """Position among the features of the column that ranks the clusters."""
        if self.value_col is None:
            return 0
        labels = [table.label(c) for c in columns]
        target = table.label(self.value_col)
        if target not in labels:
            raise ParameterError(
                f"value_col {self.value_col!r} must be one of the feature columns {labels}."
            )
        return labels.index(target)

    def _choose_k(
        self,
        sample: np.ndarray,
        rng: np.random.RandomState,
        seed: int,
        k_range: tuple[int, int],
        plan: _Plan,
    ) -> tuple[int, np.ndarray]:
        """Return the k with the best silhouette on a subsample and its centres ("auto")."""
        from sklearn.cluster import KMeans  # imported here: keeps the package import light

        k_lo, k_hi = k_range
        n_distinct = np.unique(sample, axis=0).shape[0]
        m = sample.shape[0]
        # one subsample for every k, so the silhouettes are comparable
        sub = (
            rng.choice(m, plan.silhouette_size, replace=False)
            if m > plan.silhouette_size
            else slice(None)
        )
        candidates = {}
        for k in range(k_lo, min(k_hi, n_distinct - 1) + 1):  # a loop over candidate k
            model = KMeans(k, n_init=plan.n_init, random_state=seed).fit(sample)
            sub_labels = np.unique(model.labels_[sub], return_inverse=True)[1]
            if sub_labels.max() >= 1:
                candidates[k] = (sub_labels, model.cluster_centers_)
        if not candidates:
            raise ParameterError(
                f"n_clusters='auto' found no k in {self.k_range} with at least two "
                f"clusters: the data has only {n_distinct} distinct point(s)."
            )
        scores = silhouettes(sample[sub], [labels for labels, _ in candidates.values()])
        self.silhouette_scores_ = dict(zip(candidates, scores.tolist(), strict=True))
        best_k = max(self.silhouette_scores_, key=self.silhouette_scores_.__getitem__)
        return best_k, candidates[best_k][1]

    def _learn(self, table: Table, plan: _Plan) -> np.ndarray:
        from sklearn.cluster import KMeans  # imported here: keeps the package import light

        columns = self._columns(table)
        raw = np.column_stack([table.numeric(c) for c in columns])
        Z = self._features(table, raw)
        value_pos = self._value_position(table, columns)
        self.mean_ = Z.mean(axis=0)
        scale = Z.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        S = (Z - self.mean_) / self.scale_
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        n = S.shape[0]
        sample = S[rng.choice(n, plan.sample_size, replace=False)] if n > plan.sample_size else S
        self.silhouette_scores_ = {}
        if plan.k_range is not None:
            k, init = self._choose_k(sample, rng, seed, plan.k_range, plan)
        else:
            k = check_int(self.n_clusters, "n_clusters", minimum=1)
            n_distinct = np.unique(sample, axis=0).shape[0]
            if k > n_distinct:
                raise ParameterError(
                    f"n_clusters={k} is more than the {n_distinct} distinct customers in the "
                    "data; ask for fewer clusters."
                )
            init = KMeans(k, n_init=plan.n_init, random_state=seed).fit(sample).cluster_centers_
        # S is this fit's own array: no copy of it for sklearn's centring (copy_x=False)
        self.kmeans_ = KMeans(k, init=init, n_init=1, random_state=seed, copy_x=False).fit(S)
        raw_labels = self.kmeans_.labels_
        counts = np.bincount(raw_labels, minlength=k)
        means = np.bincount(raw_labels, weights=raw[:, value_pos], minlength=k) / np.maximum(
            counts, 1
        )
        order = np.argsort(-means, kind="stable")  # order[i] = raw cluster of rank i
        self._rank = np.empty(k, dtype=np.int64)
        self._rank[order] = np.arange(k)
        centers = self.kmeans_.cluster_centers_[order] * self.scale_ + self.mean_
        self.cluster_centers_ = np.expm1(centers) if self.log_transform else centers
        self.n_clusters_ = k
        self.features_ = [table.label(c) for c in columns]
        self.segments_ = self._names(k)
        return self._rank[raw_labels]

    def _names(self, k: int) -> list[str]:
        if self.names is not None:
            names = [str(n) for n in self.names]
            if len(names) != k or len(set(names)) != k:
                raise ParameterError(f"names must be {k} distinct names, got {names!r}.")
            return names
        return _NAMES.get(k, [f"Tier {i}" for i in range(1, k + 1)])

    def _codes(self, table: Table) -> np.ndarray:
        S = (self._features(table) - self.mean_) / self.scale_
        return self._rank[self.kmeans_.predict(S)]
