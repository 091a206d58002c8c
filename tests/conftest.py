"""Shared fixtures: the bundled data sets are read once per session."""

from __future__ import annotations

import pandas as pd
import pytest

from customer_models.datasets import load_cdnow_summary, load_cdnow_transactions


@pytest.fixture(scope="session")
def cdnow_sample_transactions() -> pd.DataFrame:
    return load_cdnow_transactions(sample=True)


@pytest.fixture(scope="session")
def cdnow_summary() -> pd.DataFrame:
    return load_cdnow_summary()
