"""The summary on logs as shops export them: timestamps, refunds, formats, sentinels, units.

Each case here was a silently wrong answer before the one transaction reader (issue #12).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import customer_models as cm
from customer_models import calibration_holdout_split, rfm_summary, with_time_unit
from customer_models.exceptions import CustomerModelsError, DataValidationError, ParameterError

CORE = ["frequency", "recency", "T"]


# --- cut-offs are whole periods ------------------------------------------------------------
def _bgnbd_log_with_times(T, freq, size, seed):
    """BG/NBD purchases at exact (fractional) times, the process of lifetimes' generator test.

    Each customer's first purchase is at the start of period ``end - T``; the repeat purchases
    follow at ``1 + t`` periods after it, with exponential gaps ``t`` while alive (death after
    each purchase with probability p). Returns the log and the truth: distinct repeat periods,
    ceil of the last purchase time, and T.
    """
    rng = np.random.default_rng(seed)
    T = np.broadcast_to(np.asarray(T, dtype=float), (size,))
    lam = rng.gamma(0.24, 1 / 4.41, size)
    p = rng.beta(0.79, 2.43, size)
    end = pd.Timestamp("2019-01-01")
    unit = pd.Timedelta(1, unit=freq)
    rows, truth = [], []
    for i in range(size):  # a test oracle: clarity over speed
        first = end - T[i] * unit
        rows.append((i, first))
        times, t = [], rng.exponential(1 / lam[i])
        while t < T[i]:
            times.append(t)
            if rng.random() < p[i]:
                break
            t += rng.exponential(1 / lam[i])
        rows += [(i, first + (1 + u) * unit) for u in times]
        truth.append((len({int(u) for u in times}), np.ceil(max(times, default=0.0)), T[i]))
    log = pd.DataFrame(rows, columns=["customer_id", "date"])
    return log, pd.DataFrame(truth, columns=CORE)


@pytest.mark.parametrize(
    ("T", "freq", "size"),
    [(100, "D", 500), ([400, 200, 5, 103, 198, 401], "D", 6), (100, "h", 500)],
)
def test_summary_of_exact_purchase_times_matches_the_simulation(T, freq, size):
    # The setting of lifetimes' generator test (test_generate_data.py,
    # test_beta_geometric_nbd_model_transactional_data): purchases at times of day up to the
    # observation end. Purchases made later on the observation_end day used to be dropped.
    log, truth = _bgnbd_log_with_times(T, freq, size, seed=188898)
    ours = rfm_summary(log, observation_end="2019-1-1", freq=freq)
    assert len(ours) == size
    late = log["date"] > pd.Timestamp("2019-01-01")
    assert late.any() or size < 100  # the case that used to go wrong is exercised
    np.testing.assert_array_equal(ours["frequency"], truth["frequency"])
    np.testing.assert_array_equal(ours["recency"], truth["recency"])
    np.testing.assert_array_equal(ours["T"], truth["T"])


def test_calibration_end_keeps_its_whole_day():
    tx = pd.DataFrame(
        {
            "customer_id": ["early", "early", "late", "late"],
            "date": pd.to_datetime(
                ["2024-01-02 10:00", "2024-01-10 15:00", "2024-01-10 08:00", "2024-01-12 09:00"]
            ),
        }
    )
    split = calibration_holdout_split(
        tx, calibration_end="2024-01-10", observation_end="2024-01-20"
    )
    # "late" first bought at 08:00 on the calibration day: a calibration customer.
    assert split.index.tolist() == ["early", "late"]
    # The 15:00 purchase on the calibration day is calibration, not holdout.
    assert split.loc["early", "frequency"] == 1
    assert split.loc["early", "frequency_holdout"] == 0
    assert split.loc["late", "frequency_holdout"] == 1
    assert split["T"].tolist() == [8.0, 0.0]
    assert split["duration_holdout"].iloc[0] == 10.0


_STAMPS = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 200 * 86_400)), min_size=1, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(_STAMPS, st.integers(0, 200 * 86_400), st.sampled_from(["D", "W", "M", "h"]))
@example([(0, 0), (0, 86_399)], 10, "D")
def test_summary_at_a_cutoff_equals_summary_of_the_periods_up_to_it(rows, cut, freq):
    base = pd.Timestamp("2024-01-01")
    tx = pd.DataFrame(
        {
            "customer_id": [c for c, _ in rows],
            "date": [base + pd.Timedelta(seconds=s) for _, s in rows],
            "amount": np.arange(1.0, len(rows) + 1.0),
        }
    )
    cutoff = base + pd.Timedelta(seconds=cut)
    period = cutoff.to_period(freq)
    kept = tx[tx["date"].dt.to_period(freq) <= period]
    if kept.empty:
        with pytest.raises(DataValidationError, match="before every purchase"):
            rfm_summary(tx, freq=freq, observation_end=cutoff, value_col="amount")
        return
    at_cutoff = rfm_summary(tx, freq=freq, observation_end=cutoff, value_col="amount")
    # The same summary from the rows in the cut-off's period or before, ended at its last
    # instant, at the period's first instant, and as a pandas Period.
    for end in (period.end_time, period.start_time, period):
        filtered = rfm_summary(kept, freq=freq, observation_end=end, value_col="amount")
        pd.testing.assert_frame_equal(at_cutoff, filtered)
    # Independent plain-pandas computation of frequency, recency and T (in freq units).
    periods = kept.assign(p=kept["date"].dt.to_period(freq))
    g = periods.groupby("customer_id")["p"]
    ordinal = g.agg(lambda s: sorted({p.ordinal for p in s}))
    expected_frequency = ordinal.map(len) - 1
    expected_recency = ordinal.map(lambda o: o[-1] - o[0]).astype(float)
    expected_T = ordinal.map(lambda o: period.ordinal - o[0]).astype(float)
    np.testing.assert_array_equal(at_cutoff["frequency"], expected_frequency)
    np.testing.assert_array_equal(at_cutoff["recency"], expected_recency)
    np.testing.assert_array_equal(at_cutoff["T"], expected_T)


# --- refunds ----------------------------------------------------------------------------------
def _with_refunds(tx: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add a partial refund to 10% of purchases, on a later day without a purchase."""
    rng = np.random.default_rng(seed)
    chosen = tx.sample(frac=0.1, random_state=seed)
    refunds = chosen.assign(
        date=chosen["date"] + pd.to_timedelta(rng.integers(1, 20, len(chosen)), unit="D"),
        amount=-(chosen["amount"] * rng.uniform(0.1, 0.9, len(chosen))).round(2),
    )
    bought = pd.MultiIndex.from_frame(tx[["customer_id", "date"]])
    refunds = refunds[~pd.MultiIndex.from_frame(refunds[["customer_id", "date"]]).isin(bought)]
    return pd.concat([tx, refunds], ignore_index=True), refunds


