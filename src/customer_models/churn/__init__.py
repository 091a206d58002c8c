"""Churn: leakage-free training sets, a churn classifier, P(alive) scoring, retention curves.

- :func:`churn_dataset` builds features as of a cutoff and the label "no purchase in the next
  horizon" from a transaction table (several cutoffs can be stacked);
- :class:`ChurnClassifier` is a scikit-learn classifier for mixed customer tables;
- :class:`PAliveChurnScorer` turns a fitted valuation model's P(alive) into a churn risk;
- :func:`evaluate_churn` (and the ``evaluate`` methods) report ROC AUC, PR AUC, Brier score,
  lift and capture by decile and a calibration table;
- :func:`retention_targets` ranks customers by expected value at risk for a campaign;
- :func:`kaplan_meier` and :func:`cohort_retention` describe retention over time.
"""

from __future__ import annotations

from customer_models.churn._calibration import CalibratedModel
from customer_models.churn._classifier import ChurnClassifier
from customer_models.churn._dataset import churn_dataset, churn_features
from customer_models.churn._evaluate import ChurnEvaluation, evaluate_churn
from customer_models.churn._retention import cohort_retention, kaplan_meier
from customer_models.churn._scorer import PAliveChurnScorer
from customer_models.churn._targets import retention_targets

__all__ = [
    "CalibratedModel",
    "ChurnClassifier",
    "ChurnEvaluation",
    "PAliveChurnScorer",
    "churn_dataset",
    "churn_features",
    "cohort_retention",
    "evaluate_churn",
    "kaplan_meier",
    "retention_targets",
]
