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

from customer_models.datasets import (
    load_cdnow_summary,
    load_cdnow_transactions,
    load_donations,
    make_transactions,
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
from customer_models.summary import calibration_holdout_split, rfm_summary

# --- valuation (issue 3/4) ---
# --- end valuation ---

# --- segmentation (issue 5) ---
# --- end segmentation ---

# --- lifecycle and churn (issue 6) ---
# --- end lifecycle and churn ---

# --- feedback and loyalty (issue 7) ---
# --- end feedback and loyalty ---

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "CustomerModelsError",
    "DataValidationError",
    "MissingColumnError",
    "ModelFileError",
    "NotFittedError",
    "ParameterError",
    "__version__",
    "calibration_holdout_split",
    "load_cdnow_summary",
    "load_cdnow_transactions",
    "load_donations",
    "make_transactions",
    "rfm_summary",
]
