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
from customer_models.summary import calibration_holdout_split
from customer_models.valuation import BetaGeoModel

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


@pytest.fixture(scope="session")
def cdnow_holdout(cdnow_sample_transactions: pd.DataFrame) -> pd.DataFrame:
    """CDNOW sample: calibration to 1997-09-30, holdout to 1998-06-30, weeks, with spend.

    Shared by the evaluation and plotting tests, split once per session.
    """
    return calibration_holdout_split(
        cdnow_sample_transactions,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit="W",
        value_col="amount",
    )


@pytest.fixture(scope="session")
def cdnow_bgnbd(cdnow_holdout: pd.DataFrame) -> BetaGeoModel:
    """BG/NBD fitted on the calibration period of ``cdnow_holdout``."""
    return BetaGeoModel().fit(cdnow_holdout)


def pytest_ignore_collect(collection_path, config):
    """Do not collect conftest files as doctest modules (several share the basename)."""
    if collection_path.name == "conftest.py":
        return True
    return None


def _reason(report: pytest.TestReport) -> str:
    """The reason of a skip or xfail, without the test-specific location."""
    if hasattr(report, "wasxfail"):
        return f"xfail: {report.wasxfail or 'no reason given'}"
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return f"skipped: {str(longrepr[2]).removeprefix('Skipped: ')}"
    return f"skipped: {longrepr}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per skip/xfail reason with its count (``-rfE`` lists only failures/errors)."""
    groups: dict[str, int] = {}
    for key in ("skipped", "xfailed", "xpassed"):
        for report in terminalreporter.stats.get(key, []):
            reason = _reason(report)
            groups[reason] = groups.get(reason, 0) + 1
    if groups:
        terminalreporter.section("skips and expected failures, by reason")
        for reason, count in sorted(groups.items(), key=lambda item: (-item[1], item[0])):
            terminalreporter.write_line(f"{count:5d}  {reason}")
