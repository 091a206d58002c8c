"""The summary's block kernel against the general path and an independent pandas groupby."""

from __future__ import annotations

import itertools
import operator

import numpy as np
import pandas as pd
import pytest
from _messy_logs import messy_log

import customer_models._customer_blocks as customer_blocks
import customer_models._reductions as reductions
from customer_models import calibration_holdout_split, rfm_summary


def _fallback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise OverflowError("forced")

    monkeypatch.setattr(reductions, "_time_key", refuse)


@pytest.mark.parametrize("ids", ["int", "sparse-int", "uint", "str"])
@pytest.mark.parametrize("resolution", ["day", "second", "us"])
@pytest.mark.parametrize("freq", ["D", "W", "M", "Q", "Y", "h"])
@pytest.mark.parametrize("blocks", [False, True])
def test_sorted_reduction_equals_the_general_one(ids, resolution, freq, blocks, monkeypatch):
    """The customer-block path (time packed into the key) and the general path agree exactly.

    With ``blocks`` the log is cut into chunks of 512 rows, blocks of 16 customers and groups
    of at least 1,000 rows (forced at this size; by default chunks of 2**18 rows, blocks of 2**16
    customers and groups of at least 2**22 rows), so the partition, the groups' buffers and the
    per-block reduction run many times.
    """
    tx = messy_log(7, ids, resolution)
    if blocks:
        monkeypatch.setattr(customer_blocks, "BLOCK_BITS", 4)
        monkeypatch.setattr(customer_blocks, "CHUNK_ROWS", 512)
        monkeypatch.setattr(customer_blocks, "GROUP_ROWS", 1000)
    packed = reductions._time_key
    layouts: list[customer_blocks.Packing] = []

    def spy(*args: object) -> customer_blocks.Packing:
        layout = packed(*args)  # type: ignore[arg-type]
        layouts.append(layout)
        return layout

    monkeypatch.setattr(reductions, "_time_key", spy)
    fast = rfm_summary(tx, value_col="amount", freq=freq)
    assert [(p.step, p.block_bits) for p in layouts] == [(1, 4 if blocks else 16)]
    cal = calibration_holdout_split(tx, value_col="amount", freq=freq, calibration_end="2021-12-31")
    first = rfm_summary(tx, value_col="amount", freq=freq, include_first_transaction=True)
    _fallback_only(monkeypatch)
    general = rfm_summary(tx, value_col="amount", freq=freq)
    pd.testing.assert_frame_equal(fast, general)
    pd.testing.assert_frame_equal(
        first, rfm_summary(tx, value_col="amount", freq=freq, include_first_transaction=True)
    )
    pd.testing.assert_frame_equal(
        cal,
        calibration_holdout_split(tx, value_col="amount", freq=freq, calibration_end="2021-12-31"),
    )
    assert fast.index.is_monotonic_increasing
    assert int(fast["n_transactions"].sum()) == len(tx)
    np.testing.assert_allclose(fast["total_value"].sum(), tx["amount"].sum(), rtol=1e-12)


