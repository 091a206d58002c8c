"""Survey feedback metrics: NPS, CSAT and CES with confidence intervals, by group and over time.

Every function validates the answers (scale, whole numbers, missing values) and reports what it
dropped; the grouped summary is vectorized over groups.
"""

from __future__ import annotations

from customer_models.feedback._ces import ces
from customer_models.feedback._csat import csat
from customer_models.feedback._drivers import key_drivers
from customer_models.feedback._nps import nps, nps_test
from customer_models.feedback._result import (
    CESResult,
    CSATResult,
    FeedbackResult,
    NPSResult,
    NPSTestResult,
)
from customer_models.feedback._summary import feedback_summary

__all__ = [
    "CESResult",
    "CSATResult",
    "FeedbackResult",
    "NPSResult",
    "NPSTestResult",
    "ces",
    "csat",
    "feedback_summary",
    "key_drivers",
    "nps",
    "nps_test",
]
