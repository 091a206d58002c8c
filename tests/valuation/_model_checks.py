"""Checks the Gamma-Gamma, sBG and BdW tests all make, written once.

The hand-written gradient against central differences (their kernel modules all name the
pair ``log_likelihood_kernel`` and ``log_likelihood_gradient_kernel``), and a bad row refused
with an error that names the column and the row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from customer_models import DataValidationError


def assert_gradient_matches_central_differences(
    kernels: ModuleType, params: np.ndarray, *data: np.ndarray, rtol: float, atol: float
) -> None:
    """Each row's gradient of ``kernels.log_likelihood_gradient_kernel(params, *data)`` against
    central differences of ``kernels.log_likelihood_kernel``, step 1e-6 of each parameter."""
    _, grad = kernels.log_likelihood_gradient_kernel(params, *data)
    for j, e in enumerate(np.eye(len(params))):
        h = 1e-6 * params[j]
        num = (
            kernels.log_likelihood_kernel(params + h * e, *data)
            - kernels.log_likelihood_kernel(params - h * e, *data)
        ) / (2 * h)
        np.testing.assert_allclose(grad[:, j], num, rtol=rtol, atol=atol)


def assert_second_row_refused(
    fit: Callable[[pd.DataFrame], Any], columns: Mapping[str, list], column: str, rule: str
) -> pd.DataFrame:
    """``fit`` of the two rows "a", "b" (``columns``; "b" is bad) raises a DataValidationError
    matching ``rule`` that names ``column`` and "b"; returns the frame."""
    df = pd.DataFrame(columns, index=["a", "b"])
    with pytest.raises(DataValidationError, match=rule) as info:
        fit(df)
    assert info.value.column == column
    assert info.value.examples == ["b"]
    return df
