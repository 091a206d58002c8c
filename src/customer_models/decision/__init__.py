"""Decisions from scores: scorecards and grades, a customer health score, alerts.

- :class:`Scorecard` turns customer columns into points per criterion and A/B/C/D grades,
  declared as data, validated, explainable and saved as versioned JSON;
- :func:`health_components` and :class:`HealthScore` combine P(alive), the model's
  expectation against the customer's own rhythm, spend trend, feedback and tier into one
  0-100 score, with weights set or fitted on a later churn label, and back-tested with
  :func:`~customer_models.churn.evaluate_churn`;
- :func:`snapshot_alerts` compares two snapshots and returns one row per alert with its
  reason and numbers (:class:`AliveDrop`, :class:`GradeDrop`,
  :class:`PurchasesBelowExpected`, :class:`TierAtRisk`), each rule reporting how often it
  fired, capped against floods.
"""

from __future__ import annotations

from customer_models.decision._alert_rules import (
    AliveDrop,
    GradeDrop,
    PurchasesBelowExpected,
    TierAtRisk,
)
from customer_models.decision._alerts import AlertReport, snapshot_alerts
from customer_models.decision._budget import BudgetPlan, allocate_budget, incremental_value
from customer_models.decision._components import health_components
from customer_models.decision._health import HealthScore
from customer_models.decision._scorecard import Scorecard
from customer_models.decision._uplift import TwoModelUplift, XLearnerUplift
from customer_models.decision._uplift_curves import auuc, qini_curve, uplift_curve

__all__ = [
    "AlertReport",
    "AliveDrop",
    "BudgetPlan",
    "GradeDrop",
    "HealthScore",
    "PurchasesBelowExpected",
    "Scorecard",
    "TierAtRisk",
    "TwoModelUplift",
    "XLearnerUplift",
    "allocate_budget",
    "auuc",
    "health_components",
    "incremental_value",
    "qini_curve",
    "snapshot_alerts",
    "uplift_curve",
]
