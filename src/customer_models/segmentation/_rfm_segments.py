"""Named RFM segments (:class:`RFMSegmenter`): rectangles of the R x FM score grid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np

from customer_models.exceptions import ParameterError
from customer_models.segmentation._base import Table, check_int
from customer_models.segmentation._rfm import RFMColumns, RFMScorer
from customer_models.segmentation._segmenter import Segmenter

__all__ = ["DEFAULT_RFM_SEGMENTS", "RFMSegmenter"]

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

_DIMS = ("r", "f", "m", "fm")

#: A validated segment map: segment name -> {dimension: inclusive (low, high) range}.
SegmentMap = dict[str, dict[str, tuple[int, int]]]


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


@dataclass(eq=False, repr=False)
class RFMSegmenter(RFMColumns, Segmenter):
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

    segments: Mapping[str, Mapping[str, Any]] | None = None
    _: KW_ONLY
    n_bins: int = 5

    _what = "summary"

    def _positive_only(self) -> bool:
        return True

    def _compile(self, n_bins: int) -> tuple[SegmentMap, np.ndarray]:
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
        normalised: SegmentMap = {}
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

    def _check_params(self) -> tuple[int, SegmentMap, np.ndarray]:
        n_bins = check_int(self.n_bins, "n_bins", minimum=2)
        return (n_bins, *self._compile(n_bins))

    def _learn(self, table: Table, checked: tuple[int, SegmentMap, np.ndarray]) -> np.ndarray:
        n_bins, self.segment_map_, self._lookup = checked
        self.scorer_ = RFMScorer(
            n_bins,
            frequency_col=self.frequency_col,
            recency_col=self.recency_col,
            T_col=self.T_col,
            monetary_col=self.monetary_col,
            combined="sum",
        ).fit(table.data)
        self.segments_ = list(self.segment_map_)
        return self._codes(table)

    def _codes(self, table: Table) -> np.ndarray:
        scores = self.scorer_._scores(table)[:, :-1] - 1
        return self._lookup[tuple(scores.T)]
