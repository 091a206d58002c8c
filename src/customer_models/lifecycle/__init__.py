"""Lifecycle stages (prospect, new, repeat, loyal, at_risk, lapsed) and the flow between them."""

from __future__ import annotations

from customer_models.lifecycle._codes import STAGE_DTYPE, STAGES
from customer_models.lifecycle._stages import LifecycleStageClassifier
from customer_models.lifecycle._transitions import stage_transitions, stages_at

__all__ = ["STAGES", "STAGE_DTYPE", "LifecycleStageClassifier", "stage_transitions", "stages_at"]
