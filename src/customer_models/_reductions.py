"""Per-customer reductions of a transaction log: the kernels behind the customer summary.

Customers are numbered (compact integer ids by their offset, other ids by factorizing). When
every row is a purchase, the block kernel of :mod:`customer_models._customer_blocks` reduces
the log: rows partitioned into blocks of customers in cache-sized chunks, each block sorted
by (customer, time) and reduced in cache. No Python loop per customer.

When (customer, time) fits no int64 layout (microsecond times over centuries for many
customers), (customer, period) keys are sorted instead and the first and last instants are
scattered (:func:`_reduce_rows`). Refunds netted within their period
(``refunds="net_period"``/``"net_customer"``) take the sort-with-permutation path of
:func:`_reduce_netted`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from customer_models._customer_blocks import Packing, Reduced, pack_time, reduce_blocks
from customer_models._time import period_codes
from customer_models._transactions import TransactionLog
from customer_models.exceptions import DataValidationError

__all__ = ["Reduced", "customer_codes", "reduce_purchases"]


def customer_codes(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer code of each row's customer (0..n-1 in sorted id order) and the sorted ids.

    Integer ids over a compact range are coded by offset (no hashing); others are factorized.
    """
    values = ids.to_numpy()
    if values.dtype.kind in "iu" and values.size:
        low, high = int(values.min()), int(values.max())
        if high - low < 4 * values.size + 1024:
            offset = (values - low).astype(np.intp)
            present = np.bincount(offset, minlength=high - low + 1) > 0
            remap = np.cumsum(present, dtype=np.int64) - 1
            uniques = np.flatnonzero(present) + low
            return remap[offset], pd.Index(uniques.astype(values.dtype))
    codes, uniques = pd.factorize(ids, sort=True)
    return codes.astype(np.int64, copy=False), pd.Index(uniques)


def _sorted_runs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Sorted ``key`` and the sorting permutation (None when it was sorted already)."""
    if key.size < 2 or bool((key[1:] >= key[:-1]).all()):
        return key, None
    order = np.argsort(key, kind="stable")
    return key[order], order


def _block_ends(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last position of each block of a sorted array with ``counts`` per block."""
    last = np.cumsum(counts) - 1
    return last - counts + 1, last


def _row_customers(ids: pd.Series) -> tuple[np.ndarray, int, int, Any]:
    """Per-row customer numbers as ``values - low``, how many numbers, and their ids.

    Integer ids over a compact range are numbered by their offset from the smallest id (no
    hashing and no per-row remap; some numbers may be unused); other ids by sorted factorize
    codes (``low`` 0). Numbers increase with the ids, so customers sorted by number are sorted
    by id.
    """
    values = ids.to_numpy()
    if values.dtype.kind in "iu" and values.size:
        low, high = int(values.min()), int(values.max())
        if high - low < 4 * values.size + 1024:
            return values, low, high - low + 1, (low, values.dtype)
    codes, uniques = customer_codes(ids)
    return codes, 0, len(uniques), pd.Index(uniques)


def _ids_of(numbers: np.ndarray, id_of: Any) -> pd.Index:
    if isinstance(id_of, pd.Index):
        return id_of[numbers]
    low, dtype = id_of
    if numbers.size and int(numbers[-1]) - int(numbers[0]) + 1 == numbers.size:
        start = low + int(numbers[0])
        return pd.Index(np.arange(start, start + numbers.size, dtype=dtype))
    return pd.Index((numbers + low).astype(dtype))


def _time_key(log: TransactionLog, end_us: int) -> Packing:
    """Layout of the (customer, time) key of the rows up to ``end_us``; OverflowError if none."""
    low = int(log.us.min())
    high = min(int(log.us.max()), end_us)
    return pack_time(low, high, log.us - low if high - low >= 2**46 else None)


def _reduce_sorted(log: TransactionLog, end_us: int, freq: str) -> Reduced:
    """Every row up to ``end_us`` is a purchase: customer blocks, each sorted in cache.

    See :mod:`customer_models._customer_blocks`.
    """
    values, low, n_numbers, id_of = _row_customers(log.ids)
    packing = _time_key(log, end_us)
    present, out = reduce_blocks(values, low, n_numbers, log.us, log.amounts, end_us, freq, packing)
    if bool(present.all()):
        return replace(out, uniques=_ids_of(np.arange(n_numbers), id_of))
    numbers = np.flatnonzero(present)
    columns: dict[str, Any] = {
        name: None if array is None else array[numbers]
        for name, array in vars(out).items()
        if isinstance(array, np.ndarray) or array is None
    }
    return replace(out, uniques=_ids_of(numbers, id_of), **columns)


