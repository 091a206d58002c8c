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


def pytest_ignore_collect(collection_path, config):
    """Do not collect conftest files as doctest modules (several share the basename)."""
    if collection_path.name == "conftest.py":
        return True
    return None
