"""Bundled datasets and seeded simulators.

The CDNOW and donations files are redistributed from the ``lifetimes`` package (MIT licence,
see ``data/LICENSE-lifetimes.txt``); the CDNOW data set itself was published by Fader and Hardie.
"""

from __future__ import annotations

from customer_models.datasets._loaders import (
    load_cdnow_summary,
    load_cdnow_transactions,
    load_donations,
)
from customer_models.datasets._simulate import (
    DEFAULT_SIMULATION_PARAMS,
    make_transactions,
)
from customer_models.datasets._simulate_summary import SUMMARY_PROCESSES, make_holdout_summary

__all__ = [
    "DEFAULT_SIMULATION_PARAMS",
    "SUMMARY_PROCESSES",
    "load_cdnow_summary",
    "load_cdnow_transactions",
    "load_donations",
    "make_holdout_summary",
    "make_transactions",
]
