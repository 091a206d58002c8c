from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models import (
    ParameterError,
    load_cdnow_summary,
    load_cdnow_transactions,
    load_donations,
    make_transactions,
    rfm_summary,
)


def test_cdnow_master_shape_and_types():
    tx = load_cdnow_transactions()
    assert tx.shape == (69_659, 4)
    assert tx["customer_id"].nunique() == 23_570
    assert tx["date"].dtype.kind == "M"
    assert tx["date"].min() == pd.Timestamp("1997-01-01")
    assert tx["date"].max() == pd.Timestamp("1998-06-30")
    # First purchases all fall in the first quarter of 1997 (the CDNOW cohort).
    assert tx.groupby("customer_id")["date"].min().max() <= pd.Timestamp("1997-03-31")


def test_cdnow_sample_uses_its_own_ids(cdnow_sample_transactions):
    tx = cdnow_sample_transactions
    assert tx.shape == (6_919, 4)
    assert sorted(tx["customer_id"].unique()) == list(range(1, 2358))


def test_cdnow_summary_matches_published_totals(cdnow_summary):
    s = cdnow_summary
    assert s.shape == (2357, 4)
    assert s.attrs["time_unit"] == "W"
    # Fader, Hardie & Lee (2005): 946 repeat buyers, 2,457 repeat transactions in calibration.
    assert int((s["frequency"] > 0).sum()) == 946
    assert int(s["frequency"].sum()) == 2457


def test_donations_patterns():
    d = load_donations()
    assert int(d["weight"].sum()) == 11_104
    assert (d["recency"] <= d["n_periods"]).all()
    assert ((d["frequency"] == 0) == (d["recency"] == 0)).all()


def test_loaders_return_fresh_frames():
    a = load_cdnow_summary()
    a.iloc[0, 0] = 99
    assert load_cdnow_summary().iloc[0, 0] == 2


def test_make_transactions_is_seeded_and_shaped():
    a = make_transactions(2_000, random_state=7)
    b = make_transactions(2_000, random_state=7)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(make_transactions(2_000, random_state=8))
    assert a["customer_id"].nunique() == 2_000
    assert a["date"].between(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31")).all()
    first = a.groupby("customer_id")["date"].min()
    assert first.max() < pd.Timestamp("2024-01-01") + pd.Timedelta(days=182)
    assert (a["amount"] > 0).all()
    assert a.equals(a.sort_values(["customer_id", "date"], kind="stable"))


def test_make_transactions_follows_bg_nbd_expectation():
    """The mean number of repeat purchases matches the BG/NBD population expectation.

    With no dropout (b huge relative to a), repeat purchases of a customer observed for t weeks
    are NBD with mean r * t / alpha; compare on a fixed observation length.
    """
    r, alpha = 2.0, 8.0
    tx = make_transactions(
        20_000,
        params={"r": r, "alpha": alpha, "a": 1e-3, "b": 1e3},
        start="2024-01-01",
        end="2024-12-30",
        acquisition_days=1,
        random_state=3,
    )
    # Purchases are at day resolution; count transactions, not distinct days.
    repeats = tx.groupby("customer_id").size() - 1
    weeks = 365 / 7
    assert repeats.mean() == pytest.approx(r * weeks / alpha, rel=0.03)
    # NBD variance: mean + mean^2 / r.
    mean = r * weeks / alpha
    assert repeats.var() == pytest.approx(mean + mean**2 / r, rel=0.06)


def test_make_transactions_spend_follows_gamma_gamma():
    p, q, v = 6.0, 4.0, 15.0
    tx = make_transactions(20_000, params={"p": p, "q": q, "v": v}, random_state=5)
    # E[z] = p * v / (q - 1) over customers and transactions.
    per_customer = tx.groupby("customer_id")["amount"].first()
    assert per_customer.mean() == pytest.approx(p * v / (q - 1), rel=0.03)


def test_make_transactions_feeds_rfm_summary():
    tx = make_transactions(500, random_state=1)
    s = rfm_summary(tx, value_col="amount", time_unit="W")
    assert len(s) == 500
    assert np.isfinite(s[["frequency", "recency", "T", "monetary_value"]].to_numpy()).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"params": {"rr": 1.0}}, "unknown keys"),
        ({"params": {"r": -1.0}}, r"params\['r'\] must be .*> 0"),
        ({"start": "2024-01-01", "end": "2023-01-01"}, "start < end"),
    ],
)
def test_make_transactions_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        make_transactions(10, **kwargs)


def test_make_transactions_process_choice():
    bg = make_transactions(20_000, process="bgnbd", random_state=1)
    mbg = make_transactions(20_000, process="mbgnbd", random_state=1)
    # BG/NBD customers cannot leave after their first purchase, so more of them buy again
    repeat_share = [(t.groupby("customer_id").size() > 1).mean() for t in (bg, mbg)]
    assert repeat_share[0] > repeat_share[1] + 0.02
    with pytest.raises(ParameterError, match="process"):
        make_transactions(10, process="pareto")
