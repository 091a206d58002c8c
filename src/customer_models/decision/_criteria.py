"""Scorecard criteria as data: numeric bands or categorical maps, validated and vectorized.

A criterion reads one column of a customer frame and gives each customer the points of the
band (or category) their value falls in, times the criterion's weight. Band lookup is one
``np.searchsorted`` over the band edges and category lookup one hash lookup
(``pd.Index.get_indexer``), so scoring is vectorized over customers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from customer_models._validation import as_pairs, check_number, check_rule
from customer_models.exceptions import ParameterError

__all__ = ["Criterion", "parse_criterion"]

_BAND_EXAMPLE = "bands=[(None, 30, 10), (30, 90, 5), (90, None, 0)]"
_CAT_EXAMPLE = "categories={'Gold': 10, 'Silver': 5, 'Base': 0}"
_KEYS = frozenset({"name", "column", "weight", "bands", "categories", "default", "missing"})


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else repr(value)


@dataclass(frozen=True)
class Criterion:
    """One validated criterion (see :func:`parse_criterion` for the accepted spellings)."""

    name: str
    column: str
    weight: float
    lowers: np.ndarray | None  # band lower edges (-inf for an open first band)
    uppers: np.ndarray | None  # band upper edges (+inf for an open last band)
    categories: tuple[Any, ...] | None
    points: np.ndarray  # points per band / per category (before the weight)
    default: float | None  # points of an unlisted category; None: an error
    missing: float | None  # points of a missing value; None: an error

    @property
    def kind(self) -> str:
        """``"bands"`` or ``"categories"``."""
        return "bands" if self.categories is None else "categories"

    def to_dict(self) -> dict[str, Any]:
        """Return the criterion as plain JSON-able data (open band edges as ``None``)."""
        out: dict[str, Any] = {"name": self.name, "column": self.column, "weight": self.weight}
        if self.categories is None:
            assert self.lowers is not None
            assert self.uppers is not None
            out["bands"] = [
                [
                    None if math.isinf(lo) else float(lo),
                    None if math.isinf(hi) else float(hi),
                    float(p),
                ]
                for lo, hi, p in zip(self.lowers, self.uppers, self.points, strict=True)
            ]
        else:
            out["categories"] = [
                [c, float(p)] for c, p in zip(self.categories, self.points, strict=True)
            ]
            out["default"] = self.default
        out["missing"] = "error" if self.missing is None else self.missing
        return out

    def points_of(self, values: pd.Series) -> np.ndarray:
        """Weighted points of every value; raise naming the criterion for a value it refuses."""
        ids = values.index
        where = f"criterion {self.name!r} (column {self.column!r})"
        missing = values.isna().to_numpy()
        if self.missing is None:
            check_rule(
                missing,
                ids,
                rule=f"{self.name}: {self.column} must not be missing",
                column=self.column,
                what="scorecard input",
                hint="Give the criterion a missing= policy (e.g. missing=0) to score them.",
            )
        out = np.empty(len(values), dtype=np.float64)
        if self.categories is None:
            raw = values
            if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
                if isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(
                    values
                ):
                    raise ParameterError(
                        f"{where} has numeric bands but the column holds "
                        f"{values.dtype} values; give the criterion categories= instead."
                    )
                raw = pd.to_numeric(values, errors="coerce")
                check_rule(
                    raw.isna().to_numpy() & ~missing,
                    ids,
                    rule=f"{self.name}: {self.column} must be numeric for its bands",
                    column=self.column,
                    what="scorecard input",
                )
            x = raw.to_numpy(dtype=np.float64, na_value=np.nan)
            assert self.lowers is not None
            assert self.uppers is not None
            present = ~missing
            outside = present & ((x < self.lowers[0]) | (x > self.uppers[-1]))
            check_rule(
                outside,
                ids,
                rule=(
                    f"{self.name}: {self.column} must be within the bands "
                    f"[{_num(float(self.lowers[0]))}, {_num(float(self.uppers[-1]))}]"
                ),
                column=self.column,
                what="scorecard input",
                hint="Open the first or last band (None as its edge) to cover them.",
            )
            # band k holds lowers[k] <= x < lowers[k + 1]; the last band also holds its upper
            band = np.searchsorted(self.lowers[1:], np.where(present, x, self.lowers[0]), "right")
            out[:] = self.points[band]
        else:
            codes = pd.Index(list(self.categories)).get_indexer(values)
            unknown = (codes < 0) & ~missing
            if self.default is None:
                check_rule(
                    unknown,
                    ids,
                    rule=(
                        f"{self.name}: {self.column} must be one of the listed categories "
                        f"{list(self.categories)[:8]}"
                    ),
                    column=self.column,
                    what="scorecard input",
                    hint="Give the criterion default= points for unlisted values.",
                )
            out[:] = self.points[np.maximum(codes, 0)]
            if self.default is not None:
                out[unknown] = self.default
        if self.missing is not None:
            out[missing] = self.missing
        return out * self.weight


def _edge(value: Any, what: str, open_value: float) -> float:
    return open_value if value is None else check_number(value, what)


def _bands(name: str, bands: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(bands, pd.DataFrame):
        need = {"lower", "upper", "points"}
        if not need <= set(map(str, bands.columns)):
            raise ParameterError(
                f"criterion {name!r}: a bands DataFrame needs columns 'lower', 'upper' and "
                f"'points', got {[str(c) for c in bands.columns]}."
            )
        rows = [
            tuple(None if pd.isna(v) else v for v in row)
            for row in bands[["lower", "upper", "points"]].itertuples(index=False)
        ]
    elif isinstance(bands, (list, tuple)):
        rows = []
        for band in bands:
            if isinstance(band, Mapping):
                band = (band.get("lower"), band.get("upper"), band.get("points"))
            if not isinstance(band, (list, tuple)) or len(band) != 3:
                raise ParameterError(
                    f"criterion {name!r}: each band must be (lower, upper, points), got "
                    f"{band!r}. Example: {_BAND_EXAMPLE}."
                )
            rows.append(tuple(band))
    else:
        raise ParameterError(
            f"criterion {name!r}: bands must be a list of (lower, upper, points), got "
            f"{type(bands).__name__}. Example: {_BAND_EXAMPLE}."
        )
    if not rows:
        raise ParameterError(f"criterion {name!r} needs at least one band, e.g. {_BAND_EXAMPLE}.")
    lowers, uppers, points = [], [], []
    for k, (lo, hi, p) in enumerate(rows):
        what = f"criterion {name!r} band {k + 1}"
        if lo is None and k > 0:
            raise ParameterError(f"{what}: only the first band may have an open lower edge.")
        if hi is None and k < len(rows) - 1:
            raise ParameterError(f"{what}: only the last band may have an open upper edge.")
        lowers.append(_edge(lo, f"{what} lower edge", -math.inf))
        uppers.append(_edge(hi, f"{what} upper edge", math.inf))
        points.append(check_number(p, f"{what} points"))
        if not lowers[-1] < uppers[-1]:
            raise ParameterError(
                f"{what}: the lower edge ({_num(lowers[-1])}) must be below the upper edge "
                f"({_num(uppers[-1])})."
            )
    for k in range(1, len(rows)):
        prev_hi, lo = uppers[k - 1], lowers[k]
        if lo < lowers[k - 1]:
            raise ParameterError(
                f"criterion {name!r}: list the bands in ascending order; band {k + 1} starts at "
                f"{_num(lo)}, below band {k} ({_num(lowers[k - 1])})."
            )
        if lo > prev_hi:
            raise ParameterError(
                f"criterion {name!r}: the bands leave a gap between {_num(prev_hi)} (end of band "
                f"{k}) and {_num(lo)} (start of band {k + 1}); each band must start where the "
                f"previous one ends, e.g. {_BAND_EXAMPLE}."
            )
        if lo < prev_hi:
            raise ParameterError(
                f"criterion {name!r}: bands {k} and {k + 1} overlap on [{_num(lo)}, "
                f"{_num(prev_hi)}); each band must start where the previous one ends."
            )
    return np.array(lowers), np.array(uppers), np.array(points)


def _categories(name: str, categories: Any) -> tuple[tuple[Any, ...], np.ndarray]:
    pairs = as_pairs(
        categories,
        bad_item=lambda item: (
            f"criterion {name!r}: each category must be a (value, points) pair, got "
            f"{item!r}. Example: {_CAT_EXAMPLE}."
        ),
        bad_type=lambda table: (
            f"criterion {name!r}: categories must be a dict value -> points, got "
            f"{type(table).__name__}. Example: {_CAT_EXAMPLE}."
        ),
    )
    if not pairs:
        raise ParameterError(f"criterion {name!r} needs at least one category, {_CAT_EXAMPLE}.")
    values, points = [], []
    for value, p in pairs:
        if isinstance(value, np.generic):
            value = value.item()
        if not isinstance(value, (str, int, float, bool)) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            raise ParameterError(
                f"criterion {name!r}: category values must be strings or finite numbers "
                f"(stored in JSON), got {value!r}."
            )
        if value in values:
            raise ParameterError(f"criterion {name!r}: category {value!r} is listed twice.")
        values.append(value)
        points.append(check_number(p, f"criterion {name!r} points of category {value!r}"))
    return tuple(values), np.array(points)


def parse_criterion(spec: Any, position: int) -> Criterion:
    """Validate one criterion given as a dict and return it as :class:`Criterion`.

    Keys: ``name`` (required), ``column`` (default: the name), ``weight`` (default 1, > 0),
    exactly one of ``bands`` (``(lower, upper, points)`` rows, ``None`` for an open edge) or
    ``categories`` (value -> points), ``default`` (points of an unlisted category; default:
    an error) and ``missing`` (points of a missing value, or ``"error"``, the default).

    Examples
    --------
    >>> c = parse_criterion({"name": "recency", "bands": [(None, 30, 10), (30, None, 0)]}, 0)
    >>> c.kind, c.points.tolist()
    ('bands', [10.0, 0.0])
    >>> parse_criterion({"name": "r", "bands": [(0, 30, 10), (40, None, 0)]}, 0)
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: criterion 'r': the bands leave a gap between 30
    (end of band 1) and 40 (start of band 2); ...
    """
    if not isinstance(spec, Mapping):
        raise ParameterError(
            f"criterion {position + 1} must be a dict with 'name' and 'bands' or 'categories', "
            f"got {type(spec).__name__}."
        )
    unknown = sorted(set(map(str, spec)) - _KEYS)
    if unknown:
        raise ParameterError(
            f"criterion {position + 1}: unknown keys {unknown}; known keys are {sorted(_KEYS)}."
        )
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise ParameterError(f"criterion {position + 1} needs a non-empty string 'name'.")
    column = spec.get("column", name)
    if not isinstance(column, str) or not column:
        raise ParameterError(f"criterion {name!r}: column must be a column name (str).")
    weight = check_number(spec.get("weight", 1.0), f"criterion {name!r} weight")
    if weight <= 0:
        raise ParameterError(f"criterion {name!r}: weight must be > 0, got {_num(weight)}.")
    has_bands, has_cats = spec.get("bands") is not None, spec.get("categories") is not None
    if has_bands == has_cats:
        raise ParameterError(
            f"criterion {name!r} needs exactly one of bands= ({_BAND_EXAMPLE}) or categories= "
            f"({_CAT_EXAMPLE})."
        )
    missing_spec = spec.get("missing", "error")
    missing = (
        None
        if missing_spec == "error"
        else check_number(missing_spec, f"criterion {name!r} missing (points or 'error')")
    )
    if has_bands:
        if spec.get("default") is not None:
            raise ParameterError(f"criterion {name!r}: default= applies to categories only.")
        lowers, uppers, points = _bands(name, spec["bands"])
        return Criterion(name, column, weight, lowers, uppers, None, points, None, missing)
    values, points = _categories(name, spec["categories"])
    default = spec.get("default")
    default = None if default is None else check_number(default, f"criterion {name!r} default")
    return Criterion(name, column, weight, None, None, values, points, default, missing)