@pytest.fixture(scope="module")
def cdnow_with_refunds(request):
    tx = cm.load_cdnow_transactions(sample=True)
    mixed, refunds = _with_refunds(tx)
    return tx, mixed, refunds


def test_refunds_never_add_purchases(cdnow_with_refunds):
    tx, mixed, _ = cdnow_with_refunds
    end = "1997-09-30"
    clean = rfm_summary(tx, value_col="amount", observation_end=end, time_unit="W")
    for policy in ("net_period", "net_customer"):
        netted = rfm_summary(
            mixed, value_col="amount", observation_end=end, time_unit="W", refunds=policy
        )
        # A refund on a later day is never a purchase period: frequency, recency, T as without.
        pd.testing.assert_frame_equal(netted[CORE], clean[CORE])
    netted = rfm_summary(mixed, value_col="amount", observation_end=end, refunds="net_period")
    np.testing.assert_allclose(netted["monetary_value"], clean["monetary_value"])
    dropped = rfm_summary(mixed, value_col="amount", observation_end=end, refunds="drop")
    pd.testing.assert_frame_equal(dropped[CORE], rfm_summary(tx, observation_end=end)[CORE])


def test_net_customer_subtracts_refunds_from_repeat_spend(cdnow_with_refunds):
    tx, mixed, refunds = cdnow_with_refunds
    end = pd.Timestamp("1997-09-30")
    clean = rfm_summary(tx, value_col="amount", observation_end=end)
    netted = rfm_summary(mixed, value_col="amount", observation_end=end, refunds="net_customer")
    # Independent: refunds dated within the window, after the customer's first purchase day.
    first_day = tx.groupby("customer_id")["date"].min()
    in_window = refunds[
        (refunds["date"] <= end) & (refunds["date"] > refunds["customer_id"].map(first_day))
    ]
    refund_total = in_window.groupby("customer_id")["amount"].sum()
    refund_total = refund_total.reindex(clean.index, fill_value=0.0)
    repeat_value = clean["monetary_value"] * clean["frequency"] + refund_total
    expected = np.where(clean["frequency"] > 0, repeat_value / clean["frequency"].clip(lower=1), 0)
    np.testing.assert_allclose(netted["monetary_value"], expected, atol=1e-9)
    np.testing.assert_allclose(netted["total_value"], clean["total_value"] + refund_total)


