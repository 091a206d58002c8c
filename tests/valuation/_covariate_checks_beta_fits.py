"""Fit checks the BG/BB and sBG covariate tests run alike (test helper).

They assert against the row fit or the plain model's fit, with the assertions of
:mod:`_covariate_checks_beta`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _covariate_checks import assert_bad_covariate_data_refused
from _covariate_checks_beta import assert_likelihood_ratio_test, assert_weights_are_repeated_rows

from customer_models.exceptions import ParameterError


def assert_categorical_weights_are_repeated_rows(
    make: Callable[[], Any], simulate: Callable[[int, int], pd.DataFrame]
) -> None:
    """z1 rounded to a few levels (compressed rows): weight 2 is each row twice."""
    assert_weights_are_repeated_rows(make, simulate(3000, 8).assign(z1=lambda d: np.round(d["z1"])))


def assert_nests_the_plain_fit(
    model: Any, null: Any, data: pd.DataFrame, coefficients: list[str]
) -> None:
    """``model`` has the plain ``null`` fit's parameters then ``coefficients``, and its
    likelihood-ratio test is against ``null`` on ``len(coefficients)`` degrees of freedom."""
    assert list(model.params_.index) == [*null.params_.index, *coefficients]
    assert_likelihood_ratio_test(model, null, data, df=len(coefficients))


def assert_covariates_refused(
    make: Callable[[], Any], data: pd.DataFrame, own: Any, categorical: str = "z2"
) -> None:
    """:func:`assert_bad_covariate_data_refused`, and ``own`` (the model on one of its own
    columns as a covariate) refused when fitted."""
    assert_bad_covariate_data_refused(make, data, categorical)
    with pytest.raises(ParameterError, match="own columns"):
        own.fit(data)
