"""Snapshot alerts: each rule against a direct computation, counts, the flood cap, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models import LoyaltyProgram
from customer_models.decision._alert_rules import (
    AliveDrop,
    GradeDrop,
    PurchasesBelowExpected,
    TierAtRisk,
)
from customer_models.decision._alerts import snapshot_alerts
from customer_models.decision._scorecard import Scorecard
from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.valuation import BetaGeoModel

BG = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)


def _alive(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    idx = pd.Index(np.arange(n) + 1000, name="customer_id")
    before = pd.DataFrame({"probability_alive": rng.random(n)}, index=idx)
    after = pd.DataFrame(
        {"probability_alive": np.clip(before["probability_alive"] - rng.normal(0.1, 0.2, n), 0, 1)},
        index=idx,
    )
    return before, after


def test_alive_drop_matches_a_mask_and_counts() -> None:
    before, after = _alive(5_000)
    report = snapshot_alerts(before, after, [AliveDrop(0.3)], max_share=1)
    drop = before["probability_alive"] - after["probability_alive"]
    want = set(before.index[drop > 0.3])
    alerts = report.alerts
    assert set(alerts["customer_id"]) == want
    assert report.summary.loc["alive_drop", "n_fired"] == len(want)
    assert report.summary.loc["alive_drop", "n_evaluated"] == 5_000
    assert (alerts["statistic"].diff().dropna() <= 0).all()  # most severe first
    np.testing.assert_allclose(alerts["statistic"], alerts["before"] - alerts["after"])
    row = alerts.iloc[0]
    assert row["reason"] == (
        f"P(alive) fell from {row['before']:.2f} to {row['after']:.2f} (by more than 0.3)"
    )


def test_flood_guard_keeps_the_most_severe_and_reports_the_full_count() -> None:
    before, after = _alive(2_000, seed=1)
    drop = before["probability_alive"] - after["probability_alive"]
    report = snapshot_alerts(before, after, [AliveDrop(0.0)], max_share=0.05)
    summary = report.summary.loc["alive_drop"]
    assert summary["n_fired"] == int((drop > 0).sum())
    assert summary["n_reported"] == 100
    assert summary["capped"]
    top = drop.sort_values(ascending=False, kind="stable").index[:100]
    assert list(report.alerts["customer_id"]) == list(top)


def test_grade_drop_from_two_scorecard_runs() -> None:
    card = Scorecard(
        [
            {"name": "alive", "column": "probability_alive", "bands": [(0, 0.5, 0), (0.5, 1, 10)]},
            {"name": "spend", "bands": [(0, 100, 0), (100, None, 10)]},
        ],
        grades=[("A", 20), ("B", 10), ("C", None)],
    )
    idx = pd.Index(list("pqrs"), name="id")
    before = pd.DataFrame(
        {"probability_alive": [0.9, 0.9, 0.2, 0.6], "spend": [200, 50, 0, 150]}, index=idx
    )
    after = pd.DataFrame(
        {"probability_alive": [0.1, 0.9, 0.2, 0.7], "spend": [50, 500, 0, 20]}, index=idx
    )
    b, a = card.score(before), card.score(after)
    assert b["grade"].tolist() == ["A", "B", "C", "A"]
    assert a["grade"].tolist() == ["C", "A", "C", "B"]
    report = snapshot_alerts(b, a, [GradeDrop(), GradeDrop(2, name="grade_crash")], max_share=1)
    alerts = report.alerts
    drop = alerts[alerts["rule"] == "grade_drop"]
    assert drop["id"].tolist() == ["p", "s"]
    assert drop["reason"].tolist() == ["grade dropped from A to C", "grade dropped from A to B"]
    assert drop[["before", "after", "statistic"]].to_numpy().tolist() == [[1, 3, 2], [1, 2, 1]]
    assert alerts[alerts["rule"] == "grade_crash"]["id"].tolist() == ["p"]
    assert report.summary["n_fired"].tolist() == [2, 1]


def _lower_tail(model, before: pd.DataFrame, observed: np.ndarray, t: np.ndarray) -> np.ndarray:
    """P(X(t) <= observed) summing the pmf for every customer (no Markov shortcut)."""
    cdf = np.zeros(len(before))
    for k in range(int(observed.max()) + 1):
        pk = model.probability_of_purchases(before, n=k, t=t).to_numpy()
        cdf += np.where(observed >= k, pk, 0.0)
    return cdf


def test_purchases_below_expected_on_cdnow_matches_the_full_pmf_sum(cdnow_split) -> None:
    split, model = cdnow_split
    before = split[["frequency", "recency", "T"]]
    after = pd.DataFrame(
        {"frequency": split["frequency"] + split["frequency_holdout"], "T": split["T"] + 39},
        index=split.index,
    )
    report = snapshot_alerts(before, after, [PurchasesBelowExpected(model, alpha=0.2)], max_share=1)
    p = _lower_tail(model, before, split["frequency_holdout"].to_numpy(), np.full(len(split), 39.0))
    want = split.index[p < 0.2]
    alerts = report.alerts.set_index("customer_id")
    assert set(alerts.index) == set(want)
    # on CDNOW P(X = 0) holds the mass of the dead, so few customers fall below 5 %; at
    # 20 % about a hundred do (the docs report the counts)
    assert len(want) > 50
    np.testing.assert_allclose(
        alerts["statistic"], p[split.index.get_indexer(alerts.index)], rtol=1e-10
    )
    expected = model.expected_purchases(before, t=39)
    np.testing.assert_allclose(alerts["before"], expected.loc[alerts.index], rtol=1e-12)
    assert (alerts["after"] < alerts["before"]).all()


def test_tier_at_risk_reads_the_loyalty_frame() -> None:
    program = LoyaltyProgram([("Base", 0), ("Gold", 1000)], window="YS")
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "date": pd.to_datetime(["2024-01-10", "2024-02-01", "2024-03-01", "2024-12-01"]),
            "amount": [1200.0, 50.0, 300.0, 1500.0],
        }
    )
    early = program.tiers_at(tx, as_of="2024-12-15")
    late = program.tiers_at(
        tx.assign(date=tx["date"].where(tx["customer_id"] != "a", pd.Timestamp("2024-12-20"))),
        as_of="2024-12-20",
    )
    assert early.attrs["next_review"] == pd.Timestamp("2025-01-01")
    report = snapshot_alerts(early, early, [TierAtRisk(days=30)], max_share=1)
    # a holds Gold on 1,250 this year and c on 1,500: nobody is short
    assert report.alerts.empty
    assert report.summary.loc["tier_at_risk", "n_fired"] == 0
    frame = pd.DataFrame(
        {"amount_to_keep_tier": [0.0, 120.0, 40.0], "days_left": [10, 10, 90]},
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )
    report = snapshot_alerts(frame, frame, [TierAtRisk(days=30, days_col="days_left")], max_share=1)
    assert report.alerts["customer_id"].tolist() == ["b"]
    assert report.alerts["reason"].iloc[0] == (
        "needs 120.00 more to keep the tier at the review in 10 days"
    )
    assert late.attrs["as_of"] == pd.Timestamp("2024-12-20")


def test_only_customers_in_both_snapshots_are_compared() -> None:
    before, after = _alive(100, seed=3)
    report = snapshot_alerts(before.iloc[:60], after.iloc[30:], [AliveDrop(0.0)], max_share=1)
    assert report.summary.loc["alive_drop", "n_evaluated"] == 30
    assert set(report.alerts["customer_id"]) <= set(before.index[30:60])


def test_alert_errors() -> None:
    before, after = _alive(10)
    with pytest.raises(ParameterError, match="two rules are named 'alive_drop'"):
        snapshot_alerts(before, after, [AliveDrop(), AliveDrop(0.5)])
    with pytest.raises(ParameterError, match="not an alert rule"):
        snapshot_alerts(before, after, ["alive_drop"])
    with pytest.raises(ParameterError, match="non-empty list"):
        snapshot_alerts(before, after, [])
    with pytest.raises(ParameterError, match="max_share"):
        snapshot_alerts(before, after, [AliveDrop()], max_share=0)
    with pytest.raises(ParameterError, match="threshold must be a number"):
        snapshot_alerts(before, after, [AliveDrop(1.5)])
    with pytest.raises(ParameterError, match="not an ordered categorical"):
        snapshot_alerts(before.assign(grade="A"), after.assign(grade="B"), [GradeDrop()])
    summary = pd.DataFrame(
        {"frequency": [3, 1], "recency": [5.0, 3.0], "T": [10.0, 10.0]},
        index=pd.Index(["u", "v"], name="customer_id"),
    )
    fewer = summary.assign(frequency=[2, 1], T=[20.0, 20.0])
    with pytest.raises(DataValidationError, match=r"after.frequency must be >= .*\['u'\]"):
        snapshot_alerts(summary, fewer, [PurchasesBelowExpected(BG)])
    with pytest.raises(ParameterError, match="fitted purchase model"):
        snapshot_alerts(summary, summary, [PurchasesBelowExpected(object())])
    with pytest.raises(ParameterError, match="days_col= or an after frame"):
        snapshot_alerts(before, after.assign(amount_to_keep_tier=1.0), [TierAtRisk()])


def test_no_alert_gives_an_empty_table_with_the_columns() -> None:
    before, _ = _alive(20)
    report = snapshot_alerts(before, before, [AliveDrop(0.1)])
    assert report.alerts.empty
    assert list(report.alerts.columns) == [
        "customer_id",
        "rule",
        "reason",
        "before",
        "after",
        "statistic",
        "threshold",
    ]
