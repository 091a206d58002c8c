"""Shared fixtures: the bundled data sets are read once per session.

Hypothesis profiles: the default explores new random examples on every run; ``ci``
(``HYPOTHESIS_PROFILE=ci``, set by ``.ci/run``) replays a fixed set, so a landing never
depends on luck. ``rotating`` (``HYPOTHESIS_PROFILE=rotating``) is deterministic for a given
commit but different for every commit: the seed is ``HYPOTHESIS_SEED`` if set, else the first
12 hex digits of ``git rev-parse HEAD``, and tests that do not fix ``max_examples`` (the
valuation invariants) get 4x the default budget. A failure prints the seed and a reproduction
blob; pin the example with ``@example`` before landing the fix.
"""

from __future__ import annotations

import os
import subprocess

import pandas as pd
import pytest
from hypothesis import settings

from customer_models.datasets import load_cdnow_summary, load_cdnow_transactions

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("rotating", max_examples=400, print_blob=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def _rotating_seed() -> int:
    """The rotating profile's seed: ``HYPOTHESIS_SEED``, else derived from the commit."""
    explicit = os.environ.get("HYPOTHESIS_SEED")
    if explicit:
        return int(explicit)
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=os.path.dirname(__file__),
        ).stdout.strip()
        return int(head[:12], 16)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return 0


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Under ``HYPOTHESIS_PROFILE=rotating``, seed Hypothesis (before its plugin reads it)."""
    rotating = os.environ.get("HYPOTHESIS_PROFILE") == "rotating"
    if rotating and getattr(config.option, "hypothesis_seed", None) is None:
        config.option.hypothesis_seed = str(_rotating_seed())


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
