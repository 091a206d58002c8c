"""Prediction parity with lifetimes, shared by the BG/NBD, MBG/NBD and Pareto/NBD tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def assert_predictions_match_lifetimes(
    model: Any,
    fitter: Any,
    data: pd.DataFrame,
    *,
    horizons: Sequence[float],
    new_customer_horizons: Sequence[float],
    rtol: float = 1e-6,
) -> None:
    """P(alive), conditional expected purchases at each horizon and new-customer expectations."""
    x, t_x, T = (data[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    np.testing.assert_allclose(
        model.probability_alive(data).to_numpy(),
        fitter.conditional_probability_alive(x, t_x, T),
        rtol=rtol,
    )
    for t in horizons:
        np.testing.assert_allclose(
            model.expected_purchases(data, t=t).to_numpy(),
            fitter.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T),
            rtol=rtol,
        )
    ts = np.asarray(new_customer_horizons, dtype=float)
    np.testing.assert_allclose(
        model.expected_purchases_new_customer(t=ts),
        fitter.expected_number_of_purchases_up_to_time(ts),
        rtol=rtol,
    )