@pytest.mark.parametrize(
    ("years", "unit", "step", "block_bits"),
    [(10, "s", 10**6, 16), (10, "ms", 10**3, 16), (5, "us", 1, 14)],
)
def test_long_spans_pack_coarser_time_or_smaller_blocks(years, unit, step, block_bits):
    """Spans over 2.2 years at microseconds: lossless coarser time, else fewer customer bits."""
    rng = np.random.default_rng(5)
    n = 6_000
    start = np.datetime64("2015-01-01", "us").astype(np.int64)
    unit_us = {"s": 10**6, "ms": 10**3, "us": 1}[unit]
    instants = start + rng.integers(0, years * 365 * 86_400 * 10**6 // unit_us, n) * unit_us
    low, high = int(instants.min()), int(instants.max())
    layout = customer_blocks.pack_time(low, high, instants - low)
    assert (layout.step, layout.block_bits) == (step, block_bits)
    customer = rng.integers(0, 1_500, n)
    tx = pd.DataFrame({"customer_id": customer, "date": instants.astype("datetime64[us]")})
    days = pd.Series(instants.astype("datetime64[us]")).dt.floor("D")
    per_customer = pd.DataFrame({"c": customer, "d": days, "t": tx["date"]}).groupby("c")
    result = rfm_summary(tx)
    np.testing.assert_array_equal(result["frequency"], per_customer["d"].nunique() - 1)
    np.testing.assert_array_equal(result["first_purchase"], per_customer["t"].min())
    np.testing.assert_array_equal(result["last_purchase"], per_customer["t"].max())


def test_time_too_fine_for_one_key_falls_back():
    """Microseconds over two centuries for 5,000 customers need more than 63 bits."""
    rng = np.random.default_rng(3)
    n = 20_000
    instants = np.datetime64("1900-01-01", "us").astype(np.int64) + rng.integers(
        0, 200 * 365 * 86_400 * 10**6, n
    )
    customer = rng.integers(0, 5_000, n)
    tx = pd.DataFrame({"customer_id": customer, "date": instants.astype("datetime64[us]")})
    low = int(instants.min())
    with pytest.raises(OverflowError):
        customer_blocks.pack_time(low, int(instants.max()), instants - low)
    result = rfm_summary(tx)
    days = pd.Series(instants.astype("datetime64[us]")).dt.floor("D")
    per_customer = pd.DataFrame({"c": customer, "d": days}).groupby("c")["d"]
    np.testing.assert_array_equal(result["frequency"], per_customer.nunique() - 1)
    np.testing.assert_array_equal(
        result["recency"], (per_customer.max() - per_customer.min()).dt.days
    )


def _in_row_order(values: pd.Series) -> float:
    """Sum left to right, as one pass over the log does (pandas' own sum is compensated)."""
    return float(list(itertools.accumulate(values.to_numpy(), operator.add))[-1])


@pytest.mark.parametrize("ids", ["int", "str"])
@pytest.mark.parametrize("blocks", [False, True])
def test_equals_a_plain_pandas_groupby_bit_for_bit(ids, blocks, monkeypatch):
    """Every column against an independent pandas groupby on a messy log, with a cut-off.

    Unsorted rows, several purchases a day, ties, second-resolution times, customers whose
    every purchase is after the cut-off; sums taken in row order, so equality is exact.
    """
    if blocks:
        monkeypatch.setattr(customer_blocks, "BLOCK_BITS", 5)
        monkeypatch.setattr(customer_blocks, "CHUNK_ROWS", 700)
    tx = messy_log(11, ids, "second", n_rows=6_000)
    end = pd.Timestamp("2021-11-30 13:00")
    ours = rfm_summary(tx, value_col="amount", observation_end=end)

    kept = tx[tx["date"] < end.normalize() + pd.Timedelta(days=1)]
    kept = kept.assign(day=kept["date"].dt.floor("D"))
    by_customer = kept.groupby("customer_id")
    first_day = by_customer["day"].transform("min")
    first_value = kept[kept["day"] == first_day].groupby("customer_id")["amount"]
    days = by_customer["day"]
    expected = pd.DataFrame(
        {
            "frequency": days.nunique() - 1,
            "recency": (days.max() - days.min()).dt.days.astype(float),
            "T": (end.normalize() - days.min()).dt.days.astype(float),
            "total_value": by_customer["amount"].agg(_in_row_order),
            "first_value": first_value.agg(_in_row_order),
            "first_purchase": by_customer["date"].min(),
            "last_purchase": by_customer["date"].max(),
            "n_transactions": by_customer.size(),
        }
    )
    repeat = expected["frequency"].to_numpy()
    spend = (expected["total_value"] - expected["first_value"]).to_numpy()
    expected["monetary_value"] = np.divide(
        spend, repeat, out=np.zeros(repeat.size), where=repeat > 0
    )
    assert len(ours) == len(expected) < tx["customer_id"].nunique()
    for column in expected.columns.drop("first_value"):
        np.testing.assert_array_equal(
            ours[column].to_numpy(), expected[column].to_numpy(), err_msg=column
        )
    np.testing.assert_array_equal(ours.index.to_numpy(), expected.index.to_numpy())


@pytest.mark.parametrize(
    "totals",
    [[300, 500, 0, 400, 100, 900, 50], [5000], [10, 20], [0, 0, 1200, 0], [999, 1, 999, 2]],
)
def test_groups_hold_at_least_group_rows_each(monkeypatch, totals):
    """Each group is the fewest consecutive blocks reaching GROUP_ROWS rows; a short tail
    joins the group before it (a log with fewer rows is one group)."""
    monkeypatch.setattr(customer_blocks, "GROUP_ROWS", 1000)
    groups = customer_blocks._groups(np.array(totals, dtype=np.int64), has_values=True)
    assert [b for g in groups for b in g.blocks] == list(range(len(totals)))
    sizes = [sum(totals[b] for b in g.blocks) for g in groups]
    if sum(totals) < 1000:
        assert sizes == [sum(totals)]
    else:
        assert min(sizes) >= 1000
    for group, size in zip(groups, sizes, strict=True):
        assert group.keys.size == size
        assert group.amounts is not None
        assert group.amounts.size == size
        assert group.bounds[-1][1] == size
    for group in groups[:-1]:  # the fewest blocks: without its last block it is too small
        without_last = sum(totals[b] for b in group.blocks[:-1])
        assert without_last < 1000


def test_partition_keeps_each_block_contiguous_and_in_row_order(monkeypatch):
    """Several groups of blocks: every block's rows, in their original order, and no other."""
    monkeypatch.setattr(customer_blocks, "CHUNK_ROWS", 256)
    monkeypatch.setattr(customer_blocks, "GROUP_ROWS", 700)
    rng = np.random.default_rng(3)
    n, n_customers = 3_000, 200
    numbers = rng.integers(0, n_customers, n)
    us = rng.integers(0, 10**9, n)
    values = rng.gamma(2.0, 10.0, n)
    end_us = int(np.quantile(us, 0.9))  # a tenth of the rows fall after the cut-off
    packing = customer_blocks.Packing(block_bits=4, time_bits=30, step=1, low_us=0)
    n_blocks = -(-n_customers // 16)
    groups = customer_blocks._partition(
        customer_blocks._Rows(numbers, 0), us, values, end_us, n_blocks, packing
    )
    assert len(groups) > 2
    assert [b for g in groups for b in g.blocks] == list(range(n_blocks))
    kept = us <= end_us
    for group in groups:
        assert group.bounds[-1][1] == group.keys.size
        for b, (start, end) in zip(group.blocks, group.bounds, strict=True):
            rows = np.flatnonzero(kept & (numbers >> 4 == b))
            expected = ((numbers[rows] & 15) << 30) | us[rows]
            np.testing.assert_array_equal(group.keys[start:end], expected)
            assert group.amounts is not None
            np.testing.assert_array_equal(group.amounts[start:end], values[rows])
