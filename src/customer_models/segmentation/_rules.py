"""Declarative segments from ordered rules on any columns (:class:`RuleSegmenter`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from customer_models._validation import check_bool, check_number, check_rule, check_str
from customer_models.exceptions import ParameterError
from customer_models.segmentation._base import Table, check_names
from customer_models.segmentation._segmenter import Segmenter

__all__ = ["RuleSegmenter", "band_rules"]

Rule = tuple[str, Mapping[Any, Any]]


def band_rules(
    column: str | int,
    edges: Sequence[float],
    *,
    labels: Sequence[str] | None = None,
    open_ends: bool = True,
) -> list[Rule]:
    """Rules that cut a numeric column into bands (age bands, income bands, ...).

    Bands are half-open, ``low <= x < high``, so they never overlap.

    Parameters
    ----------
    column : str or int
        The column to band.
    edges : sequence of float
        Increasing band boundaries.
    labels : sequence of str, optional
        Band names, one per band (``len(edges) + 1`` with ``open_ends``, else
        ``len(edges) - 1``). Default: ``"< 18"``, ``"[18, 25)"``, ..., ``">= 65"``.
    open_ends : bool, default=True
        Add a band below the first edge and one at or above the last edge, so every value
        lands in a band.

    Returns
    -------
    list of (name, conditions)
        Rules for :class:`RuleSegmenter`; concatenate with other rules as needed.

    Examples
    --------
    >>> band_rules("age", [18, 35, 65])
    [('< 18', {'age': (None, 18)}), ('[18, 35)', {'age': (18, 35)}), ('[35, 65)', {'age': (35, 65)}), ('>= 65', {'age': (65, None)})]
    """  # noqa: E501
    open_ends = check_bool(open_ends, "open_ends")
    if isinstance(edges, (str, bytes)) or not isinstance(edges, Sequence | np.ndarray):
        raise ParameterError(f"edges must be an increasing sequence of numbers, got {edges!r}.")
    cuts = [check_number(e, "edges") for e in edges]
    if labels is not None:
        labels = check_names(labels, "labels")
    if len(cuts) < 1 or any(b <= a for a, b in pairwise(cuts)):
        raise ParameterError(f"edges must be a non-empty increasing sequence, got {edges!r}.")
    bounds: list[tuple[float | None, float | None]] = list(pairwise(cuts))
    if open_ends:
        bounds = [(None, cuts[0]), *bounds, (cuts[-1], None)]
    if not bounds:
        raise ParameterError("edges define no band; give two edges or use open_ends=True.")

    def fmt(x: float) -> str:
        return f"{x:g}"

    def describe(lo: float | None, hi: float | None) -> str:
        if lo is None:
            return f"< {fmt(hi)}"  # type: ignore[arg-type]
        if hi is None:
            return f">= {fmt(lo)}"
        return f"[{fmt(lo)}, {fmt(hi)})"

    names = [describe(lo, hi) for lo, hi in bounds]
    if labels is not None:
        if len(labels) != len(bounds):
            raise ParameterError(f"labels must have {len(bounds)} names, got {len(labels)}.")
        names = [str(label) for label in labels]

    def native(x: float | None) -> float | int | None:
        return int(x) if x is not None and float(x).is_integer() else x

    return [
        (n, {column: (native(lo), native(hi))}) for n, (lo, hi) in zip(names, bounds, strict=True)
    ]


def _normalise_condition(name: str, column: Any, cond: Any) -> tuple[str, Any]:
    """Return ``("range", (lo, hi))``, ``("in", values)`` or raise."""
    if isinstance(cond, Mapping):
        keys = set(cond)
        if keys <= {"min", "max"} and keys:
            return "range", (cond.get("min"), cond.get("max"))
        if keys == {"in"}:
            return "in", list(cond["in"])
        raise ParameterError(
            f"rule {name!r}, column {column!r}: a dict condition needs 'min'/'max' or 'in', "
            f"got keys {sorted(map(str, keys))}."
        )
    if isinstance(cond, tuple):
        if len(cond) != 2:
            raise ParameterError(
                f"rule {name!r}, column {column!r}: a range is a (low, high) pair, got {cond!r}."
            )
        lo, hi = cond
        for bound in (lo, hi):
            if bound is not None and not isinstance(bound, int | float | np.number):
                raise ParameterError(
                    f"rule {name!r}, column {column!r}: range bounds must be numbers or None, "
                    f"got {bound!r}."
                )
        if lo is not None and hi is not None and lo >= hi:
            raise ParameterError(
                f"rule {name!r}, column {column!r}: empty range {cond!r} (low must be < high)."
            )
        return "range", (lo, hi)
    if isinstance(cond, set | frozenset | list):
        return "in", list(cond)
    if isinstance(cond, str | int | float | bool | np.generic):
        return "in", [cond]
    raise ParameterError(
        f"rule {name!r}, column {column!r}: use a (low, high) range, a set/list of values or a "
        f"single value, got {type(cond).__name__}."
    )


class RuleSegmenter(Segmenter):
    """Assign segments with ordered, declarative rules on any columns (no string ``eval``).

    Each rule is a segment name and a mapping ``column -> condition``; a customer matches a
    rule when every condition holds. Rules are tried in order and the first match wins;
    customers matching none get ``default``. Several rules may share a name (an OR).

    Conditions:

    * ``(low, high)`` tuple: numeric range ``low <= x < high``; ``None`` leaves a side open;
      ``{"min": low, "max": high}`` is the same (JSON-friendly).
    * a set or list of values (``{"North", "East"}``), or ``{"in": [...]}``: membership.
    * a single value (``"online"``, ``True``, ``3``): equality.

    Parameters
    ----------
    rules : mapping or sequence of (name, conditions)
        The rules, in priority order. Columns are names (DataFrame input) or positions
        (``int``, also for plain arrays).
    default : str or None, default="Other"
        Segment of customers no rule matches. ``None`` makes that an error instead.

    Attributes
    ----------
    segments_ : list of str
        Distinct rule names in order of first appearance, then ``default``.
    labels_ : ndarray of int
        Segment codes of the training rows.
    n_features_in_, feature_names_in_
        Input columns seen in ``fit``.

    See Also
    --------
    band_rules : build banding rules for a numeric column.

    Examples
    --------
    >>> import pandas as pd
    >>> customers = pd.DataFrame(
    ...     {"age": [17, 30, 70, 45], "region": ["N", "S", "N", "E"]},
    ...     index=["a", "b", "c", "d"],
    ... )
    >>> seg = RuleSegmenter(
    ...     [
    ...         ("Young north", {"age": (None, 35), "region": {"N"}}),
    ...         ("Senior", {"age": (65, None)}),
    ...     ],
    ...     default="Other",
    ... )
    >>> seg.fit_assign(customers).tolist()
    ['Young north', 'Other', 'Senior', 'Other']
    """

    def __init__(
        self,
        rules: Mapping[str, Mapping[Any, Any]] | Sequence[Rule],
        *,
        default: str | None = "Other",
    ) -> None:
        self.rules = rules
        self.default = default

    _numeric = False  # rules may test text columns (regions, channels)

    def _compiled(self) -> list[tuple[str, list[tuple[Any, str, Any]]]]:
        items = list(self.rules.items()) if isinstance(self.rules, Mapping) else self.rules
        if isinstance(items, str) or not isinstance(items, Sequence) or len(items) == 0:
            raise ParameterError(
                "rules must be a non-empty mapping or list of (name, {column: condition}) pairs."
            )
        compiled = []
        for item in items:
            if not (isinstance(item, tuple | list) and len(item) == 2):
                raise ParameterError(f"each rule must be a (name, conditions) pair, got {item!r}.")
            name, conditions = item
            if not isinstance(conditions, Mapping) or not conditions:
                raise ParameterError(
                    f"rule {name!r} needs a non-empty mapping of column -> condition."
                )
            compiled.append(
                (
                    str(name),
                    [
                        (col, *_normalise_condition(str(name), col, c))
                        for col, c in conditions.items()
                    ],
                )
            )
        return compiled

    def _codes(self, table: Table) -> np.ndarray:
        compiled = self._compiled()
        codes = np.full(table.n_rows, -1, dtype=np.int64)
        position = {name: i for i, name in enumerate(self.segments_)}
        cache: dict[Any, Any] = {}
        for name, conditions in compiled:
            match = codes < 0
            for col, kind, arg in conditions:
                key = (col, kind)
                if key not in cache:
                    if kind == "range":
                        cache[key] = table.numeric(col)
                    else:
                        raw = table.raw(col)
                        values = raw if isinstance(raw, pd.Series) else pd.Series(raw)
                        check_rule(
                            values.isna().to_numpy(),
                            table.ids,
                            rule=f"{table.label(col)} must not be missing",
                            column=table.label(col),
                            what=table.what,
                            hint="Fill missing values first (e.g. .fillna('unknown')).",
                        )
                        cache[key] = values
                values = cache[key]
                if kind == "range":
                    lo, hi = arg
                    if lo is not None:
                        match &= values >= lo
                    if hi is not None:
                        match &= values < hi
                else:
                    match &= values.isin(arg).to_numpy()
            codes[match] = position[name]
        unmatched = codes < 0
        if self.default is None:
            check_rule(
                unmatched,
                table.ids,
                rule="every row must match a rule (default=None)",
                what=table.what,
                hint="Add a rule for these rows or set a default segment.",
            )
        else:
            codes[unmatched] = position[str(self.default)]
        return codes

    def _check_params(self) -> list[str]:
        check_str(self.default, "default", allow_none=True)
        compiled = self._compiled()
        names = list(dict.fromkeys(name for name, _ in compiled))
        if self.default is not None and str(self.default) not in names:
            names.append(str(self.default))
        return names

    def _learn(self, table: Table, names: list[str]) -> np.ndarray:
        self.segments_ = names
        return self._codes(table)
