"""Holdout evaluation of valuation models: errors, tracking, frequency fit, splits.

Everything here works on the customer summary of :func:`customer_models.rfm_summary` /
:func:`customer_models.calibration_holdout_split` and a fitted valuation model.
"""

from __future__ import annotations

from customer_models.evaluation._compare import ModelComparison, compare_models
from customer_models.evaluation._holdout import (
    HoldoutEvaluation,
    evaluate_holdout,
    frequency_fit,
)
from customer_models.evaluation._metrics import gini, reliability_table, top_share
from customer_models.evaluation._regularity import estimate_regularity
from customer_models.evaluation._split import split_customers
from customer_models.evaluation._tracking import transaction_tracking

__all__ = [
    "HoldoutEvaluation",
    "ModelComparison",
    "compare_models",
    "estimate_regularity",
    "evaluate_holdout",
    "frequency_fit",
    "gini",
    "reliability_table",
    "split_customers",
    "top_share",
    "transaction_tracking",
]
