"""The hand-worked year of docs/loyalty.md, checked number by number.

Program: tiers Base 0 / Silver 500 / Gold 2,000 on quarterly spend (window "QS", reviews on
1 Apr, 1 Jul, 1 Oct, 1 Jan), 1 point per unit, app purchases x2, referral rows +250 points,
points expire 6 months after the day they are earned, grace of one review, soft landing.
Evaluated on 2024-12-31 (next review 2025-01-01).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models.loyalty import LoyaltyProgram

ROWS = [
    # customer, date, amount, channel, type
    ("ana", "2024-02-01", 300, "store", "purchase"),
    ("ana", "2024-05-10", 600, "app", "purchase"),
    ("ana", "2024-08-01", 200, "store", "purchase"),
    ("ana", "2024-10-20", 1900, "store", "purchase"),
    ("ana", "2024-11-30", 610, "store", "purchase"),
    ("ana", "2024-12-10", -200, "store", "refund"),
    ("ben", "2024-01-15", 2500, "store", "purchase"),
    ("ben", "2024-04-20", 100, "store", "purchase"),
    ("ben", "2024-07-05", 0, "app", "referral"),
    ("ben", "2024-12-01", 50, "store", "purchase"),
    ("cruz", "2024-03-01", 800, "store", "purchase"),
    ("cruz", "2024-05-01", 100, "store", "purchase"),
    ("cruz", "2024-09-01", 120, "store", "purchase"),
    ("dee", "2024-06-01", 2000, "store", "purchase"),
    ("dee", "2024-09-15", 400, "store", "purchase"),
    ("eve", "2024-02-01", 100, "store", "purchase"),
    ("eve", "2024-09-01", -100, "store", "refund"),
]


@pytest.fixture
def transactions() -> pd.DataFrame:
    tx = pd.DataFrame(ROWS, columns=["customer_id", "date", "amount", "channel", "type"])
    tx["date"] = pd.to_datetime(tx["date"])
    tx["amount"] = tx["amount"].astype(float)
    return tx


@pytest.fixture
def program() -> LoyaltyProgram:
    return LoyaltyProgram(
        [("Base", 0), ("Silver", 500), ("Gold", 2000)],
        window="QS",
        multipliers={"channel": {"app": 2}},
        bonuses={"type": {"referral": 250}},
        expiry_months=6,
        grace_periods=1,
        soft_landing=True,
    )


def test_worked_year_tiers_and_reasons(program, transactions):
    result = program.tiers_at(transactions, as_of="2024-12-31")
    # ana: Q1 300 -> Base. 10 May +600 (Q2 = 600) -> Silver at once. Review 1 Jul: Q2 600
    # >= 500, Silver held. Q3 200 -> review 1 Oct: 200 < 500, grace (1 of 1), Silver kept.
    # Q4: 20 Oct 1,900 (still Silver), 30 Nov +610 = 2,510 -> Gold at once; 10 Dec refund
    # -200 -> Q4 = 2,310, still >= 2,000: qualified on the current window.
    # ben: 15 Jan 2,500 -> Gold. 1 Apr: Q1 2,500 held. Q2 100 -> 1 Jul grace (1 of 1).
    # Q3 0 (a referral row only) -> 1 Oct: grace used up, earns Base, soft landing -> Silver.
    # Q4 50 < 500: the tier comes from that review.
    # cruz: 1 Mar 800 -> Silver. 1 Apr held. Q2 100 -> 1 Jul grace. Q3 120 -> 1 Oct:
    # earns Base; soft landing allows Base (one tier down) -> plain downgrade to Base.
    # dee: 1 Jun 2,000 (exactly the threshold) -> Gold. 1 Jul held. Q3 400 -> 1 Oct grace.
    # eve: 100 then a -100 refund -> Base, current quarter 0.
    expected_tier = {"ana": "Gold", "ben": "Silver", "cruz": "Base", "dee": "Gold", "eve": "Base"}
    assert result["tier"].astype(str).to_dict() == expected_tier
    assert result["qualifying_value"].to_dict() == {
        "ana": 2310.0,
        "ben": 50.0,
        "cruz": 0.0,
        "dee": 0.0,
        "eve": 0.0,
    }
    reasons = result["reason"].to_dict()
    assert reasons["ana"] == (
        "qualified: spend 2,310 >= Gold 2,000 in window 2024-10-01..2024-12-31"
    )
    assert reasons["ben"] == (
        "soft landing: spend 0 in window 2024-07-01..2024-09-30 at the review on 2024-10-01 "
        "earns Base; dropped one tier from Gold to Silver"
    )
    assert reasons["cruz"] == (
        "downgraded: spend 120 in window 2024-07-01..2024-09-30 at the review on 2024-10-01 "
        "earns Base; dropped from Silver"
    )
    assert reasons["dee"] == (
        "grace: spend 400 < Gold 2,000 in window 2024-07-01..2024-09-30 at the review on "
        "2024-10-01; tier kept under grace (1 of 1)"
    )
    assert reasons["eve"] == (
        "entry tier: spend 0 in window 2024-10-01..2024-12-31 (below Silver 500)"
    )


def test_worked_year_next_tier_amounts(program, transactions):
    result = program.tiers_at(transactions, as_of="2024-12-31")
    # next tier: Gold is the top (missing); ben needs 2,000 - 50 = 1,950 for Gold and
    # 500 - 50 = 450 to keep Silver at the next review; dee needs 2,000 to keep Gold.
    assert result["next_tier"].isna().tolist() == [True, False, False, True, False]
    assert result["next_tier"].dropna().astype(str).tolist() == ["Gold", "Silver", "Silver"]
    np.testing.assert_array_equal(
        result["amount_to_next_tier"].to_numpy(), [np.nan, 1950.0, 500.0, np.nan, 500.0]
    )
    np.testing.assert_array_equal(
        result["amount_to_keep_tier"].to_numpy(), [0.0, 450.0, 0.0, 2000.0, 0.0]
    )


def test_worked_year_points(program, transactions):
    result = program.tiers_at(transactions, as_of="2024-12-31")
    # ana: lots 300 (1 Feb, expires 1 Aug), 600 x2 app = 1,200 (10 May, expires 10 Nov),
    # 200 (1 Aug, expires 1 Feb 2025), 1,900 (20 Oct, expires 20 Apr 2025), 610 (30 Nov).
    # By 10 Dec the first two lots expired (1,500 points); the -200 refund takes the oldest
    # remaining lot, the 200 of 1 Aug. Balance 1,900 + 610 = 2,510; next to expire: 1,900
    # on 2025-04-20.
    # ben: 2,500 (expires 15 Jul), 100 (expires 20 Oct), referral 250 (5 Jul, expires
    # 5 Jan 2025), 50 (1 Dec). Balance 250 + 50 = 300; next: 250 on 2025-01-05.
    # cruz: 800 (expires 1 Sep), 100 (expires 1 Nov), 120 (expires 1 Mar 2025): 120 left.
    # dee: 2,000 (expired 1 Dec), 400 (expires 15 Mar 2025): 400 left.
    # eve: 100 earned 1 Feb expired 1 Aug; the refund of 1 Sep takes back 100 points that
    # are no longer there: balance -100 (refunds exceeded the points available).
    assert result["points_balance"].to_dict() == {
        "ana": 2510.0,
        "ben": 300.0,
        "cruz": 120.0,
        "dee": 400.0,
        "eve": -100.0,
    }
    assert result["points_expiring_next"].to_dict() == {
        "ana": 1900.0,
        "ben": 250.0,
        "cruz": 120.0,
        "dee": 400.0,
        "eve": 0.0,
    }
    expected_dates = pd.to_datetime(["2025-04-20", "2025-01-05", "2025-03-01", "2025-03-15", None])
    pd.testing.assert_index_equal(
        pd.DatetimeIndex(result["points_expiry_date"]),
        expected_dates,
        check_names=False,
        exact=False,
    )


def test_worked_year_history(program, transactions):
    dates = ["2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"]
    history = program.history(transactions, as_of=dates)
    tiers = history.tiers.astype(object).where(history.tiers.notna(), None)
    assert tiers.to_dict(orient="list") == {
        pd.Timestamp("2024-03-31"): ["Base", "Gold", "Silver", None, "Base"],
        pd.Timestamp("2024-06-30"): ["Silver", "Gold", "Silver", "Gold", "Base"],
        pd.Timestamp("2024-09-30"): ["Silver", "Gold", "Silver", "Gold", "Base"],
        pd.Timestamp("2024-12-31"): ["Gold", "Silver", "Base", "Gold", "Base"],
    }
    last = history.matrix()
    # Q4: Silver -> Gold (ana), Gold -> Silver (ben), Silver -> Base (cruz),
    # Gold -> Gold (dee), Base -> Base (eve).
    assert last.loc["Silver", "Gold"] == 1
    assert last.loc["Gold", "Silver"] == 1
    assert last.loc["Silver", "Base"] == 1
    assert last.loc["Gold", "Gold"] == 1
    assert last.loc["Base", "Base"] == 1
    assert int(last.to_numpy().sum()) == 5
    first = history.matrix("2024-03-31", "2024-06-30")
    assert first.loc["(new)", "Gold"] == 1  # dee joined in Q2
    assert first.loc["Base", "Silver"] == 1


def test_evaluate_on_the_review_day_applies_the_review(program, transactions):
    # On 2024-10-01 the review has happened (start of day): ben is already Silver.
    result = program.tiers_at(transactions, as_of="2024-10-01")
    assert result.loc["ben", "tier"] == "Silver"
    assert result.loc["dee", "tier"] == "Gold"
    before = program.tiers_at(transactions, as_of="2024-09-30")
    assert before.loc["ben", "tier"] == "Gold"
