"""Loyalty dates: cut-offs are whole days, formats are read without guessing, nothing wraps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.tseries.frequencies import to_offset

from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.loyalty import LoyaltyProgram
from customer_models.loyalty._calendar import _EPOCH, add_months, boundaries, day_of

TIERS = [("Base", 0), ("Silver", 500), ("Gold", 2000)]
Y10K_DEC31 = pd.Timestamp(np.datetime64("10000-12-31", "us"))  # beyond what strings parse
TX = pd.DataFrame(
    {
        "customer_id": [1, 1, 2, 2],
        "date": pd.to_datetime(
            ["2024-01-05 09:00", "2024-03-10 18:30", "2024-02-01 12:00", "2024-03-11 08:00"]
        ),
        "amount": [300.0, 250.0, 40.0, 2000.0],
    }
)


def test_as_of_is_a_whole_day_and_periods_mean_their_last_day():
    program = LoyaltyProgram(TIERS, window="365D", expiry_months=12)
    # The 18:30 purchase counts on the Mar 10 cut-off (before, as_of was midnight-exact
    # only through the day number; the reader keeps that meaning for any time of day).
    result = program.tiers_at(TX, as_of="2024-03-10")
    assert result.loc[1, "qualifying_value"] == 550.0
    assert result.loc[1, "tier"] == "Silver"
    assert result.loc[2, "qualifying_value"] == 40.0
    assert result.attrs["as_of"] == pd.Timestamp("2024-03-10")
    late_in_day = program.tiers_at(TX, as_of="2024-03-10 00:01")
    pd.testing.assert_frame_equal(late_in_day, result)
    by_period = program.tiers_at(TX, as_of=pd.Period("2024-03", "M"))
    pd.testing.assert_frame_equal(by_period, program.tiers_at(TX, as_of="2024-03-31"))
    assert by_period.loc[2, "tier"] == "Gold"
    history = program.history(TX, as_of=pd.period_range("2024-01", periods=3, freq="M"))
    assert history.tiers.columns.tolist() == list(
        pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31"])
    )
    assert history.tiers.loc[2].isna().tolist() == [True, False, False]
    assert history.tiers.loc[2].tolist()[1:] == ["Base", "Gold"]
    # matrix() names its dates as days; a Period ending that day picks the same pair.
    pd.testing.assert_frame_equal(
        history.matrix(from_date=pd.Period("2024-02", "M"), to_date="2024-03-31 12:00"),
        history.matrix(),
    )
    with pytest.raises(ParameterError, match="from_date"):
        history.matrix(from_date="someday")


def test_formats_time_zones_and_integer_dates():
    expected = LoyaltyProgram(TIERS).tiers_at(TX, as_of="2024-03-31")
    day_first = TX.assign(date=TX["date"].dt.strftime("%d/%m/%Y %H:%M"))
    with pytest.raises(DataValidationError, match="ambiguous"):
        LoyaltyProgram(TIERS).tiers_at(day_first, as_of="2024-03-31")
    got = LoyaltyProgram(TIERS, dayfirst=True).tiers_at(day_first, as_of="2024-03-31")
    pd.testing.assert_frame_equal(got, expected)
    ints = TX.assign(date=TX["date"].dt.strftime("%Y%m%d").astype(np.int64))
    with pytest.raises(DataValidationError, match="date_format"):
        LoyaltyProgram(TIERS).tiers_at(ints, as_of="2024-03-31")
    got = LoyaltyProgram(TIERS, date_format="%Y%m%d").tiers_at(ints, as_of="2024-03-31")
    pd.testing.assert_frame_equal(got, expected)
    # 23:00 in Sydney is still that day on the local clock (in UTC it is earlier in the day).
    aware = TX.assign(date=TX["date"].dt.normalize() + pd.Timedelta(hours=23))
    aware["date"] = aware["date"].dt.tz_localize("Australia/Sydney")
    pd.testing.assert_frame_equal(
        LoyaltyProgram(TIERS).tiers_at(aware, as_of="2024-03-31"), expected
    )
    with pytest.raises(ParameterError, match="dayfirst"):
        LoyaltyProgram(TIERS, dayfirst="yes").validate()


def test_sentinel_dates_are_dates():
    # A 9999-12-31 row used to fail ("must be a date") or overflow nanosecond timestamps in
    # the review calendar and the points expiry; it is a date like any other now.
    tx = pd.concat(
        [
            TX.assign(date=TX["date"].dt.strftime("%Y-%m-%d")),
            pd.DataFrame({"customer_id": [3], "date": ["9999-12-31"], "amount": [600.0]}),
        ],
        ignore_index=True,
    )
    program = LoyaltyProgram(TIERS, window="YS", expiry_months=12)
    early = program.tiers_at(tx, as_of="2024-03-31")
    assert 3 not in early.index
    pd.testing.assert_frame_equal(early, program.tiers_at(TX, as_of="2024-03-31"))
    late = program.tiers_at(tx)
    assert late.attrs["as_of"] == pd.Timestamp("9999-12-31")
    assert late.attrs["window"] == (pd.Timestamp("9999-01-01"), pd.Timestamp("9999-12-31"))
    assert late.loc[3, "tier"] == "Silver"
    assert late.loc[3, "points_expiry_date"] == Y10K_DEC31
    assert late.loc[[1, 2], "tier"].tolist() == ["Base", "Base"]  # long downgraded
    assert late.attrs["next_review"] == pd.Timestamp(np.datetime64("10000-01-01", "us"))


@pytest.mark.parametrize(
    "freq", ["YS", "YS-APR", "2YS", "QS", "QS-FEB", "3QS", "MS", "2MS", "W-MON", "2W-SUN"]
)
def test_calendar_boundaries_match_pandas(freq):
    offset = to_offset(freq)
    rng = np.random.default_rng(len(freq))
    for first, last in np.sort(rng.integers(-40_000, 40_000, size=(40, 2)), axis=1):
        start = offset.rollback(_EPOCH + pd.Timedelta(days=min(int(first), 0)))
        end = _EPOCH + pd.Timedelta(days=int(last)) + offset
        dates = pd.date_range(start, end, freq=offset)
        expected = ((dates - _EPOCH) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
        got = boundaries(offset, int(first), int(last))
        through = np.searchsorted(expected, last, side="right") + 1  # up to one after last
        np.testing.assert_array_equal(got[:through], expected[:through])
        assert got[-1] > last >= got[-2]


def test_other_offsets_outside_nanosecond_range_are_refused():
    with pytest.raises(DataValidationError, match=r"'BMS'.*1677-09-22 and 2262-04-11"):
        boundaries(to_offset("BMS"), 0, day_of("9999-12-31"))
    # 1970-02-01 was a Sunday: the first business day of February is the 2nd (day 32).
    assert boundaries(to_offset("BMS"), 0, 40).tolist()[-2:] == [32, 60]


def test_add_months_matches_dateoffset():
    days = np.random.default_rng(0).integers(-100_000, 100_000, size=500)
    stamps = pd.DatetimeIndex(days.astype("datetime64[D]").astype("datetime64[ns]"))
    for months in (1, 11, 12, 13, 25):
        expected = (stamps + pd.DateOffset(months=months)).to_numpy().astype("datetime64[D]")
        np.testing.assert_array_equal(add_months(days, months), expected.astype(np.int64))
        np.testing.assert_array_equal(add_months(days[:10], months), expected[:10].astype(np.int64))
    far = add_months(np.array([day_of("9999-12-31"), day_of("9999-01-31")]), 13)
    assert far.astype("datetime64[D]").astype(str).tolist() == ["10001-01-31", "10000-02-29"]
