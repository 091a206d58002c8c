"""Shared fixtures: the bundled data sets are read once per session.

Hypothesis profiles: the default explores new random examples on every run; ``ci``
(``HYPOTHESIS_PROFILE=ci``, set by ``.ci/run``) replays a fixed set, so a landing never
depends on luck. Examples found locally are pinned with ``@example``.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest
from hypothesis import settings

from customer_models.datasets import load_cdnow_summary, load_cdnow_transactions

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


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
