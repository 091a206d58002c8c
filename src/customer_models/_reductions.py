"""Per-customer reductions of a transaction log: the kernels behind the customer summary.

Customers are numbered (compact integer ids by their offset, other ids by factorizing), then
(customer, time) is packed into one int64 per row at the coarsest resolution that loses
nothing (day, second, millisecond, microsecond) and sorted once (skipped when the table is
already sorted): each customer is a block of rows in time order, so the first and last
instants are the block ends and the distinct purchase periods are runs; only the spend is
summed in the rows' original order (bincounts by customer number). No Python loop per
customer.

When the pair does not fit in 63 bits (microsecond times over centuries for many customers),
(customer, period) keys are sorted instead and the first and last instants are scattered.
Refunds netted within their period (``refunds="net_period"``/``"net_customer"``) take the
sort-with-permutation path of :func:`_reduce_netted`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

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


@dataclass(frozen=True)
class Reduced:
    """Per-customer reductions over the purchase periods."""

    uniques: pd.Index
    first_period: np.ndarray
    last_period: np.ndarray
    n_periods: np.ndarray
    n_transactions: np.ndarray
    first_us: np.ndarray
    last_us: np.ndarray
    total_value: np.ndarray | None
    first_period_value: np.ndarray | None


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


#: Logs with at least this many rows overlap independent passes on two cores.
PARALLEL_MIN_ROWS = 1_000_000

_B = TypeVar("_B")
_F = TypeVar("_F")


def _two_cores() -> bool:
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return (len(cores) if cores is not None else os.cpu_count() or 1) > 1


def _concurrently(
    background: Callable[[], _B] | None,
    foreground: Callable[[], _F] | None,
    *,
    parallel: bool,
) -> tuple[_B | None, _F | None]:
    """Run ``background`` on a second thread while ``foreground`` runs here; both results.

    numpy releases the GIL in sorts and ufunc loops, so a sort or an elementwise pass in the
    background runs beside a bincount (which holds the GIL) here. At millions of rows the
    bincount and gather passes are bound by cache misses, so overlapping them with the
    sequential passes is the cheapest speed-up there is. One extra thread at most, only with
    ``parallel`` and at least two usable cores; a ``None`` task is skipped.
    """
    if background is None or foreground is None or not (parallel and _two_cores()):
        return (
            None if background is None else background(),
            None if foreground is None else foreground(),
        )
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="customer_models") as pool:
        pending = pool.submit(background)
        here = foreground()
        return pending.result(), here


#: Resolutions tried for packing time into the sort key: day, second, millisecond, microsecond.
_US_STEPS = (86_400 * 10**6, 10**6, 10**3, 1)


def _row_customers(ids: pd.Series) -> tuple[np.ndarray, int, Any]:
    """Per-row customer number, how many numbers there are, and the id of each number.

    Integer ids over a compact range are numbered by their offset from the smallest id (no
    hashing and no per-row remap; some numbers may be unused); other ids by sorted factorize
    codes. Numbers increase with the ids, so customers sorted by number are sorted by id.
    """
    values = ids.to_numpy()
    if values.dtype.kind in "iu" and values.size:
        low, high = int(values.min()), int(values.max())
        if high - low < 4 * values.size + 1024:
            numbers = np.subtract(values, low, dtype=np.int64, casting="unsafe")  # in range
            return numbers, high - low + 1, (low, values.dtype)
    codes, uniques = customer_codes(ids)
    return codes, len(uniques), pd.Index(uniques)


def _ids_of(numbers: np.ndarray, id_of: Any) -> pd.Index:
    if isinstance(id_of, pd.Index):
        return id_of[numbers]
    low, dtype = id_of
    return pd.Index((numbers + low).astype(dtype))


def _time_key(
    numbers: np.ndarray, n_numbers: int, us: np.ndarray
) -> tuple[np.ndarray, int, int, np.ndarray]:
    """Pack ``(number, time)`` into one int64 per row (unsorted); return it, the span and step.

    The time is ``(us - min) // step`` with the coarsest step that loses nothing. The fourth
    value is a spent row-sized int64 buffer for the caller to reuse. Raises OverflowError when
    the pair does not fit in 63 bits (the caller falls back).
    """
    low = int(us.min())
    offset = us - low
    span_us = int(offset.max()) + 1
    key = np.empty_like(offset)  # also the scratch of the divisibility checks
    for step in _US_STEPS:
        span = -(-span_us // step)
        if n_numbers * span >= 2**62:
            continue
        if step > 1 and bool(np.remainder(offset, step, out=key).any()):
            continue
        if step > 1:
            np.floor_divide(offset, step, out=offset)
        np.multiply(numbers, span, out=key)
        key += offset
        return key, span, step, offset
    raise OverflowError("customer and time do not fit in one int64 key")


def _reduce_sorted(log: TransactionLog, periods: np.ndarray, freq: str) -> Reduced:
    """Every row is a purchase: one sort by (customer, time) gives every reduction.

    After the sort each customer is a block of rows in time order, so the first and last
    instants are the block ends and distinct purchase periods are runs; only the spend needs
    the rows in their original order (bincounts by customer number). The spend's random
    access passes overlap the sort and the run counting on a second core (see
    :func:`_concurrently`).
    """
    numbers, n_numbers, id_of = _row_customers(log.ids)
    key, span, step, scratch = _time_key(numbers, n_numbers, log.us)
    values = log.amounts
    parallel = key.size >= PARALLEL_MIN_ROWS
    sort = None if key.size < 2 or bool((key[1:] >= key[:-1]).all()) else key.sort
    total = _concurrently(
        sort,
        None if values is None else lambda: np.bincount(numbers, values, n_numbers),
        parallel=parallel,
    )[1]
    # Split in place: fresh row-sized arrays cost page faults as well as memory at 10M rows.
    number = np.floor_divide(key, span, out=scratch)
    new_customer = np.empty(key.size, dtype=bool)
    new_customer[0] = True
    np.not_equal(number[1:], number[:-1], out=new_customer[1:])
    first_row = np.flatnonzero(new_customer)
    last_row = np.append(first_row[1:], key.size) - 1
    present = number[first_row]
    del number, scratch
    us = np.remainder(key, span, out=key)
    us *= step
    us += int(log.us.min())
    first_us, last_us = us[first_row], us[last_row]
    period = period_codes(us, freq, out=us)  # the instants are not needed any more
    first_period = period[first_row]

    def count_periods() -> np.ndarray:
        new_period = np.empty(key.size, dtype=bool)
        new_period[0] = True
        np.not_equal(period[1:], period[:-1], out=new_period[1:])
        new_period |= new_customer  # a period run starts each customer's block
        return np.add.reduceat(new_period, first_row, dtype=np.int64)

    def first_period_value() -> np.ndarray | None:
        if values is None:
            return None
        return _first_period_value(numbers, n_numbers, present, periods, first_period, values)

    n_periods, first_value = _concurrently(count_periods, first_period_value, parallel=parallel)
    assert n_periods is not None  # count_periods always runs
    return Reduced(
        _ids_of(present, id_of),
        first_period,
        period[last_row],
        n_periods,
        last_row - first_row + 1,
        first_us,
        last_us,
        None if total is None else total[present],
        first_value,
    )


def _first_period_value(
    numbers: np.ndarray,
    n_numbers: int,
    present: np.ndarray,
    periods: np.ndarray,
    first_period: np.ndarray,
    values: np.ndarray,
) -> np.ndarray:
    """Value of each present customer's first purchase period, rows in their original order.

    Rows are random access into a per-customer array, so it is kept narrow (first periods as
    16-bit offsets where they fit): at millions of customers this pass is bound by cache
    misses, not by arithmetic. ``periods`` is overwritten (its last use; the reduction's own).
    """
    low = int(first_period.min())
    span = int(periods.max()) - low + 1
    narrow = np.uint16 if span < 2**16 else np.uint32 if span < 2**32 else np.int64
    first_by_number = np.zeros(n_numbers, dtype=narrow)
    first_by_number[present] = first_period - low
    relative = np.subtract(periods, low, out=periods)
    in_first = np.equal(relative, first_by_number[numbers])
    sums = np.bincount(numbers[in_first], values[in_first], n_numbers)
    return sums[present]


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


def _reduce_rows(log: TransactionLog, periods: np.ndarray, freq: str) -> Reduced:
    """Every transaction row is a purchase (no refunds to net)."""
    try:
        return _reduce_sorted(log, periods, freq)
    except OverflowError:  # many customers over a long span at microsecond resolution
        pass
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


def reduce_purchases(log: TransactionLog, periods: np.ndarray, freq: str) -> Reduced:
    """Reduce ``log`` to one row of facts per customer.

    ``periods`` (each row's period at ``freq``) must be a fresh array: it may be overwritten.
    """
    netting = log.refunds in ("net_period", "net_customer")
    if netting and log.amounts is not None and bool((log.amounts < 0).any()):
        return _reduce_netted(log, periods)
    return _reduce_rows(log, periods, freq)
