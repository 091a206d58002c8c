"""Read the transactions once and sort them by (customer, day) for the per-cutoff features."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from customer_models._reductions import customer_codes
from customer_models._time import US_PER_DAY
from customer_models._transactions import TransactionLog, read_with
from customer_models._validation import check_no_missing
from customer_models.exceptions import ParameterError

__all__ = ["History", "Reading", "read_log", "sort_history"]


@dataclass(frozen=True)
class Reading:
    """How the transaction table is read: its columns and the date and refund rules.

    The fields are named as the reader's options (:data:`READER_OPTIONS`), so
    :func:`read_with` takes them as they are; ``channel_col`` is read as an extra column.
    """

    customer_col: str
    date_col: str
    value_col: str | None
    channel_col: str | None
    refunds: str
    date_format: str | None
    dayfirst: bool | None


@dataclass(frozen=True)
class History:
    """The transactions as arrays sorted by (customer code, day).

    ``day`` counts days from ``day0`` (the first transaction's day); ``channels`` holds codes
    into ``channel_names`` (-1 for rows after the last cutoff, never read).
    """

    ids: pd.Index  # the customer id of each code
    codes: np.ndarray
    us: np.ndarray
    day: np.ndarray
    day0: int
    values: np.ndarray | None
    channels: np.ndarray | None
    channel_names: list[str]

    @property
    def n_customers(self) -> int:
        return len(self.ids)

    def day_of(self, instant_us: int) -> int:
        """Return the day number (from ``day0``) of an instant in µs."""
        return int(np.floor_divide(instant_us, US_PER_DAY)) - self.day0


def read_log(transactions: Any, reading: Reading) -> TransactionLog:
    """Read and validate the transactions (refunds can only be refused or dropped here)."""
    if reading.refunds not in ("error", "drop"):
        raise ParameterError(
            f"refunds={reading.refunds!r}: churn features count transactions, so refunds can "
            "only be refused ('error') or ignored ('drop') here."
        )
    return read_with(
        transactions,
        vars(reading),
        columns=() if reading.channel_col is None else (reading.channel_col,),
    )


def sort_history(log: TransactionLog, channel_col: str | None, last_cutoff_us: int) -> History:
    """Sort the log by (customer, day) once; channels are those seen by the last cutoff."""
    codes, uniques = customer_codes(log.ids)
    day_all = np.floor_divide(log.us, US_PER_DAY)
    day0 = int(day_all.min())
    day = day_all - day0
    order = np.argsort(codes * (int(day.max()) + 1) + day, kind="stable")
    channels, channel_names = (
        (None, []) if channel_col is None else _channel_codes(log, channel_col, last_cutoff_us)
    )
    return History(
        ids=uniques,
        codes=codes[order],
        us=log.us[order],
        day=day[order],
        day0=day0,
        values=None if log.amounts is None else log.amounts[order],
        channels=None if channels is None else channels[order],
        channel_names=channel_names,
    )


def _channel_codes(
    log: TransactionLog, channel_col: str, last_cutoff_us: int
) -> tuple[np.ndarray, list[str]]:
    """Channel code of each row (in log order) and the channel names, sorted.

    Only channels seen on or before the last cutoff get a column: a channel that appears
    later must not reveal the future through the column list.
    """
    raw = log.column(channel_col)
    check_no_missing(raw, log.ids, column=channel_col, what="transactions")
    history = log.us <= last_cutoff_us
    ch_codes, ch_uniques = pd.factorize(raw[history], sort=True)
    all_codes = np.full(len(raw), -1, dtype=np.int64)
    all_codes[history] = ch_codes
    return all_codes, [str(c) for c in ch_uniques]
