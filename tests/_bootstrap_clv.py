"""A seeded bootstrap CLV call the interval and progress tests share (test helper)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from customer_models.valuation import customer_lifetime_value


def bootstrap_clv(
    transaction_model: Any,
    spend_model: Any,
    data: pd.DataFrame,
    fit_data: pd.DataFrame,
    *,
    horizon: float,
    n_draws: int,
    **options: Any,
) -> pd.DataFrame:
    """``customer_lifetime_value`` with a 90% bootstrap interval: ``n_draws`` refits of both
    models on ``fit_data``, ``random_state=0``; ``options`` are its other keywords."""
    return customer_lifetime_value(
        transaction_model,
        spend_model,
        data,
        horizon=horizon,
        confidence=0.9,
        method="bootstrap",
        n_draws=n_draws,
        fit_data=fit_data,
        random_state=0,
        **options,
    )
