"""Customer segmentation: RFM scores and segments, rule, value and cluster segments.

Every segmenter is a scikit-learn estimator over the customer summary (or any customer table
joined to it). ``predict`` returns integer segment codes; ``assign`` returns the segment
names as a categorical Series on the input's index. Helpers build behavioural features from
transactions and describe, compare and explain segments.
"""

from __future__ import annotations

from customer_models.segmentation._behavior import behavior_features
from customer_models.segmentation._explain import SegmentExplanation, explain_segments
from customer_models.segmentation._kmeans import KMeansSegmenter
from customer_models.segmentation._profile import segment_migration, segment_profile
from customer_models.segmentation._rfm import RFMScorer
from customer_models.segmentation._rfm_segments import DEFAULT_RFM_SEGMENTS, RFMSegmenter
from customer_models.segmentation._rules import RuleSegmenter, band_rules
from customer_models.segmentation._value import ValueSegmenter

__all__ = [
    "DEFAULT_RFM_SEGMENTS",
    "KMeansSegmenter",
    "RFMScorer",
    "RFMSegmenter",
    "RuleSegmenter",
    "SegmentExplanation",
    "ValueSegmenter",
    "band_rules",
    "behavior_features",
    "explain_segments",
    "segment_migration",
    "segment_profile",
]
