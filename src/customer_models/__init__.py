"""customer_models: customer analytics over pandas.

RFM and CLV valuation (buy-till-you-die models), segmentation, lifecycle stages, churn,
feedback metrics (NPS, CSAT, CES) and loyalty tiers, all on one spine: the customer summary,
a DataFrame indexed by customer id (see :func:`rfm_summary`).

Everything public is importable from here::

    >>> import customer_models as cm
    >>> summary = cm.rfm_summary(cm.load_cdnow_transactions(sample=True), value_col="amount")
    >>> len(summary)
    2357
"""

from __future__ import annotations

from customer_models._version import __version__
from customer_models.churn import (
    ChurnClassifier,
    ChurnEvaluation,
    PAliveChurnScorer,
    churn_dataset,
    churn_features,
    cohort_retention,
    evaluate_churn,
    kaplan_meier,
    retention_targets,
)
from customer_models.datasets import (
    load_cdnow_summary,
    load_cdnow_transactions,
    load_donations,
    make_transactions,
)
from customer_models.evaluation import (
    HoldoutEvaluation,
    evaluate_holdout,
    frequency_fit,
    split_customers,
    transaction_tracking,
)
from customer_models.exceptions import (
    ConvergenceWarning,
    CustomerModelsError,
    DataValidationError,
    MissingColumnError,
    ModelFileError,
    NotFittedError,
    ParameterError,
)
from customer_models.feedback import (
    CESResult,
    CSATResult,
    FeedbackResult,
    NPSResult,
    NPSTestResult,
    ces,
    csat,
    feedback_summary,
    key_drivers,
    nps,
    nps_test,
)
from customer_models.lifecycle import LifecycleStageClassifier, stage_transitions, stages_at
from customer_models.loyalty import LoyaltyProgram, TierHistory
from customer_models.segmentation import (
    KMeansSegmenter,
    RFMScorer,
    RFMSegmenter,
    RuleSegmenter,
    SegmentExplanation,
    ValueSegmenter,
    band_rules,
    behavior_features,
    explain_segments,
    segment_migration,
    segment_profile,
)
from customer_models.summary import calibration_holdout_split, rfm_summary, with_time_unit
from customer_models.valuation import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    ConvergenceReport,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeoModel,
    ValuationModel,
    confidence_interval,
    customer_lifetime_value,
    load_model,
    next_purchase_cdf,
    next_purchase_quantile,
    prediction_interval,
    probability_alive_at,
    purchase_distribution,
    purchase_pmf,
    value_distribution,
)

__all__ = [
    "BetaGeoBetaBinomModel",
    "BetaGeoModel",
    "CESResult",
    "CSATResult",
    "ChurnClassifier",
    "ChurnEvaluation",
    "ConvergenceReport",
    "ConvergenceWarning",
    "CustomerModelsError",
    "DataValidationError",
    "FeedbackResult",
    "GammaGammaModel",
    "HoldoutEvaluation",
    "KMeansSegmenter",
    "LifecycleStageClassifier",
    "LoyaltyProgram",
    "MissingColumnError",
    "ModelFileError",
    "ModifiedBetaGeoModel",
    "NPSResult",
    "NPSTestResult",
    "NotFittedError",
    "PAliveChurnScorer",
    "ParameterError",
    "ParetoNBDModel",
    "RFMScorer",
    "RFMSegmenter",
    "RuleSegmenter",
    "SegmentExplanation",
    "ShiftedBetaGeoModel",
    "TierHistory",
    "ValuationModel",
    "ValueSegmenter",
    "__version__",
    "band_rules",
    "behavior_features",
    "calibration_holdout_split",
    "ces",
    "churn_dataset",
    "churn_features",
    "cohort_retention",
    "confidence_interval",
    "csat",
    "customer_lifetime_value",
    "evaluate_churn",
    "evaluate_holdout",
    "explain_segments",
    "feedback_summary",
    "frequency_fit",
    "kaplan_meier",
    "key_drivers",
    "load_cdnow_summary",
    "load_cdnow_transactions",
    "load_donations",
    "load_model",
    "make_transactions",
    "next_purchase_cdf",
    "next_purchase_quantile",
    "nps",
    "nps_test",
    "prediction_interval",
    "probability_alive_at",
    "purchase_distribution",
    "purchase_pmf",
    "retention_targets",
    "rfm_summary",
    "segment_migration",
    "segment_profile",
    "split_customers",
    "stage_transitions",
    "stages_at",
    "transaction_tracking",
    "value_distribution",
    "with_time_unit",
]
