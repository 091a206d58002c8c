"""Fit checks the BG/BB and sBG covariate tests run alike (test helper).

Each takes the model's factory (and its simulator or data) and asserts against the plain
model or the row fit, with :mod:`_covariate_checks_beta`'s assertions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from _covariate_checks_beta import assert_likelihood_ratio_test, assert_weights_are_repeated_rows


def assert_categorical_weights_are_repeated_rows(
    make: Callable[[], Any], simulate: Callable[[int, int], pd.DataFrame]
) -> None:
    """z1 rounded to a few levels (compressed rows): weight 2 is each row twice."""
    assert_weights_are_repeated_rows(make, simulate(3000, 8).assign(z1=lambda d: np.round(d["z1"])))


def assert_shared_link_against_the_plain_fit(
    make: Callable[..., Any],
    data: pd.DataFrame,
    links: dict[str, str],
    coefficients: list[str],
    plain: Any,
    history: Sequence[str],
    *,
    df: int,
) -> None:
    """``make(**links)`` fits ``coefficients`` after the plain model's parameters, and its
    likelihood-ratio test on ``df`` is against ``plain`` fitted to the ``history`` columns."""
    shared = make(**links).fit(data)
    assert list(shared.params_.index) == [*plain.param_names, *coefficients]
    null = plain.fit(data[list(history)])
    assert_likelihood_ratio_test(shared, null, data, df=df)
