"""The CDNOW-sample calibration/holdout split and its BG/NBD fit, shared by the evaluation and
plotting tests (``pytest_plugins = ["_cdnow_holdout"]``): split and fitted once per session.
"""

from __future__ import annotations

import pandas as pd
import pytest

from customer_models import calibration_holdout_split
from customer_models.valuation import BetaGeoModel


@pytest.fixture(scope="session")
def cdnow_holdout(cdnow_sample_transactions: pd.DataFrame) -> pd.DataFrame:
    """Calibration to 1997-09-30, holdout to 1998-06-30 (39 weeks), in weeks, with spend."""
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