def test_same_day_cancellation_removes_the_purchase():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1],
            "date": ["2024-01-01", "2024-01-05 10:00", "2024-01-05 11:00", "2024-01-09"],
            "amount": [20.0, 30.0, -30.0, 10.0],
        }
    )
    s = rfm_summary(tx, value_col="amount", refunds="net_period")
    assert s.loc[1, "frequency"] == 1  # Jan 5 nets to 0: no purchase that day
    assert s.loc[1, "monetary_value"] == 10.0
    partial = tx.assign(amount=[20.0, 30.0, -12.0, 10.0])
    s = rfm_summary(partial, value_col="amount", refunds="net_period")
    assert s.loc[1, "frequency"] == 2
    assert s.loc[1, "monetary_value"] == pytest.approx(14.0)  # (18 + 10) / 2


def test_every_model_and_segmenter_accepts_what_the_summary_produces(cdnow_with_refunds):
    _, mixed, _ = cdnow_with_refunds
    for policy in ("drop", "net_period", "net_customer"):
        summary = rfm_summary(
            mixed,
            value_col="amount",
            observation_end="1997-09-30",
            time_unit="W",
            refunds=policy,
        )
        bgnbd = cm.BetaGeoModel().fit(summary)
        spend = cm.GammaGammaModel().fit(summary)
        clv = cm.customer_lifetime_value(bgnbd, spend, summary, horizon=12, horizon_unit="M")
        assert np.isfinite(clv).all()
        assert (clv >= 0).all()
        segments = cm.RFMSegmenter().fit(summary).assign(summary)
        assert segments.notna().all()


def test_refunds_policy_is_checked():
    tx = pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"], "amount": [-1.0]})
    with pytest.raises(ParameterError, match="refunds='sometimes' is not one of"):
        rfm_summary(tx, value_col="amount", refunds="sometimes")
    with pytest.raises(DataValidationError, match="refunds='drop'"):
        rfm_summary(tx, value_col="amount")


# --- zero amounts ------------------------------------------------------------------------------
def test_zero_value_orders_are_purchases_and_do_not_break_valuation():
    tx = cm.load_cdnow_transactions(sample=True)
    zero = tx[tx["customer_id"] == tx["customer_id"].iloc[0]].copy()
    zero["customer_id"] = -1
    zero["amount"] = [10.0] + [0.0] * (len(zero) - 1)
    summary = rfm_summary(
        pd.concat([tx, zero]), value_col="amount", time_unit="W", observation_end="1997-09-30"
    )
    assert summary.loc[-1, "frequency"] > 0
    assert summary.loc[-1, "monetary_value"] == 0.0
    spend = cm.GammaGammaModel().fit(summary)
    expected = spend.expected_spend(summary)
    assert expected.loc[-1] == pytest.approx(spend.population_mean_spend())


# --- dates without guessing ---------------------------------------------------------------------
def test_day_first_strings_are_refused_unless_the_order_is_given():
    tx = pd.DataFrame(
        {"customer_id": [1, 1, 2], "date": ["05/01/2024", "07/02/2024", "03/04/2024"]}
    )
    with pytest.raises(DataValidationError, match=r"ambiguous.*'05/01/2024'.*dayfirst"):
        rfm_summary(tx)
    day_first = rfm_summary(tx, dayfirst=True)
    assert day_first["first_purchase"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-05",
        "2024-04-03",
    ]
    assert day_first.loc[1, "recency"] == 33.0  # Jan 5 -> Feb 7
    month_first = rfm_summary(tx, dayfirst=False)
    assert (
        month_first.loc[1, "recency"]
        == (pd.Timestamp("2024-07-02") - pd.Timestamp("2024-05-01")).days
    )
    by_format = rfm_summary(tx, date_format="%d/%m/%Y")
    pd.testing.assert_frame_equal(by_format, day_first)