def _periods_per_customer(
    codes: np.ndarray, periods: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct periods, first and last period of each customer code in ``0..n-1``.

    (customer, period) pairs are packed into one int64 key and sorted (a SIMD sort, faster than
    a hash table with millions of distinct keys); tables already sorted by customer and date
    skip the sort. Every code must occur at least once.
    """
    low = periods.min()
    span = int(periods.max() - low) + 1
    key = codes.astype(np.int64) * span + (periods - low)
    if not bool((key[1:] >= key[:-1]).all()):
        key = np.sort(key)
    new_run = np.empty(key.size, dtype=bool)
    new_run[0] = True
    np.not_equal(key[1:], key[:-1], out=new_run[1:])
    runs = key[new_run]
    run_customer = runs // span
    n_periods = np.bincount(run_customer, minlength=n)
    first_run, last_run = _block_ends(n_periods)
    run_period = runs - run_customer * span + low
    return n_periods, run_period[first_run], run_period[last_run]


def _first_last(codes: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, codes, values)
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, codes, values)
    return first, last


def _reduce_rows(log: TransactionLog, periods: np.ndarray) -> Reduced:
    """Every transaction row is a purchase: the general path (any time span)."""
    codes, uniques = customer_codes(log.ids)
    n = len(uniques)
    n_periods, first_period, last_period = _periods_per_customer(codes, periods, n)
    first_us, last_us = _first_last(codes, log.us, n)
    total = first_value = None
    if log.amounts is not None:
        values = log.amounts
        total = np.bincount(codes, weights=values, minlength=n)
        in_first = periods == first_period[codes]
        first_value = np.bincount(codes, weights=np.where(in_first, values, 0.0), minlength=n)
    return Reduced(
        uniques,
        first_period,
        last_period,
        n_periods,
        np.bincount(codes, minlength=n),
        first_us,
        last_us,
        total,
        first_value,
    )


#: The rule of the refusal when no period of a netted log is a purchase.
NO_PURCHASE_RULE = "some period with a positive net value"


def _reduce_netted(log: TransactionLog, periods: np.ndarray) -> Reduced:
    """Refunds netted within their period: a period is a purchase unless a refund cancels it.

    Periods without negative rows are purchases (a zero-value order is an order); a period with
    a refund is a purchase only if its net value is positive. With ``refunds="net_customer"``
    the value of the other periods (after the first purchase) still counts in the customer's
    spend.
    """
    assert log.amounts is not None
    codes, all_ids = customer_codes(log.ids)
    low = periods.min()
    span = int(periods.max() - low) + 1
    key, order = _sorted_runs(codes * span + (periods - low))
    values = log.amounts if order is None else log.amounts[order]
    us = log.us if order is None else log.us[order]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    net = np.add.reduceat(values, starts)
    purchase = (np.minimum.reduceat(values, starts) >= 0) | (net > 0)
    run_customer = key[starts] // span
    run_period = key[starts] % span + low
    n_all = len(all_ids)
    buyers = np.bincount(run_customer[purchase], minlength=n_all) > 0
    if not buyers.any():
        raise DataValidationError(
            f"no customer has a purchase: every period of {log.value_col} nets to <= 0 "
            "after refunds.",
            column=log.value_col,
            rule=NO_PURCHASE_RULE,
            n_rows=len(log),
        )
    recode = np.cumsum(buyers) - 1
    n = int(buyers.sum())
    p_customer = recode[run_customer[purchase]]
    p_period = run_period[purchase]
    # Purchase runs are sorted by (customer, period): each customer's first and last purchase
    # periods are the ends of its block.
    n_periods = np.bincount(p_customer, minlength=n)
    first_run, last_run = _block_ends(n_periods)
    first_period, last_period = p_period[first_run], p_period[last_run]
    first_us = np.minimum.reduceat(us, starts)[purchase][first_run]
    last_us = np.maximum.reduceat(us, starts)[purchase][last_run]
    p_net = net[purchase]
    first_value = p_net[first_run]
    run_lengths = np.diff(np.append(starts, key.size))
    keep = buyers[run_customer]
    r_customer = recode[run_customer[keep]]
    if log.refunds == "net_customer":
        after_first = run_period[keep] >= first_period[r_customer]
        total = np.bincount(r_customer, weights=np.where(after_first, net[keep], 0.0), minlength=n)
    else:
        total = np.bincount(p_customer, weights=p_net, minlength=n)
    return Reduced(
        all_ids[buyers],
        first_period,
        last_period,
        n_periods,
        np.bincount(r_customer, weights=run_lengths[keep], minlength=n).astype(np.int64),
        first_us,
        last_us,
        total,
        first_value,
    )


def reduce_purchases(
    log: TransactionLog, freq: str, *, end_us: int | None = None, periods: np.ndarray | None = None
) -> Reduced:
    """Reduce the rows of ``log`` up to ``end_us`` (default: all) to one row per customer.

    ``periods`` (each row's period at ``freq``, optional) saves recomputing them on the paths
    that need them (refunds to net, keys too wide for one int64).
    """
    netting = log.refunds in ("net_period", "net_customer")
    netting = netting and log.amounts is not None and bool((log.amounts < 0).any())
    if end_us is None:
        end_us = int(log.us.max())
    if not netting:
        try:
            return _reduce_sorted(log, end_us, freq)
        except OverflowError:  # many customers over a long span at microsecond resolution
            pass
    if periods is None:
        periods = period_codes(log.us, freq)
    if int(log.us.max()) > end_us:
        keep = log.us <= end_us
        log, periods = log.take(keep), periods[keep]
    if netting:
        return _reduce_netted(log, periods)
    return _reduce_rows(log, periods)
