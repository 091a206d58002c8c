"""Hypothesis properties, and agreement with a slow per-customer oracle (loyalty_oracle.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loyalty_oracle import oracle

from customer_models.loyalty import LoyaltyProgram

START = pd.Timestamp("2024-01-01")
THRESHOLDS = [[0, 500], [0, 300, 1200], [0, 100, 400, 2000]]


@st.composite
def transactions(draw, *, refunds: bool = True) -> pd.DataFrame:
    n = draw(st.integers(1, 14))
    low = -400 if refunds else 0
    rows = {
        "customer_id": draw(
            st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=n, max_size=n)
        ),
        "date": [
            START + pd.Timedelta(days=d)
            for d in draw(st.lists(st.integers(0, 500), min_size=n, max_size=n))
        ],
        "amount": draw(st.lists(st.integers(low, 1500), min_size=n, max_size=n)),
        "channel": draw(st.lists(st.sampled_from(["store", "app"]), min_size=n, max_size=n)),
    }
    frame = pd.DataFrame(rows)
    frame["amount"] = frame["amount"].astype(float)
    return frame


@st.composite
def programs(draw, *, grace: bool = True) -> dict:
    return {
        "thresholds": draw(st.sampled_from(THRESHOLDS)),
        "window": draw(st.sampled_from(["30D", "90D", "365D", "MS", "QS", "YS"])),
        "review": draw(st.sampled_from(["MS", "QS", "YS"])),
        "grace": draw(st.integers(0, 2)) if grace else 0,
        "soft": draw(st.booleans()),
        "rate": draw(st.sampled_from([1.0, 0.5, 2.0])),
        "app": draw(st.sampled_from([0.0, 1.0, 3.0])),
        "expiry_months": draw(st.sampled_from([None, 1, 3, 12])),
    }


def build(spec: dict) -> LoyaltyProgram:
    return LoyaltyProgram(
        [(f"T{i}", t) for i, t in enumerate(spec["thresholds"])],
        window=spec["window"],
        review=spec["review"],
        grace_periods=spec["grace"],
        soft_landing=spec["soft"],
        points=spec["rate"],
        multipliers={"channel": {"app": spec["app"]}},
        expiry_months=spec["expiry_months"],
    )


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(tx=transactions(), spec=programs(), extra=st.integers(0, 200))
def test_matches_per_customer_oracle(tx, spec, extra):
    as_of = tx["date"].max() + pd.Timedelta(days=extra)
    result = build(spec).tiers_at(tx, as_of=as_of)
    expected = oracle(
        tx,
        thresholds=spec["thresholds"],
        window=spec["window"],
        review=spec["review"],
        grace=spec["grace"],
        soft=spec["soft"],
        rate=spec["rate"],
        app=spec["app"],
        expiry_months=spec["expiry_months"],
        as_of=as_of,
    )
    assert sorted(expected) == result.index.tolist()
    for customer, want in expected.items():
        row = result.loc[customer]
        assert row["tier"] == f"T{want['tier']}", (customer, row["reason"])
        assert np.isclose(row["points_balance"], want["points_balance"], atol=1e-6)
        assert np.isclose(row["points_expiring_next"], want["points_expiring_next"], atol=1e-6)
        if pd.isna(want["points_expiry_date"]):
            assert pd.isna(row["points_expiry_date"])
        else:
            assert row["points_expiry_date"] == want["points_expiry_date"]


@SETTINGS
@given(tx=transactions(), spec=programs(), seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(tx, spec, seed):
    program = build(spec)
    shuffled = tx.sample(frac=1.0, random_state=np.random.default_rng(seed))
    pd.testing.assert_frame_equal(program.tiers_at(tx), program.tiers_at(shuffled))


@SETTINGS
@given(tx=transactions(), spec=programs())
def test_inputs_are_not_mutated(tx, spec):
    before = tx.copy(deep=True)
    program = build(spec)
    program.tiers_at(tx)
    program.history(tx, as_of=[tx["date"].min(), tx["date"].max()])
    pd.testing.assert_frame_equal(tx, before)


@SETTINGS
@given(tx=transactions(), spec=programs(grace=False), factor=st.integers(1, 4))
def test_tier_is_monotone_in_spend_without_grace(tx, spec, factor):
    # Without grace (soft landing on or off), more qualifying spend anywhere never lowers a
    # tier. (With grace it can: using up a grace review on a higher tier can end lower.)
    program = build(spec)
    more = tx.assign(amount=np.where(tx["amount"] > 0, tx["amount"] * factor, tx["amount"]))
    as_of = tx["date"].max()
    base = program.tiers_at(tx, as_of=as_of)["tier"].cat.codes
    boosted = program.tiers_at(more, as_of=as_of)["tier"].cat.codes
    assert (boosted >= base).all()


@SETTINGS
@given(tx=transactions(refunds=False), spec=programs())
def test_points_never_negative_without_refunds(tx, spec):
    result = build(spec).tiers_at(tx)
    assert (result["points_balance"] >= 0).all()
    assert (result["points_expiring_next"] <= result["points_balance"] + 1e-9).all()


@SETTINGS
@given(tx=transactions(), spec=programs())
def test_history_last_date_matches_evaluate(tx, spec):
    program = build(spec)
    dates = [tx["date"].min(), tx["date"].min() + pd.Timedelta(days=100), tx["date"].max()]
    history = program.history(tx, as_of=dates)
    last = program.tiers_at(tx, as_of=tx["date"].max())["tier"]
    pd.testing.assert_series_equal(
        history.tiers[pd.Timestamp(tx["date"].max())], last, check_names=False
    )
    counts = history.migrations.groupby("to_date")["customers"].sum()
    for end, total in counts.items():
        assert total == history.tiers[end].notna().sum()
