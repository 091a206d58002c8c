"""Lifecycle stages of a fitted classifier as one Ibis ``CASE`` expression.

The stage rules of :class:`~customer_models.LifecycleStageClassifier` in the ``"absolute"``
and ``"probabilistic"`` modes (with a BG/NBD or MBG/NBD model) are comparisons of summary
columns with fitted thresholds, in the same precedence as
:func:`customer_models.lifecycle._codes.rule_codes`; the database evaluates them.
"""

from __future__ import annotations

from typing import Any

from customer_models._validation import check_fitted, check_str
from customer_models.exceptions import ParameterError
from customer_models.lifecycle._stages import LifecycleStageClassifier
from customer_models.sql._read import ibis_module
from customer_models.sql._scores import probability_alive_expression
from customer_models.valuation._checks import _canonical_unit

__all__ = ["stage_expression"]


def _numeric(table: Any, name: str) -> Any:
    if name not in table.columns:
        raise ParameterError(f"table has no column {name!r} (columns: {list(table.columns)}).")
    return table[name].cast("float64")


def stage_expression(classifier: LifecycleStageClassifier, table: Any, *, time_unit: str) -> Any:
    """Return the lifecycle stage of every row of a summary table as an Ibis expression.

    Equal to ``classifier.assign(summary)`` (as strings) on the same rows. Prospects are rows
    whose ``frequency`` is NULL or, when the table has it, whose ``n_transactions`` is 0.

    Parameters
    ----------
    classifier : LifecycleStageClassifier
        Fitted, with ``method="absolute"``, or ``"probabilistic"`` with a BG/NBD or MBG/NBD
        model (its P(alive) is :func:`probability_alive_expression`). The adaptive mode's
        per-customer thresholds need special functions the database does not have: score it
        in Python and write the stages with :func:`write_scores`.
    table : ibis.expr.types.Table
        A summary with ``frequency``, ``recency``, ``T`` (and the classifier's ``nps_col``).
    time_unit : str
        The unit of the table's recency and T; must equal the classifier's.

    Returns
    -------
    ibis.expr.types.StringColumn
        One of ``classifier.stages_`` per row.

    Examples
    --------
    >>> import customer_models as cm
    >>> from customer_models.sql import memtable, stage_expression
    >>> summary = cm.load_cdnow_summary()
    >>> classifier = cm.LifecycleStageClassifier(method="absolute").fit(summary)
    >>> table = memtable(summary)
    >>> stages = table.select("customer_id", stage=stage_expression(classifier, table,
    ...                                                             time_unit="W"))
    >>> stages.order_by("customer_id").limit(3).to_pyarrow()["stage"].to_pylist()
    ['repeat', 'lapsed', 'lapsed']
    >>> classifier.assign(summary.head(3)).astype(str).tolist()
    ['repeat', 'lapsed', 'lapsed']
    """
    ibis = ibis_module()
    if not isinstance(classifier, LifecycleStageClassifier):
        raise ParameterError(
            "classifier must be a fitted LifecycleStageClassifier, got "
            f"{type(classifier).__name__}."
        )
    check_fitted(classifier, "stages_", how="call fit(summary) first")
    time_unit = check_str(time_unit, "time_unit")
    if _canonical_unit(time_unit) != _canonical_unit(classifier.time_unit_):
        raise ParameterError(
            f"the table has recency/T in {time_unit!r} but the classifier was fitted on "
            f"{classifier.time_unit_!r} summaries: build the summary with "
            f"time_unit={classifier.time_unit_!r}."
        )
    frequency = _numeric(table, "frequency")
    recency = _numeric(table, "recency")
    T = _numeric(table, "T")
    prospect = frequency.isnull()
    if "n_transactions" in table.columns:
        prospect = prospect | (table["n_transactions"].fill_null(0) == 0)
    if classifier.method == "absolute":
        silence = T - recency
        at_risk = silence > classifier.at_risk_threshold_
        lapsed = silence > classifier.lapsed_threshold_
    elif classifier.method == "probabilistic":
        alive = probability_alive_expression(classifier.model, table, time_unit=time_unit)  # type: ignore[arg-type]
        at_risk = alive < classifier.at_risk_threshold_
        lapsed = alive < classifier.lapsed_threshold_
    else:
        raise ParameterError(
            f"stage_expression has the 'absolute' and 'probabilistic' rules; method="
            f"{classifier.method!r} uses per-customer thresholds from special functions that "
            "SQL lacks. Score it in Python (classifier.assign) and write the stages with "
            "write_scores."
        )
    loyal = frequency + 1.0 >= float(classifier.loyal_min_purchases)
    loyal_stage: Any = ibis.literal("loyal")
    if classifier.nps_col is not None:
        nps = _numeric(table, classifier.nps_col)
        promoter = nps.notnull() & (nps >= float(classifier.promoter_min))
        loyal_stage = ibis.ifelse(promoter, "loyal", "repeat")
    return ibis.cases(
        (prospect, "prospect"),
        (classifier.new_threshold_ >= T, "new"),
        (lapsed, "lapsed"),
        (at_risk, "at_risk"),
        (frequency == 0, "new"),
        (loyal, loyal_stage),
        else_="repeat",
    )
