"""RFM scores of a fitted :class:`~customer_models.RFMScorer` as Ibis expressions.

The scorer's thresholds are a handful of numbers, so its scores are a sum of comparisons the
database evaluates on a summary table: ``ibis.to_sql`` prints them as SQL the warehouse can
rerun on a refreshed summary without Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from customer_models._validation import check_fitted
from customer_models.exceptions import ParameterError
from customer_models.segmentation._rfm import RFMScorer, _flip_edges
from customer_models.segmentation._rfm_segments import RFMSegmenter
from customer_models.sql._read import ibis_module

__all__ = ["rfm_score_expressions", "rfm_segment_expression"]


def _column(table: Any, name: Any, argument: str) -> Any:
    if not isinstance(name, str):
        raise ParameterError(
            f"the scorer's {argument} is {name!r}: a database table is read by column name, "
            f"so fit the scorer with {argument}='<column name>'."
        )
    if name not in table.columns:
        raise ParameterError(f"table has no column {name!r} (columns: {list(table.columns)}).")
    return table[name].cast("float64")


def rfm_score_expressions(scorer: RFMScorer, table: Any) -> dict[str, Any]:
    """Return the scores of a fitted ``RFMScorer`` as Ibis expressions over a summary table.

    Each score is ``1 + (number of thresholds the oriented value reaches)``, the rule of
    ``RFMScorer.transform``; ``rfm_score`` combines them as the scorer does (digits or sum).
    A NULL input gives NULL scores (``transform`` refuses missing values).

    Parameters
    ----------
    scorer : RFMScorer
        Fitted, with its columns given by name.
    table : ibis.expr.types.Table
        A customer summary with those columns.

    Returns
    -------
    dict of str to ibis expression
        ``r_score``, ``f_score``, ``m_score`` (if the scorer has one) and ``rfm_score``, in
        the order of ``scorer.get_feature_names_out()``; pass to ``table.select(**exprs)``.

    Examples
    --------
    >>> import customer_models as cm
    >>> from customer_models.sql import memtable, rfm_score_expressions
    >>> summary = cm.load_cdnow_summary()
    >>> scorer = cm.RFMScorer().fit(summary)
    >>> table = memtable(summary)
    >>> sql = table.select("customer_id", **rfm_score_expressions(scorer, table))
    >>> sql.order_by("customer_id").limit(3).to_pyarrow()["rfm_score"].to_pylist()
    [533, 122, 111]
    >>> scorer.transform(summary.head(3))[:, -1].tolist()
    [533, 122, 111]
    """
    ibis = ibis_module()
    if not isinstance(scorer, RFMScorer):
        raise ParameterError(f"scorer must be a fitted RFMScorer, got {type(scorer).__name__}.")
    check_fitted(scorer, "bin_edges_")
    recency = _column(table, scorer.recency_col, "recency_col")
    values = {
        "r_score": -(
            _column(table, scorer.T_col, "T_col") - recency if scorer.T_col is not None else recency
        ),
        "f_score": _column(table, scorer.frequency_col, "frequency_col"),
    }
    if "m_score" in scorer.bin_edges_:
        values["m_score"] = _column(table, scorer.monetary_col, "monetary_col")
    scores: dict[str, Any] = {}
    for name, oriented in values.items():
        edges = _flip_edges(name, np.asarray(scorer.bin_edges_[name], dtype=np.float64))
        score = ibis.literal(1)
        for edge in edges:  # a few thresholds (n_bins - 1), not a loop over customers
            score = score + ibis.ifelse(oriented >= float(edge), 1, 0)
        # a missing value scores NULL, not 1 (CASE WHEN NULL >= e is false)
        scores[name] = oriented.isnull().ifelse(ibis.null("int64"), score.cast("int64"))
    parts = list(scores.values())
    if scorer.combined == "sum":
        combined = sum(parts[1:], parts[0])
    else:
        combined = parts[0]
        for part in parts[1:]:
            combined = combined * 10 + part
    scores["rfm_score"] = combined.cast("int64")
    return scores


def rfm_segment_expression(segmenter: RFMSegmenter, table: Any) -> Any:
    """Return the RFM segment of every row of a summary table as an Ibis expression.

    The segmenter's scores (:func:`rfm_score_expressions` of its ``scorer_``), its ``fm``
    score ``(f + m + 1) // 2`` (round half up) and one ``CASE`` over its segment map, whose
    rectangles partition the score grid: equal to ``segmenter.assign`` (as strings).

    Parameters
    ----------
    segmenter : RFMSegmenter
        Fitted, with its scorer's columns given by name.
    table : ibis.expr.types.Table
        As in :func:`rfm_score_expressions`.

    Returns
    -------
    ibis.expr.types.StringColumn
        One of ``segmenter.segments_`` per row (NULL where an input is NULL).

    Examples
    --------
    >>> import customer_models as cm
    >>> from customer_models.sql import memtable, rfm_segment_expression
    >>> summary = cm.load_cdnow_summary()
    >>> segmenter = cm.RFMSegmenter().fit(summary)
    >>> table = memtable(summary)
    >>> sql = table.select("customer_id", segment=rfm_segment_expression(segmenter, table))
    >>> sql.order_by("customer_id").limit(2).to_pyarrow()["segment"].to_pylist()
    ['Potential Loyalists', 'Lost']
    >>> segmenter.assign(summary.head(2)).astype(str).tolist()
    ['Potential Loyalists', 'Lost']
    """
    ibis = ibis_module()
    if not isinstance(segmenter, RFMSegmenter):
        raise ParameterError(
            f"segmenter must be a fitted RFMSegmenter, got {type(segmenter).__name__}."
        )
    check_fitted(segmenter, "segment_map_")
    scores = rfm_score_expressions(segmenter.scorer_, table)
    dims = {"r": scores["r_score"], "f": scores["f_score"]}
    if "m_score" in scores:
        dims["m"] = scores["m_score"]
        dims["fm"] = (scores["f_score"] + scores["m_score"] + 1) // 2
    else:
        dims["fm"] = scores["f_score"]
    branches = []
    for name, spec in segmenter.segment_map_.items():  # a few segments, not customers
        inside = ibis.literal(True)
        for dim, (low, high) in spec.items():
            inside = inside & dims[dim].between(int(low), int(high))
        branches.append((inside, name))
    return ibis.cases(*branches, else_=ibis.null("string"))
