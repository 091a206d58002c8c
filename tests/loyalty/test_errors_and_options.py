"""Bad programs and bad data give clear errors; the other qualifying options work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from customer_models.exceptions import (
    CustomerModelsError,
    DataValidationError,
    MissingColumnError,
    ParameterError,
)
from customer_models.loyalty import LoyaltyProgram

TIERS = [("Base", 0), ("Silver", 500), ("Gold", 2000)]


@pytest.fixture
def tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2],
            "date": pd.to_datetime(["2024-01-05", "2024-01-05", "2024-02-01", "2024-03-01"]),
            "amount": [300.0, 250.0, 40.0, 80.0],
            "nights": [1, 2, 3, 4],
            "redeemed": [0.0, 0.0, 0.0, 100.0],
        }
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tiers": [("Base", 0), ("Gold", 2000), ("Silver", 500)]}, "ascending order"),
        ({"tiers": [("Base", 0), ("Silver", 500), ("Gold", 500)]}, "strictly ascending"),
        ({"tiers": [("Silver", 500), ("Gold", 2000)]}, "must have threshold 0"),
        ({"tiers": [("Base", 0), ("Base", 10)]}, "unique"),
        ({"tiers": []}, "at least one tier"),
        ({"tiers": [("Base", 0), ("Gold", "lots")]}, "must be a number"),
        ({"tiers": [("Base", 0, 1)]}, r"\(name, threshold\) pair"),
        ({"tiers": pd.DataFrame({"level": ["Base"], "threshold": [0]})}, "'tier'"),
        ({"window": "365 days please"}, "not a valid calendar period"),
        ({"window": "YE"}, "period END"),
        ({"window": "-30D"}, "positive whole number of days"),
        ({"window": "12h"}, "positive whole number of days"),
        ({"review": "365D"}, "fixed length"),
        ({"multipliers": {"channel": {"app": -2.0}}}, "must be >= 0"),
        ({"multipliers": {"channel": 2.0}}, "map a column name"),
        ({"bonuses": {"type": {"referral": np.inf}}}, "finite"),
        ({"points": -1}, "must be >= 0"),
        ({"expiry_months": 0}, "expiry_months"),
        ({"grace_periods": -1}, "grace_periods"),
        ({"soft_landing": "yes"}, "soft_landing"),
        ({"qualifying": 3}, "qualifying"),
    ],
)
def test_invalid_programs_fail_in_validate_and_evaluate(tx, kwargs, match):
    params = {"tiers": TIERS, **kwargs}
    program = LoyaltyProgram(params.pop("tiers"), **params)  # __init__ never raises
    with pytest.raises(ParameterError, match=match):
        program.validate()
    with pytest.raises(ParameterError, match=match):
        program.tiers_at(tx)


def test_unknown_qualifying_column_names_the_closest(tx):
    with pytest.raises(
        MissingColumnError,
        match=r"qualifying='night' is not 'spend'.*no column 'night'.*Did you mean 'nights'",
    ):
        LoyaltyProgram(TIERS, qualifying="night").tiers_at(tx)


def test_missing_rule_column(tx):
    with pytest.raises(MissingColumnError, match="'channel'"):
        LoyaltyProgram(TIERS, multipliers={"channel": {"app": 2}}).tiers_at(tx)


def test_bad_data_names_rule_and_ids(tx):
    bad = tx.assign(amount=[1.0, np.nan, 2.0, 3.0])
    with pytest.raises(DataValidationError, match=r"amount must not be missing.*\[1\]"):
        LoyaltyProgram(TIERS).tiers_at(bad)
    bad = tx.assign(date=["2024-01-01", "not a date", "2024-01-02", "2024-01-03"])
    with pytest.raises(DataValidationError, match="date must be a parseable date"):
        LoyaltyProgram(TIERS).tiers_at(bad)
    bad = tx.assign(redeemed=[0.0, -5.0, 0.0, 0.0])
    with pytest.raises(DataValidationError, match="redeemed must be >= 0"):
        LoyaltyProgram(TIERS, redeemed_col="redeemed").tiers_at(bad)
    with pytest.raises(CustomerModelsError, match="as_of"):
        LoyaltyProgram(TIERS).tiers_at(tx, as_of="someday")
    with pytest.raises(ParameterError, match="as_of must be a list"):
        LoyaltyProgram(TIERS).history(tx, as_of="2024-01-01")


def test_same_day_rows_are_netted_and_dates_as_strings(tx):
    result = LoyaltyProgram(TIERS, window="365D").tiers_at(
        tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d")), as_of="2024-03-01"
    )
    # customer 1: 300 + 250 on one day = 550 -> Silver; customer 2: 40 + 80 = 120.
    assert result["qualifying_value"].tolist() == [550.0, 120.0]
    assert result["tier"].astype(str).tolist() == ["Silver", "Base"]


def test_visits_points_and_column_qualifying(tx):
    visits = LoyaltyProgram([("New", 0), ("Regular", 2)], qualifying="visits", window="365D")
    assert visits.tiers_at(tx)["qualifying_value"].tolist() == [1.0, 2.0]
    nights = LoyaltyProgram([("New", 0), ("Regular", 5)], qualifying="nights", window="365D")
    result = nights.tiers_at(tx)
    assert result["qualifying_value"].tolist() == [3.0, 7.0]
    assert result["tier"].astype(str).tolist() == ["New", "Regular"]
    points = LoyaltyProgram(
        [("Base", 0), ("Gold", 1000)],
        qualifying="points",
        points=2.0,
        window="365D",
        redeemed_col="redeemed",
    )
    result = points.tiers_at(tx)
    # points earned count for qualifying; redemptions do not reduce it, only the balance.
    assert result["qualifying_value"].tolist() == [1100.0, 240.0]
    assert result["tier"].astype(str).tolist() == ["Gold", "Base"]
    assert result["points_balance"].tolist() == [1100.0, 140.0]


def test_as_of_before_everything_gives_an_empty_frame(tx):
    result = LoyaltyProgram(TIERS).tiers_at(tx, as_of="2020-01-01")
    assert result.empty
    assert "tier" in result.columns


def test_polars_input_and_sklearn_clone(tx):
    pl = pytest.importorskip("polars")
    program = LoyaltyProgram(TIERS, window="365D")
    pd.testing.assert_frame_equal(
        program.tiers_at(pl.from_pandas(tx)), program.tiers_at(tx), check_dtype=False
    )
    copy = clone(program)
    assert copy.get_params() == program.get_params()
    assert "window='365D'" in repr(program)


def test_tiers_as_dict_and_dataframe_are_equivalent(tx):
    frame = pd.DataFrame({"tier": ["Base", "Silver", "Gold"], "threshold": [0, 500, 2000]})
    a = LoyaltyProgram(TIERS).tiers_at(tx)
    b = LoyaltyProgram(dict(TIERS)).tiers_at(tx)
    c = LoyaltyProgram(frame).tiers_at(tx)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)


def test_rule_tables_as_dataframes(tx):
    tx = tx.assign(channel=["app", "store", "app", "store"])
    rules = pd.DataFrame({"column": ["channel"], "value": ["app"], "multiplier": [3.0]})
    result = LoyaltyProgram(TIERS, window="365D", multipliers=rules).tiers_at(tx)
    assert result["points_balance"].tolist() == [900.0 + 250.0, 120.0 + 80.0]
