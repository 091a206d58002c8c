"""A declarative, versioned scorecard: weighted criteria, points per band, grades, JSON."""

from __future__ import annotations

import json
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from customer_models._validation import as_pandas, check_not_empty, require_columns
from customer_models._version import __version__
from customer_models.decision._criteria import Criterion, parse_criterion
from customer_models.decision._grades import GradeRule, parse_grades
from customer_models.exceptions import ModelFileError, ParameterError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from customer_models.decision._grades import GradeTable

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "Scorecard"]

FORMAT_NAME = "customer_models.scorecard"
FORMAT_VERSION = 1
#: Columns the scorecard adds to ``explain``; a criterion may not take these names.
_RESERVED = frozenset({"points", "grade"})


@dataclass(eq=False, repr=False)
class Scorecard(BaseEstimator):
    """A scoring rule set: weighted criteria over customer columns, points per band, grades.

    Parameters
    ----------
    criteria : list of dict
        One dict per criterion, scored in order:

        - ``name`` (str, required) and ``column`` (the column it reads; default: the name),
          any column of the customer frame: summary columns, model outputs, attributes
          joined on the customer index;
        - ``weight`` (> 0, default 1): the criterion's points are multiplied by it;
        - ``bands``: ``(lower, upper, points)`` rows for a numeric column, contiguous and in
          ascending order; each band holds ``lower <= value < upper`` and the last also its
          upper edge; ``None`` opens the first lower or the last upper edge;
        - or ``categories``: ``{value: points}`` for a categorical column, with ``default``
          (points of an unlisted value; default: an error);
        - ``missing``: points of a missing value (NaN/None), or ``"error"`` (the default).
    grades : list of (grade, minimum points), optional
        Grades best first with the minimum total each needs; the last grade's minimum is
        ``None`` (every remaining customer), e.g. ``[("A", 80), ("B", 60), ("C", 40),
        ("D", None)]``.
    grade_shares : list of (grade, share), optional
        Grades best first by share of the customers scored, summing to 1 (customers with
        equal totals share a grade; a tie at a boundary goes to the better grade). Give
        ``grades`` or ``grade_shares``, or neither (then ``score`` has no ``grade`` column).
    version : str, default "1"
        The rule set's version, carried in the JSON so scores can be traced to their rules.
    name : str, optional
        A label for the rule set.

    Notes
    -----
    The total of a customer is ``sum_c weight_c * points_c(value_c)``; :meth:`explain`
    returns the terms, which sum to ``points``. Validation (gaps, overlaps, unknown keys,
    wrong types) happens in :meth:`validate`, which every method calls; the data are checked
    in :meth:`explain` (missing columns, values outside the bands, unlisted categories,
    missing values), naming the criterion, the count and the first offending customer ids.

    Examples
    --------
    >>> import pandas as pd
    >>> card = Scorecard([
    ...     {"name": "alive", "column": "probability_alive",
    ...      "bands": [(0, 0.3, 0), (0.3, 0.7, 20), (0.7, 1, 40)]},
    ...     {"name": "tier", "categories": {"Gold": 30, "Silver": 15, "Base": 0}},
    ...     {"name": "nps", "bands": [(0, 7, 0), (7, 9, 10), (9, 10, 20)], "missing": 5},
    ... ], grades=[("A", 70), ("B", 40), ("C", None)], version="2024-06")
    >>> customers = pd.DataFrame({"probability_alive": [0.9, 0.5, 0.1],
    ...                           "tier": ["Gold", "Base", "Silver"],
    ...                           "nps": [10, None, 3]}, index=pd.Index([1, 2, 3], name="id"))
    >>> card.score(customers)
        points grade
    id
    1     90.0     A
    2     25.0     C
    3     15.0     C
    >>> card.explain(customers)
        alive  tier   nps  points
    id
    1    40.0  30.0  20.0    90.0
    2    20.0   0.0   5.0    25.0
    3     0.0  15.0   0.0    15.0
    >>> Scorecard.from_json(card.to_json()).version
    '2024-06'
    """

    # The dataclass __init__ only stores the parameters (validation is in validate()), as
    # scikit-learn's get_params/clone expect; repr and equality stay BaseEstimator's.
    criteria: Sequence[Mapping[str, Any]]
    _: KW_ONLY
    grades: GradeTable | None = None
    grade_shares: GradeTable | None = None
    version: str = "1"
    name: str | None = None

    # ------------------------------------------------------------------ validation
    def _spec(self) -> tuple[list[Criterion], GradeRule | None]:
        if not isinstance(self.criteria, (list, tuple)) or not self.criteria:
            raise ParameterError(
                "criteria must be a non-empty list of dicts, e.g. [{'name': 'recency', "
                "'bands': [(None, 30, 10), (30, None, 0)]}]."
            )
        if len(self.criteria) > 1000:
            raise ParameterError(
                f"a scorecard may have at most 1000 criteria, got {len(self.criteria)}."
            )
        criteria = [parse_criterion(spec, k) for k, spec in enumerate(self.criteria)]
        seen: set[str] = set()
        for c in criteria:
            if c.name in seen:
                raise ParameterError(f"criterion name {c.name!r} is used twice.")
            if c.name in _RESERVED:
                raise ParameterError(
                    f"criterion name {c.name!r} is reserved for the scorecard's output columns "
                    f"{sorted(_RESERVED)}; rename the criterion."
                )
            seen.add(c.name)
        if not isinstance(self.version, str) or not self.version:
            raise ParameterError(f"version must be a non-empty string, got {self.version!r}.")
        if self.name is not None and not isinstance(self.name, str):
            raise ParameterError(f"name must be a string or None, got {self.name!r}.")
        return criteria, parse_grades(self.grades, self.grade_shares)

    def validate(self) -> Scorecard:
        """Check the rule set; raise :class:`~customer_models.exceptions.ParameterError`.

        Returns
        -------
        Scorecard
            ``self``, for chaining.

        Examples
        --------
        >>> Scorecard([{"name": "x", "bands": [(0, 10, 1), (5, 20, 2)]}]).validate()
        Traceback (most recent call last):
        ...
        customer_models.exceptions.ParameterError: criterion 'x': bands 1 and 2 overlap on
        [5, 10); each band must start where the previous one ends.
        """
        self._spec()
        return self

    # ------------------------------------------------------------------ scoring
    def explain(self, customers: Any) -> pd.DataFrame:
        """Points of every criterion for every customer, and their sum.

        Parameters
        ----------
        customers : DataFrame
            One row per customer (pandas, polars or Arrow), with the criteria's columns.

        Returns
        -------
        pandas.DataFrame
            On ``customers``' index: one float column per criterion (weighted points, named
            after the criterion) and ``points``, their sum.
        """
        criteria, _ = self._spec()
        frame = as_pandas(customers, what="scorecard input")
        check_not_empty(frame, what="scorecard input")
        require_columns(frame, [c.column for c in criteria], what="scorecard input")
        parts = {c.name: c.points_of(frame[c.column]) for c in criteria}
        out = pd.DataFrame(parts, index=frame.index)
        total = np.zeros(len(frame))
        for points in parts.values():  # a few criteria: one vector add each
            total += points
        out["points"] = total
        return out

    def score(self, customers: Any) -> pd.DataFrame:
        """Total points and grade of every customer.

        Parameters
        ----------
        customers : DataFrame
            As in :meth:`explain`.

        Returns
        -------
        pandas.DataFrame
            On ``customers``' index: ``points`` (float) and, when the scorecard has grades,
            ``grade`` (ordered categorical whose categories run from the best grade to the
            worst, so ``grade.cat.codes`` is 0 for the best).
        """
        _, rule = self._spec()
        total = self.explain(customers)["points"]
        out = total.to_frame()
        if rule is not None:
            out["grade"] = rule.grade(total.to_numpy(), total.index)
        return out

    def grade_cutoffs(self, customers: Any) -> pd.Series:
        """Minimum points of each grade but the last (for ``grade_shares``: on these customers).

        Returns
        -------
        pandas.Series
            Indexed by grade name (best first, the last grade left out).
        """
        _, rule = self._spec()
        if rule is None:
            raise ParameterError("this scorecard has no grades; give grades= or grade_shares=.")
        total = self.explain(customers)["points"].to_numpy()
        cut = rule.minimums if rule.minimums is not None else rule.cutoffs(total)
        return pd.Series(
            np.asarray(cut, dtype=np.float64), index=list(rule.names[:-1]), name="minimum_points"
        )

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """Return the rule set as versioned, JSON-able data (validated first).

        The dict holds ``format``, ``format_version``, ``library_version``, ``version``,
        ``name``, ``criteria`` (bands as ``[lower, upper, points]`` with ``None`` for an open
        edge; categories as ``[value, points]`` pairs, so integer categories stay integers)
        and ``grades`` or ``grade_shares``.
        """
        criteria, rule = self._spec()
        out: dict[str, Any] = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "library_version": __version__,
            "version": self.version,
            "name": self.name,
            "criteria": [c.to_dict() for c in criteria],
        }
        if rule is not None:
            out.update(rule.to_dict())
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scorecard:
        """Rebuild a scorecard from :meth:`to_dict` output (validated; nothing is executed).

        Raises
        ------
        ModelFileError
            If the data is not a scorecard, or of a newer format version.
        """
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise ModelFileError(
                f"not a customer_models scorecard: expected a dict with format {FORMAT_NAME!r}."
            )
        version = data.get("format_version")
        if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
            raise ModelFileError(
                f"scorecard format_version {version!r} is not supported by this library "
                f"version ({__version__}), which reads versions 1 to {FORMAT_VERSION}."
            )
        if "criteria" not in data:
            raise ModelFileError("the scorecard data has no 'criteria'.")
        card = cls(
            data["criteria"],
            grades=data.get("grades"),
            grade_shares=data.get("grade_shares"),
            version=data.get("version", "1"),
            name=data.get("name"),
        )
        return card.validate()

    def to_json(self, **kwargs: Any) -> str:
        """Return the rule set as a JSON string (``kwargs`` go to :func:`json.dumps`)."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    @classmethod
    def from_json(cls, text: str) -> Scorecard:
        """Rebuild a scorecard from :meth:`to_json` output.

        Raises
        ------
        ModelFileError
            If the text is not JSON or not a scorecard.
        """
        if not isinstance(text, (str, bytes)):
            raise ParameterError(f"from_json needs a JSON string, got {type(text).__name__}.")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelFileError(f"the scorecard text is not valid JSON: {exc}.") from None
        return cls.from_dict(data)
