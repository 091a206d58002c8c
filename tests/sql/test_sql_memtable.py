"""customer_models.sql.memtable: a frame as an in-memory Ibis table, its index kept."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import customer_models as cm
from customer_models.exceptions import DataValidationError, ParameterError

sys.path.insert(0, str(Path(__file__).parents[1]))  # the suite's shared log generators
from _messy_logs import messy_log

pytest.importorskip("ibis")
pytest.importorskip("duckdb")
cms = pytest.importorskip("customer_models.sql")


def fetched(table) -> pd.DataFrame:
    return table.to_pyarrow().to_pandas()


def test_summary_index_becomes_the_first_column(cdnow_summary):
    before = cdnow_summary.copy()
    table = cms.memtable(cdnow_summary)
    got = fetched(table).set_index("customer_id")
    assert table.columns[0] == "customer_id"
    assert got.index.tolist() == cdnow_summary.index.tolist()
    np.testing.assert_array_equal(got.to_numpy(), cdnow_summary.to_numpy())
    pd.testing.assert_frame_equal(cdnow_summary, before)  # the caller's frame is untouched


def test_plain_range_index_is_dropped_and_other_indexes_kept():
    frame = pd.DataFrame({"x": [1.5, 2.5], "label": ["a", "b"]})
    assert cms.memtable(frame).columns == ("x", "label")
    unnamed = frame.set_axis(pd.Index([10, 20]))
    assert fetched(cms.memtable(unnamed))["index"].tolist() == [10, 20]
    clash = frame.set_axis(pd.Index(["p", "q"], name="label"))
    got = fetched(cms.memtable(clash))
    assert got.columns.tolist() == ["label_index", "x", "label"]
    assert got["label_index"].tolist() == ["p", "q"]


def test_polars_and_arrow_give_the_same_rows_as_pandas(cdnow_summary):
    pl = pytest.importorskip("polars")
    flat = cdnow_summary.reset_index()
    expected = fetched(cms.memtable(cdnow_summary))
    for frame in (pl.from_pandas(flat), pl.from_pandas(flat).lazy(), pa.Table.from_pandas(flat)):
        pd.testing.assert_frame_equal(fetched(cms.memtable(frame)), expected)


@pytest.mark.parametrize(
    ("ids", "refunds"), [("str", "error"), ("sparse-int", "net_period"), ("uint", "net_customer")]
)
def test_sql_summary_of_a_memtable_equals_the_in_memory_summary(ids, refunds):
    log = messy_log(seed=5, ids=ids, resolution="second", n_rows=2_000)
    log.loc[log.index[::37], "amount"] = 0.0  # zero amounts among the timestamps
    if refunds != "error":
        log.loc[log.index[5::11], "amount"] *= -1  # refunds
    options = {"value_col": "amount", "freq": "h", "time_unit": "D", "refunds": refunds}
    got = cms.rfm_summary(cms.memtable(log), **options)
    expected = cm.rfm_summary(log, **options)
    pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index())
    assert got.attrs == expected.attrs


def test_bad_frames_are_refused_by_name():
    pl = pytest.importorskip("polars")
    with pytest.raises(ParameterError, match=r"frame must be a pandas DataFrame.*got list"):
        cms.memtable([1, 2])
    with pytest.raises(ParameterError, match="frame must be a table, got Series"):
        cms.memtable(pl.Series("x", [1, 2]))
    twice = pa.table({"a": [1]}).append_column("a", pa.array([2]))
    with pytest.raises(DataValidationError, match="frame has 2 columns named 'a'") as caught:
        cms.memtable(twice)
    assert caught.value.column == "a"