def test_unambiguous_day_first_strings_are_read_day_first():
    tx = pd.DataFrame({"customer_id": [1, 1], "date": ["13/01/2024", "01/02/2024"]})
    s = rfm_summary(tx)
    assert s.loc[1, "recency"] == 19.0


def test_integer_dates_need_a_format_or_unit():
    tx = pd.DataFrame({"customer_id": [1, 1], "date": [20240105, 20240110]})
    with pytest.raises(DataValidationError, match=r"numeric.*date_format='%Y%m%d'"):
        rfm_summary(tx)
    s = rfm_summary(tx, date_format="%Y%m%d")
    assert s.loc[1, "recency"] == 5.0
    assert s.loc[1, "first_purchase"] == pd.Timestamp("2024-01-05")
    epoch = tx.assign(date=[1_704_412_800, 1_704_844_800])  # the same days in epoch seconds
    pd.testing.assert_frame_equal(rfm_summary(epoch, date_unit="s"), s)


def test_sentinel_dates_are_never_wrapped():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": ["2024-01-01", "9999-12-31", "2024-01-03"],
        }
    )
    bounded = rfm_summary(tx, observation_end="2024-12-31")
    assert bounded.loc[1, "frequency"] == 0  # the sentinel is after the end: ignored
    unbounded = rfm_summary(tx)
    assert unbounded.loc[1, "last_purchase"] == pd.Timestamp("9999-12-31")
    days = (pd.Timestamp("9999-12-31") - pd.Timestamp("2024-01-01")).days
    assert unbounded.loc[1, "recency"] == days
    assert unbounded.loc[2, "T"] == days - 2


def test_period_and_other_date_likes_as_observation_end():
    import datetime as dt

    tx = pd.DataFrame({"customer_id": [1, 1], "date": ["2024-01-05", "2024-01-31 22:00"]})
    expected = rfm_summary(tx, observation_end="2024-01-31")
    for end in (
        pd.Period("2024-01", "M"),
        pd.Period("2024-01-31", "D"),
        dt.date(2024, 1, 31),
        dt.datetime(2024, 1, 31, 9, 0),
        np.datetime64("2024-01-31"),
    ):
        pd.testing.assert_frame_equal(rfm_summary(tx, observation_end=end), expected)
    assert expected.loc[1, "frequency"] == 1


@pytest.mark.parametrize("bad", [None, 3.5, True, "not a date"])
def test_bad_observation_end_is_a_clear_error(bad):
    tx = pd.DataFrame({"customer_id": [1], "date": ["2024-01-05"]})
    with pytest.raises(CustomerModelsError, match="observation_end"):
        rfm_summary(tx, observation_end=bad) if bad is not None else rfm_summary(
            tx, observation_end=pd.NaT
        )


def test_mixed_time_zones_are_a_clear_error():
    tx = pd.DataFrame(
        {"customer_id": [1, 2], "date": ["2024-01-05T10:00+01:00", "2024-01-05T10:00+05:00"]}
    )
    with pytest.raises(DataValidationError, match="time zone"):
        rfm_summary(tx)


def test_duplicated_column_names_are_a_clear_error():
    tx = pd.DataFrame([[1, "2024-01-01", 2]], columns=["customer_id", "date", "date"])
    with pytest.raises(CustomerModelsError, match="2 columns named 'date'"):
        rfm_summary(tx)


