"""The database backends every tests/sql module runs on: DuckDB in memory always, and the
PostgreSQL server of ``CUSTOMER_MODELS_TEST_POSTGRES`` (``postgresql://user:password@host:port/db``)
when it is set. Table names carry the process id: pytest-xdist workers share the server."""

from __future__ import annotations

import os

import pyarrow as pa
import pytest

ibis = pytest.importorskip("ibis")
pytest.importorskip("duckdb")

POSTGRES = os.environ.get("CUSTOMER_MODELS_TEST_POSTGRES")
SUFFIX = os.getpid()
BACKENDS = [
    "duckdb",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(not POSTGRES, reason="CUSTOMER_MODELS_TEST_POSTGRES not set"),
    ),
]


@pytest.fixture(scope="module", params=BACKENDS)
def con(request):
    if request.param == "duckdb":
        connection = ibis.duckdb.connect()
    else:
        pytest.importorskip("psycopg")
        connection = ibis.connect(POSTGRES)
    yield connection
    connection.disconnect()


@pytest.fixture(scope="module")
def table_name():
    """``stem`` -> a table name of this test process (``cm_test_<stem>_<pid>``)."""
    return lambda stem: f"cm_test_{stem}_{SUFFIX}"


@pytest.fixture(scope="module")
def put(con, table_name):
    """Write a pandas frame to a (replaced) table of this process and return the Ibis table."""

    def create(stem, frame):
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        return con.create_table(table_name(stem), arrow, overwrite=True)

    return create
