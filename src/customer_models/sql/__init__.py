"""The customer summary inside the database, through Ibis.

Requires the ``sql`` extra (``pip install "customer_models[sql]"``, which installs
``ibis-framework[duckdb]``); importing ``customer_models`` never imports Ibis, only this
module's functions do. Other Ibis backends (PostgreSQL, BigQuery, Snowflake, ...) need their
own Ibis extra, e.g. ``ibis-framework[postgres]``.

:func:`rfm_summary` and :func:`calibration_holdout_split` take an Ibis table and return the
same pandas frame as :func:`customer_models.rfm_summary` and
:func:`customer_models.calibration_holdout_split` on the same rows: the validation runs as one
aggregate query, the summary as one query that groups by customer and purchase period in the
database, and only one row per customer is fetched. :func:`write_scores` writes scores
back in chunks with the model's JSON alongside, and :func:`probability_alive_expression` is
BG/NBD's P(alive) as an expression the database evaluates (or ``ibis.to_sql`` prints).
:func:`memtable` makes an in-memory Ibis table of a pandas, polars or Arrow frame (a
summary's customer id index becomes a column), for trying the functions without a database.
"""

from __future__ import annotations

from customer_models.sql._api import calibration_holdout_split, rfm_summary
from customer_models.sql._behavior import behavior_features
from customer_models.sql._memtable import memtable
from customer_models.sql._rfm import rfm_score_expressions, rfm_segment_expression
from customer_models.sql._scores import probability_alive_expression, write_scores
from customer_models.sql._stages import stage_expression

__all__ = [
    "behavior_features",
    "calibration_holdout_split",
    "memtable",
    "probability_alive_expression",
    "rfm_score_expressions",
    "rfm_segment_expression",
    "rfm_summary",
    "stage_expression",
    "write_scores",
]
