"""Every transaction reader on the same messy log, against plain pandas on the same data.

Issue #12: one reader for dates, cut-offs, refunds and formats, right on every path. Each
reader gets the same log in several encodings (second-resolution timestamps, day-first
strings, integer dates, a timezone-aware column, a ``pd.Period`` cut-off, a ``9999-12-31``
sentinel row) and must give the values an independent pandas computation gives on the
log's meaning (its wall-clock timestamps). The cut-off day has a purchase at 23:59:59 and
one at midnight: a cut-off is its whole day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest

import customer_models as cm
from customer_models.exceptions import CustomerModelsError, DataValidationError
from customer_models.lifecycle import LifecycleStageClassifier
from customer_models.loyalty import LoyaltyProgram

ROWS = [  # (customer, wall-clock time, amount)
    ("a", "2024-01-03 10:15:42", 10.0),
    ("a", "2024-02-05 08:00:01", 20.0),
    ("a", "2024-03-10 23:59:59", 30.0),  # late on the cut-off day: counts
    ("a", "2024-04-08 14:00:00", 25.0),  # in the holdout / label window
    ("b", "2024-01-09 12:00:00", 15.0),
    ("b", "2024-03-11 00:00:01", 40.0),  # one second after the cut-off day
    ("c", "2024-02-07 18:30:30", 5.0),
    ("c", "2024-02-07 19:00:00", 7.0),  # same day: one purchase period
    ("c", "2024-03-02 09:09:09", 12.0),
    ("d", "2024-03-10 00:00:00", 50.0),  # first purchase at midnight on the cut-off day
    ("e", "2024-04-12 11:11:11", 8.0),  # after the cut-off only
]
SENTINEL = [("a", "9999-12-31 00:00:00", 1.0), ("z", "9999-12-31 00:00:00", 1.0)]
CUT = "2024-03-10"
START = "2024-02-01"  # the earlier date of stage_transitions
END = "2024-04-12"  # end of the data (holdout end, label data end)
HORIZON = 30
TIERS = [("Base", 0), ("Silver", 40), ("Gold", 60)]
DAY = pd.Timedelta(days=1)


def _frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            # microseconds hold 9999-12-31; seconds are the log's resolution
            "date": np.array([r[1] for r in rows], dtype="datetime64[us]"),
            "amount": [r[2] for r in rows],
        }
    )


@dataclass
class Variant:
    """One encoding of the log: the frame a reader gets, how to read it, what it means."""

    frame: pd.DataFrame
    meaning: pd.DataFrame  # naive wall-clock datetime64[us], for the oracles
    read: dict[str, Any] = field(default_factory=dict)  # date_format= / dayfirst=
    cut: Any = CUT
    unreadable: tuple[dict[str, Any], str] | None = None  # options that must fail, match


def _variant(name: str) -> Variant:
    base = _frame(ROWS)
    if name == "seconds":
        return Variant(base.astype({"date": "datetime64[s]"}), base)
    if name == "dayfirst":
        strings = base.assign(date=base["date"].dt.strftime("%d/%m/%Y %H:%M:%S"))
        return Variant(strings, base, {"dayfirst": True}, unreadable=({}, "ambiguous"))
    if name == "yyyymmdd":
        ints = base.assign(date=base["date"].dt.strftime("%Y%m%d").astype(np.int64))
        meaning = base.assign(date=base["date"].dt.floor("D"))
        return Variant(ints, meaning, {"date_format": "%Y%m%d"}, unreadable=({}, "date_format"))
    if name == "tz":
        aware = base.assign(date=base["date"].dt.tz_localize("America/New_York"))
        return Variant(aware, base)
    if name == "period":
        return Variant(base, base, cut=pd.Period(CUT, "D"))
    if name == "shuffled":  # row order never matters
        return Variant(base.sample(frac=1.0, random_state=3).reset_index(drop=True), base)
    if name == "sentinel":
        log = _frame(ROWS + SENTINEL)
        strings = log.assign(date=log["date"].dt.strftime("%Y-%m-%d %H:%M:%S"))
        return Variant(strings, log)
    raise AssertionError(name)


VARIANTS = ["seconds", "dayfirst", "yyyymmdd", "tz", "period", "shuffled", "sentinel"]


# ----------------------------------------------------------------------------- oracles
def _upto(meaning: pd.DataFrame, day: str) -> pd.DataFrame:
    """Rows on or before the whole day ``day``."""
    return meaning[meaning["date"] < pd.Timestamp(day) + DAY]


def _btyd(meaning: pd.DataFrame, end: str) -> pd.DataFrame:
    """frequency, recency, T (days) and monetary_value, by hand on the rows up to ``end``."""
    rows = _upto(meaning, end).assign(day=lambda f: f["date"].dt.floor("D"))
    days = rows.groupby(["customer_id", "day"], as_index=False)["amount"].sum()
    g = days.groupby("customer_id")
    first, last = g["day"].min(), g["day"].max()
    out = pd.DataFrame(
        {
            "frequency": g.size() - 1,
            "recency": (last - first).dt.days.astype(float),
            "T": (pd.Timestamp(end) - first).dt.days.astype(float),
        }
    )
    first_value = days[days["day"] == first.reindex(days["customer_id"]).to_numpy()]
    repeat = g["amount"].sum() - first_value.set_index("customer_id")["amount"]
    out["monetary_value"] = (repeat / out["frequency"]).where(out["frequency"] > 0, 0.0)
    return out


def _stages(meaning: pd.DataFrame, day: str, universe: pd.Index) -> pd.Series:
    summary = _btyd(meaning, day)
    return LifecycleStageClassifier().fit(summary).assign(summary, customers=universe)


def _churn_features(meaning: pd.DataFrame, day: str) -> pd.DataFrame:
    rows = _upto(meaning, day)
    g = rows.groupby("customer_id")["date"]
    cut = pd.Timestamp(day)
    return pd.DataFrame(
        {
            "recency_days": (cut - g.max().dt.floor("D")).dt.days.astype(float),
            "tenure_days": (cut - g.min().dt.floor("D")).dt.days.astype(float),
            "n_transactions": g.size(),
            "n_purchase_days": g.apply(lambda s: s.dt.floor("D").nunique()),
        }
    )


# ----------------------------------------------------------------------------- readers
@dataclass
class Reader:
    run: Callable[[pd.DataFrame, dict[str, Any], Any], Any]
    oracle: Callable[[pd.DataFrame], Any]
    compare: Callable[[Any, Any], None]


def _frames_close(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    got = got.loc[expected.index, expected.columns]
    pd.testing.assert_frame_equal(
        got, expected, check_dtype=False, check_names=False, check_index_type=False
    )


def _same(got: Any, expected: Any) -> None:
    if isinstance(expected, pd.DataFrame):
        _frames_close(got, expected)
    else:
        pd.testing.assert_series_equal(got, expected, check_dtype=False, check_names=False)


def _holdout_oracle(meaning: pd.DataFrame) -> pd.DataFrame:
    out = _btyd(meaning, CUT)[["frequency", "recency", "T"]]
    holdout = meaning[
        (meaning["date"] >= pd.Timestamp(CUT) + DAY) & (meaning["date"] < pd.Timestamp(END) + DAY)
    ]
    n_days = holdout.groupby("customer_id")["date"].apply(lambda s: s.dt.floor("D").nunique())
    out["frequency_holdout"] = n_days.reindex(out.index, fill_value=0)
    return out


def _churn_dataset_oracle(meaning: pd.DataFrame) -> pd.DataFrame:
    X = _churn_features(meaning, CUT)
    start = pd.Timestamp(CUT) + DAY
    window = meaning[(meaning["date"] >= start) & (meaning["date"] < start + HORIZON * DAY)]
    X["churned"] = (~X.index.isin(window["customer_id"])).astype(np.int64)
    return X


def _run_churn_dataset(frame: pd.DataFrame, read: dict[str, Any], cut: Any) -> pd.DataFrame:
    X, y = cm.churn_dataset(
        frame, as_of=cut, horizon=HORIZON, value_col="amount", observation_end=END, **read
    )
    return X.assign(churned=y)


def _behavior_oracle(meaning: pd.DataFrame) -> pd.DataFrame:
    ordered = meaning.sort_values(["customer_id", "date"], kind="stable")
    g = ordered.groupby("customer_id")
    gaps = g["date"].diff().dt.total_seconds() / 86_400
    return pd.DataFrame(
        {
            "n_orders": g.size().astype(float),
            "total_value": g["amount"].sum(),
            "ipt_mean": gaps.groupby(ordered["customer_id"]).mean(),
            "weekend_share": g["date"].apply(lambda s: (s.dt.day_of_week >= 5).mean()),
        }
    )


def _transitions_oracle(meaning: pd.DataFrame) -> pd.DataFrame:
    universe = pd.Index(sorted(_upto(meaning, CUT)["customer_id"].unique()))
    before, after = _stages(meaning, START, universe), _stages(meaning, CUT, universe)
    pairs = pd.DataFrame({"from_stage": before.astype(str), "to_stage": after.astype(str)})
    return pairs.value_counts().sort_index().rename("count")


def _run_transitions(frame: pd.DataFrame, read: dict[str, Any], cut: Any) -> pd.Series:
    flows = cm.stage_transitions(frame, [START, cut], **read)
    flows = flows.assign(from_stage=flows["from_stage"].astype(str))
    flows = flows.assign(to_stage=flows["to_stage"].astype(str))
    return flows.set_index(["from_stage", "to_stage"])["count"].sort_index()


def _cohort_oracle(meaning: pd.DataFrame) -> pd.DataFrame:
    rows = _upto(meaning, CUT)
    period = rows["date"].dt.to_period("M")
    first = period.groupby(rows["customer_id"]).transform("min")
    k = (period - first).map(lambda offset: offset.n)
    active = pd.DataFrame({"cohort": first, "k": k, "c": rows["customer_id"]})
    counts = active.drop_duplicates().groupby(["cohort", "k"])["c"].nunique().unstack()
    return counts.fillna(0)


def _run_cohorts(frame: pd.DataFrame, read: dict[str, Any], cut: Any) -> pd.DataFrame:
    table = cm.cohort_retention(frame, observation_end=cut, values="count", **read)
    return table.astype("float64").fillna(0)


class OnePerWeek:
    """A new customer makes one repeat purchase per week: E[X(t)] = t."""

    time_unit_ = "W"
    params_ = pd.Series({"rate": 1.0})

    def expected_purchases_new_customer(self, *, t: Any) -> np.ndarray:
        return np.asarray(t, dtype=float)


def _cohort_data(meaning: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(index=pd.Index(sorted(meaning["customer_id"].unique()), name="customer_id"))


def _tracking_oracle(meaning: pd.DataFrame) -> pd.DataFrame:
    days = meaning.assign(day=meaning["date"].dt.floor("D"))[["customer_id", "day"]]
    days = days.drop_duplicates()
    birth = days.groupby("customer_id")["day"].min()
    origin = birth.min()
    n = int(np.ceil(((pd.Timestamp(CUT) + DAY) - origin) / (7 * DAY)))
    repeat = days[days["day"] > birth.reindex(days["customer_id"]).to_numpy()]
    week = ((repeat["day"] - origin) // (7 * DAY)).astype(int)
    actual = week[week < n].value_counts().reindex(range(n), fill_value=0).sort_index()
    ends = np.arange(1, n + 1)  # period ends, in weeks since origin
    age = ends[None, :] - ((birth - origin) / (7 * DAY)).to_numpy()[:, None]
    expected = np.where(age > 0, age, 0.0).sum(axis=0)
    return pd.DataFrame(
        {"actual": actual.to_numpy(), "expected_cumulative": expected},
        index=pd.RangeIndex(1, n + 1),
    )


def _run_tracking(frame: pd.DataFrame, read: dict[str, Any], cut: Any) -> pd.DataFrame:
    data = _cohort_data(frame)
    return cm.transaction_tracking(OnePerWeek(), data, frame, end=cut, **read)


def _loyalty_oracle(meaning: pd.DataFrame) -> pd.DataFrame:
    rows = _upto(meaning, CUT)
    window = rows[rows["date"] >= pd.Timestamp("2024-01-01")]  # calendar year to date
    value = window.groupby("customer_id")["amount"].sum()
    names = [name for name, _ in TIERS]
    level = np.searchsorted([t for _, t in TIERS], value.to_numpy(), side="right") - 1
    return pd.DataFrame(
        {"qualifying_value": value, "tier": [names[k] for k in level]}, index=value.index
    )


def _run_loyalty(frame: pd.DataFrame, read: dict[str, Any], cut: Any) -> pd.DataFrame:
    result = LoyaltyProgram(TIERS, window="YS", **read).tiers_at(frame, as_of=cut)
    return result.assign(tier=result["tier"].astype(str))


READERS: dict[str, Reader] = {
    "rfm_summary": Reader(
        lambda f, r, c: cm.rfm_summary(f, value_col="amount", observation_end=c, **r),
        lambda m: _btyd(m, CUT),
        _same,
    ),
    "calibration_holdout_split": Reader(
        lambda f, r, c: cm.calibration_holdout_split(
            f, calibration_end=c, observation_end=END, **r
        ),
        _holdout_oracle,
        _same,
    ),
    "churn_dataset": Reader(_run_churn_dataset, _churn_dataset_oracle, _same),
    "churn_features": Reader(
        lambda f, r, c: cm.churn_features(f, as_of=c, trend_window=HORIZON, **r),
        lambda m: _churn_features(m, CUT),
        _same,
    ),
    "behavior_features": Reader(
        lambda f, r, c: cm.behavior_features(f, **r), _behavior_oracle, _same
    ),
    "stages_at": Reader(
        lambda f, r, c: cm.stages_at(f, [c], **r).iloc[:, 0],
        lambda m: _stages(m, CUT, pd.Index(sorted(_upto(m, CUT)["customer_id"].unique()))),
        lambda got, expected: pd.testing.assert_series_equal(
            got.astype(str).sort_index(), expected.astype(str).sort_index(), check_names=False
        ),
    ),
    "stage_transitions": Reader(_run_transitions, _transitions_oracle, _same),
    "cohort_retention": Reader(_run_cohorts, _cohort_oracle, _same),
    "transaction_tracking": Reader(_run_tracking, _tracking_oracle, _same),
    "LoyaltyProgram.tiers_at": Reader(_run_loyalty, _loyalty_oracle, _same),
}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("reader", list(READERS))
def test_reader_on_the_messy_log(reader: str, variant: str) -> None:
    case, spec = _variant(variant), READERS[reader]
    before = case.frame.copy()
    refusal = None
    try:
        got = spec.run(case.frame, case.read, case.cut)
    except CustomerModelsError as err:
        refusal = str(err)
    if refusal is not None:  # a refusal is allowed for a sentinel, if it names it
        assert variant == "sentinel", refusal
        assert "9999-12-31" in refusal
        return
    pd.testing.assert_frame_equal(case.frame, before)  # the caller's frame is not touched
    spec.compare(got, spec.oracle(case.meaning))
    if case.unreadable is not None:
        options, match = case.unreadable
        with pytest.raises(DataValidationError, match=match):
            spec.run(case.frame, options, case.cut)


def test_the_cut_off_day_is_whole_in_the_oracle_too() -> None:
    # The log is built so that a midnight-exact cut-off would change every reader's answer.
    meaning = _frame(ROWS)
    assert (meaning["date"] > pd.Timestamp(CUT)).sum() > (
        meaning["date"] >= pd.Timestamp(CUT) + DAY
    ).sum()
    assert _btyd(meaning, CUT).loc["a", "frequency"] == 2
    assert "d" in _btyd(meaning, CUT).index


# ----------------------------------------------------------------------------- refunds
REFUND = ("c", "2024-03-05 10:00:00", -7.0)
VALUE_READERS = ["rfm_summary", "churn_dataset", "churn_features", "behavior_features"]


@pytest.mark.parametrize("reader", VALUE_READERS)
def test_value_readers_refuse_refunds_or_drop_them(reader: str) -> None:
    log = _frame([*ROWS, REFUND])
    spec = READERS[reader]
    if reader == "churn_features":  # reads values only with value_col

        def run(f: pd.DataFrame, r: dict[str, Any], c: Any) -> Any:
            return cm.churn_features(f, as_of=c, trend_window=HORIZON, value_col="amount", **r)
    else:
        run = spec.run
    with pytest.raises(DataValidationError, match=r"amount must be >= 0.*\['c'\].*refunds="):
        run(log, {}, CUT)
    got = run(log, {"refunds": "drop"}, CUT)
    spec.compare(got, spec.oracle(_frame(ROWS)))  # as if the refund row were not there


@pytest.mark.parametrize(
    "reader", ["stages_at", "stage_transitions", "cohort_retention", "transaction_tracking"]
)
def test_readers_without_values_ignore_amounts(reader: str) -> None:
    spec = READERS[reader]
    log = _frame([*ROWS, REFUND])
    spec.compare(spec.run(log, {}, CUT), spec.oracle(log))