# --- units at the model boundary --------------------------------------------------------------
def test_a_model_never_rescores_another_unit():
    tx = cm.load_cdnow_transactions(sample=True)
    weekly = rfm_summary(tx, time_unit="W", observation_end="1997-09-30")
    daily = rfm_summary(tx, time_unit="D", observation_end="1997-09-30")
    model = cm.BetaGeoModel().fit(weekly)
    with pytest.raises(ParameterError, match=r"in 'D' but BetaGeoModel was fitted in 'W'"):
        model.expected_purchases(daily, t=52)
    attributes = pd.DataFrame({"region": "north"}, index=weekly.index)
    joined = weekly.join(attributes)  # pandas drops attrs here
    with pytest.raises(ParameterError, match="does not say its time unit"):
        model.probability_alive(joined)
    restored = with_time_unit(joined, "W")
    np.testing.assert_allclose(
        model.probability_alive(restored), model.probability_alive(weekly), rtol=0
    )
    assert joined.attrs == {}  # the helper did not mutate the caller's frame


def test_the_unit_survives_parquet_subsets_and_concat(tmp_path):
    summary = rfm_summary(cm.load_cdnow_transactions(sample=True), time_unit="W")
    model = cm.BetaGeoModel().fit(summary)
    path = tmp_path / "summary.parquet"
    summary.to_parquet(path)
    for frame in (
        pd.read_parquet(path),
        summary[["frequency", "recency", "T"]],
        summary.loc[summary["frequency"] > 0],
        pd.concat([summary.iloc[:10], summary.iloc[10:]]),
    ):
        model.probability_alive(frame)  # no error: the unit is known and the same


def test_the_docs_example_runs_and_prints_what_the_docs_show(capsys):
    import runpy
    from pathlib import Path

    recipe = Path(__file__).resolve().parents[1] / "docs" / "recipes" / "real_logs.py"
    namespace = runpy.run_path(str(recipe))
    summary = namespace["summary"]
    assert summary["frequency"].tolist() == [2, 0, 0]
    assert summary["recency"].tolist() == [4.0, 0.0, 0.0]
    np.testing.assert_allclose(summary["T"], [28 / 7, 26 / 7, 21 / 7])
    assert summary["monetary_value"].tolist() == [17.5, 0.0, 0.0]
    docs = (recipe.parents[1] / "summary.md").read_text()
    printed = capsys.readouterr().out
    for line in printed.strip().splitlines():
        assert line.rstrip() in docs, line


_REFUND_ROWS = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.integers(0, 30),
        st.sampled_from([-20.0, -5.0, 0.0, 5.0, 10.0, 20.0]),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=80, deadline=None)
@given(_REFUND_ROWS, st.sampled_from(["net_period", "net_customer"]))
@example([(0, 0, 10.0), (0, 3, 5.0), (0, 3, -5.0), (0, 7, -20.0), (0, 9, 0.0)], "net_customer")
def test_refund_policies_match_a_plain_pandas_oracle(rows, policy):
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    tx["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx["day"], unit="D")
    # Oracle: net value per (customer, day); a day is a purchase unless it has a refund and
    # nets to <= 0.
    days = tx.groupby(["customer_id", "day"])["amount"].agg(["sum", "min"]).reset_index()
    days["purchase"] = (days["min"] >= 0) | (days["sum"] > 0)
    purchases = days[days["purchase"]]
    if purchases.empty:
        with pytest.raises(DataValidationError, match="no customer has a purchase"):
            rfm_summary(tx, value_col="amount", refunds=policy, observation_end="2024-02-15")
        return
    ours = rfm_summary(tx, value_col="amount", refunds=policy, observation_end="2024-02-15")
    g = purchases.groupby("customer_id")
    first, last, n = g["day"].min(), g["day"].max(), g.size()
    assert ours.index.tolist() == first.index.tolist()
    np.testing.assert_array_equal(ours["frequency"], n - 1)
    np.testing.assert_array_equal(ours["recency"], (last - first).astype(float))
    np.testing.assert_array_equal(ours["T"], (45 - first).astype(float))
    first_value = purchases.set_index("customer_id").groupby(level=0).first()["sum"]
    if policy == "net_period":
        repeat_total = g["sum"].sum() - first_value
    else:
        after = days[days["day"] >= days["customer_id"].map(first)]
        repeat_total = after.groupby("customer_id")["sum"].sum().loc[first.index] - first_value
    expected = np.where(n > 1, repeat_total / (n - 1).clip(lower=1), 0.0)
    np.testing.assert_allclose(ours["monetary_value"], expected, atol=1e-12)
