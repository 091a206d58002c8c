"""Decision test fixtures: the CDNOW calibration/holdout split and model, built once.

BLAS thread pools are limited to one thread (the machine is small and shared; results do
not depend on the thread count).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from customer_models import calibration_holdout_split, load_cdnow_transactions
from customer_models.valuation import BetaGeoModel

CALIBRATION_END = pd.Timestamp("1997-09-30")


@pytest.fixture(autouse=True)
def _single_thread() -> Iterator[None]:
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def cdnow_split() -> tuple[pd.DataFrame, BetaGeoModel]:
    """CDNOW (all 23,570 customers) in weeks: 39 calibration weeks, 39 holdout weeks.

    Adds the spend of the last 13 calibration weeks (``spend_recent``) and of the 13 weeks
    before (``spend_before``), and the label ``churned`` = no purchase in the holdout.
    """
    tx = load_cdnow_transactions()
    split = calibration_holdout_split(
        tx,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        freq="W",
        value_col="amount",
    )
    weeks = pd.Timedelta(weeks=13)
    recent = tx[(tx["date"] > CALIBRATION_END - weeks) & (tx["date"] <= CALIBRATION_END)]
    before = tx[
        (tx["date"] > CALIBRATION_END - 2 * weeks) & (tx["date"] <= CALIBRATION_END - weeks)
    ]
    split = split.assign(
        spend_recent=recent.groupby("customer_id")["amount"]
        .sum()
        .reindex(split.index, fill_value=0.0),
        spend_before=before.groupby("customer_id")["amount"]
        .sum()
        .reindex(split.index, fill_value=0.0),
        churned=(split["frequency_holdout"] == 0).astype(int),
    )
    model = BetaGeoModel().fit(split[["frequency", "recency", "T"]])
    return split, model
