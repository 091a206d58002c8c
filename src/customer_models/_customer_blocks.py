"""The summary's main kernel: rows partitioned into blocks of customers, each reduced in cache.

A log of millions of customers does not fit in the CPU cache, and every pass that touches a
per-customer table at random (a bincount of the spend, a gather of each row's first period)
or a sort of the whole table gets slower per row as the table grows. So the rows go through
memory once, in order:

1. **Partition** (:func:`_partition`): rows are read in cache-sized chunks, twice. The first
   pass counts each chunk's rows per customer block (a block is ``2**BLOCK_BITS`` consecutive
   customer numbers). The second packs (customer, time) into one int64 key per row, drops rows
   after the cut-off, radix-sorts the chunk by block (``np.argsort(kind="stable")`` of 8- or
   16-bit block numbers, which numpy radix-sorts) and copies each block's piece after the
   earlier chunks' pieces of that block: every block's rows end up contiguous, in row order.
   Consecutive blocks share one buffer pair per group of at least :data:`GROUP_ROWS` rows.
2. **Reduce** (:func:`_reduce_block`): each block's rows (a short array that stays in cache)
   are sorted, so each customer is a run of rows in time order and its distinct purchase
   periods are runs (the per-(customer, period) sorted array); its spend is summed by
   bincounts over at most ``2**BLOCK_BITS`` customers in the rows' original order (the
   partition is stable), so sums are bit-identical to one bincount over the log. A group's
   buffers are freed once its blocks are reduced, so the per-customer results, written block
   by block, reuse memory just released: the peak is about the partition plus one group's
   results, not the partition plus all of them (fresh memory is slow to fault in on the VMs the
   benchmarks ran on; see benchmarks/README.md).

The work per row is the same at a thousand or ten million customers; only the partition
reads and writes the whole log, sequentially. Results are written into preallocated
per-customer arrays that become the summary's columns in place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from customer_models._time import period_codes

__all__ = ["BLOCK_BITS", "CHUNK_ROWS", "Packing", "Reduced", "pack_time", "reduce_blocks"]

#: Customers per block: ``2**BLOCK_BITS`` (tables of 64k entries, 512 KiB, stay in L2 cache).
BLOCK_BITS = 16
#: Fewest customer bits per block tolerated before the time is coarsened or the caller falls
#: back (blocks of fewer customers mean more Python steps per row).
MIN_BLOCK_BITS = 10
#: Rows read per partition chunk (2 MiB of int64: the chunk's passes run in cache).
CHUNK_ROWS = 1 << 18
#: Fewest rows per group of blocks sharing one pair of partition buffers (32 MiB of keys and as
#: many of values: above glibc's largest heap threshold, so a freed group is unmapped at once).
GROUP_ROWS = 1 << 22
#: Time resolutions tried when microseconds leave too few bits for the customer: seconds,
#: milliseconds (coarser only if no instant is lost).
_COARSER_STEPS = (10**6, 10**3)


@dataclass(frozen=True)
class Packing:
    """How (customer, time) is packed: ``(local customer << time_bits) | (us - low) // step``."""

    block_bits: int
    time_bits: int
    step: int
    low_us: int


def pack_time(low_us: int, high_us: int, offsets: np.ndarray | None = None) -> Packing:
    """Choose the key layout for instants in ``[low_us, high_us]``.

    Microseconds when they leave at least :data:`BLOCK_BITS` bits (spans up to 2.2 years);
    else the coarsest of seconds and milliseconds that loses no instant of ``offsets`` (the
    instants minus ``low_us``; one remainder pass each) with up to ``BLOCK_BITS`` customer bits;
    else microseconds with smaller blocks, down to :data:`MIN_BLOCK_BITS`. Raises
    OverflowError when nothing fits (the caller falls back to the general reduction).

    Examples
    --------
    >>> p = pack_time(0, 365 * 86_400 * 10**6)
    >>> p.block_bits, p.time_bits, p.step
    (16, 45, 1)
    """
    span = high_us - low_us + 1
    us_bits = max(1, (span - 1).bit_length())
    if us_bits + BLOCK_BITS <= 62:
        return Packing(BLOCK_BITS, us_bits, 1, low_us)
    if offsets is not None:
        for step in _COARSER_STEPS:
            bits = max(1, (-(-span // step) - 1).bit_length())
            if bits + BLOCK_BITS <= 62 and not bool(np.remainder(offsets, step).any()):
                return Packing(BLOCK_BITS, bits, step, low_us)
    if 62 - us_bits >= MIN_BLOCK_BITS:
        return Packing(62 - us_bits, us_bits, 1, low_us)
    raise OverflowError("customer and time do not fit in one int64 key")


@dataclass(frozen=True)
class Reduced:
    """Per-customer reductions over the purchase periods."""

    uniques: pd.Index
    first_period: np.ndarray  # float64 here (exact): recency and T are computed in place
    last_period: np.ndarray
    n_periods: np.ndarray
    n_transactions: np.ndarray
    first_us: np.ndarray
    last_us: np.ndarray
    total_value: np.ndarray | None
    first_period_value: np.ndarray | None
    #: The arrays are the reduction's own: the summary frame may reuse them in place
    #: (fresh 80 MB arrays cost page faults at 10M customers).
    owned: bool = False


def _chunk_key(
    numbers: np.ndarray, us: np.ndarray, packing: Packing
) -> tuple[np.ndarray, np.ndarray]:
    """Block number and packed key of each row of one chunk."""
    block = numbers >> packing.block_bits
    key = numbers & ((1 << packing.block_bits) - 1)
    key <<= packing.time_bits
    time = us - packing.low_us
    if packing.step > 1:
        time //= packing.step
    key |= time
    return block, key


@dataclass
class _Group:
    """Consecutive blocks whose rows share one pair of buffers, freed once they are reduced."""

    blocks: range
    keys: np.ndarray
    amounts: np.ndarray | None
    #: ``(start, end)`` of each block's rows in the buffers (blocks are contiguous).
    bounds: list[tuple[int, int]]


def _chunk_rows(
    numbers_of: _Rows,
    us: np.ndarray,
    values: np.ndarray | None,
    end_us: int | None,
    rows: slice,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Read one chunk's customer numbers, instants and values (up to ``end_us`` if given)."""
    numbers, chunk_us = numbers_of(rows), us[rows]
    chunk_values = None if values is None else values[rows]
    if end_us is not None:
        kept = chunk_us <= end_us
        numbers, chunk_us = numbers[kept], chunk_us[kept]
        chunk_values = None if chunk_values is None else chunk_values[kept]
    return numbers, chunk_us, chunk_values


def _groups(totals: np.ndarray, has_values: bool) -> list[_Group]:
    """Blocks in groups of at least :data:`GROUP_ROWS` rows, each with fresh (unfilled) buffers.

    Only a log of fewer rows has a smaller group. The floor matters: glibc keeps a freed
    buffer under 32 MiB in its heap, where the result columns (fresh 80 MB mappings at 10M
    customers) cannot reuse it, but returns a larger one to the kernel at once, whose pages
    the result columns then take instead of fresh ones (benchmarks/README.md).
    """
    groups: list[_Group] = []
    first = 0
    # rows of the blocks from each block to the end: a short tail joins the group before it
    remaining = np.cumsum(totals[::-1])[::-1]
    while first < totals.size:
        last, rows = first, 0
        while last < totals.size and (rows < GROUP_ROWS or remaining[last] < GROUP_ROWS):
            rows += int(totals[last])
            last += 1
        ends = np.cumsum(totals[first:last]).tolist()
        starts = [0, *ends[:-1]]
        groups.append(
            _Group(
                range(first, last),
                np.empty(rows, dtype=np.int64),
                np.empty(rows, dtype=np.float64) if has_values else None,
                list(zip(starts, ends, strict=True)),
            )
        )
        first = last
    return groups


def _partition(
    numbers_of: _Rows,
    us: np.ndarray,
    values: np.ndarray | None,
    end_us: int,
    n_blocks: int,
    packing: Packing,
) -> list[_Group]:
    """Group the packed keys (and values) of the rows up to ``end_us`` by block.

    A counting pass sizes every block; the second pass radix-sorts each chunk by block and
    copies its pieces after the previous chunks' pieces of the same block, so each block's
    rows are contiguous and keep their order. Blocks share a buffer pair per group of at least
    :data:`GROUP_ROWS` rows: the caller frees a group once it is reduced, so the per-customer
    results written later reuse memory just released (peak at 10M customers: 0.79x the
    input frame, against 1.25x with one buffer for the whole log).
    """
    n = us.size
    cut: int | None = end_us if bool(us.max() > end_us) else None
    n_chunks = -(-n // CHUNK_ROWS)
    chunks = [slice(c * CHUNK_ROWS, min(n, (c + 1) * CHUNK_ROWS)) for c in range(n_chunks)]
    counts = np.zeros((n_chunks, n_blocks), dtype=np.int64)
    for c, rows in enumerate(chunks):
        numbers, _, _ = _chunk_rows(numbers_of, us, None, cut, rows)
        numbers >>= packing.block_bits
        counts[c] = np.bincount(numbers, minlength=n_blocks)
    groups = _groups(counts.sum(axis=0), values is not None)
    # where chunk c's piece of block b goes in its group's buffers
    offsets = np.cumsum(counts, axis=0) - counts
    at: list[_Group] = []  # the group of each block
    for group in groups:
        for b, (start, _) in zip(group.blocks, group.bounds, strict=True):
            at.append(group)
            offsets[:, b] += start
    block_type = np.uint8 if n_blocks <= 256 else np.uint16 if n_blocks <= 2**16 else np.int64
    for c, rows in enumerate(chunks):
        numbers, chunk_us, chunk_values = _chunk_rows(numbers_of, us, values, cut, rows)
        block, key = _chunk_key(numbers, chunk_us, packing)
        if n_blocks > 1:
            # numpy radix-sorts 8- and 16-bit integers with kind="stable": O(rows), in cache.
            order = np.argsort(block.astype(block_type), kind="stable")
            key = key[order]
            chunk_values = None if chunk_values is None else chunk_values[order]
        sizes, starts = counts[c].tolist(), offsets[c].tolist()
        piece_start = 0
        for b in np.flatnonzero(counts[c]).tolist():
            group, size, start = at[b], sizes[b], starts[b]
            group.keys[start : start + size] = key[piece_start : piece_start + size]
            if group.amounts is not None and chunk_values is not None:
                group.amounts[start : start + size] = chunk_values[piece_start : piece_start + size]
            piece_start += size
    return groups


class _Rows:
    """Customer number of the rows of a slice (offset ids computed per chunk, or codes)."""

    def __init__(self, values: np.ndarray, low: int) -> None:
        self.values, self.low = values, low

    def __call__(self, rows: slice) -> np.ndarray:
        part = self.values[rows]
        if self.low == 0 and part.dtype == np.int64:
            return part.copy()
        return np.subtract(part, self.low, dtype=np.int64, casting="unsafe")


def _reduce_block(
    keys: np.ndarray,
    values: np.ndarray | None,
    packing: Packing,
    freq: str,
    base: int,
    present: np.ndarray,
    out: Reduced,
) -> None:
    """Reduce one block's rows (unsorted keys, values in row order) into ``out``.

    ``present`` (one flag per customer number) is set for the block's customers.
    """
    time_mask = (1 << packing.time_bits) - 1
    ordered = np.sort(keys)
    local = ordered >> packing.time_bits
    m = ordered.size
    new_customer = np.empty(m, dtype=bool)
    new_customer[0] = True
    np.not_equal(local[1:], local[:-1], out=new_customer[1:])
    first_row = np.flatnonzero(new_customer)
    last_row = np.empty_like(first_row)
    last_row[:-1] = first_row[1:] - 1
    last_row[-1] = m - 1
    customers = local[first_row]
    span = int(customers[-1]) - int(customers[0]) + 1
    # Customers of a block are usually consecutive numbers: a slice writes faster.
    number: slice | np.ndarray = (
        slice(base + int(customers[0]), base + int(customers[0]) + span)
        if span == customers.size
        else customers + base
    )
    instants = np.bitwise_and(ordered, time_mask, out=local)  # ``local`` is spent
    if packing.step > 1:
        instants *= packing.step
    instants += packing.low_us
    out.first_us[number] = instants[first_row]
    out.last_us[number] = instants[last_row]
    # Each customer's rows are in time order: its distinct purchase periods are runs.
    period = period_codes(instants, freq, out=instants)
    new_period = np.empty(m, dtype=bool)
    new_period[0] = True
    np.not_equal(period[1:], period[:-1], out=new_period[1:])
    new_period |= new_customer
    out.n_periods[number] = np.add.reduceat(new_period, first_row, dtype=np.int64)
    out.n_transactions[number] = last_row - first_row + 1
    first_period = period[first_row]
    out.first_period[number] = first_period
    out.last_period[number] = period[last_row]
    present[number] = True
    if values is None or out.total_value is None or out.first_period_value is None:
        return
    # Spend in the rows' original order (bit-identical to one bincount over the whole log).
    size = 1 << packing.block_bits
    row_local = keys >> packing.time_bits
    out.total_value[number] = np.bincount(row_local, values, size)[customers]
    first_of = np.zeros(size, dtype=np.int64)
    first_of[customers] = first_period
    row_time = np.bitwise_and(keys, time_mask)
    if packing.step > 1:
        row_time *= packing.step
    row_time += packing.low_us
    in_first = period_codes(row_time, freq, out=row_time) == first_of[row_local]
    first_sums = np.bincount(row_local[in_first], values[in_first], size)
    out.first_period_value[number] = first_sums[customers]


def _reduce_group(
    group: _Group, packing: Packing, freq: str, present: np.ndarray, out: Reduced
) -> None:
    for b, (start, end) in zip(group.blocks, group.bounds, strict=True):
        if end > start:
            values = None if group.amounts is None else group.amounts[start:end]
            base = b << packing.block_bits
            _reduce_block(group.keys[start:end], values, packing, freq, base, present, out)


def reduce_blocks(
    ids: np.ndarray,
    low: int,
    n_numbers: int,
    us: np.ndarray,
    values: np.ndarray | None,
    end_us: int,
    freq: str,
    packing: Packing,
) -> tuple[np.ndarray, Reduced]:
    """Reduce the rows with ``us <= end_us`` to facts per customer number.

    Returns which numbers have a kept row and the facts of every number (unset where not).

    ``ids - low`` is each row's customer number in ``0..n_numbers-1`` (integer ids by offset,
    or factorized codes with ``low=0``).
    """
    bits = packing.block_bits
    n_blocks = max(1, -(-n_numbers // (1 << bits)))
    groups = _partition(_Rows(ids, low), us, values, end_us, n_blocks, packing)
    present = np.zeros(n_numbers, dtype=bool)
    out = Reduced(
        uniques=pd.RangeIndex(n_numbers),  # customer numbers; the caller maps them to ids
        first_period=np.empty(n_numbers, dtype=np.float64),
        last_period=np.empty(n_numbers, dtype=np.float64),
        n_periods=np.empty(n_numbers, dtype=np.int64),
        n_transactions=np.empty(n_numbers, dtype=np.int64),
        first_us=np.empty(n_numbers, dtype=np.int64),
        last_us=np.empty(n_numbers, dtype=np.int64),
        total_value=None if values is None else np.empty(n_numbers),
        first_period_value=None if values is None else np.empty(n_numbers),
        owned=True,
    )
    groups.reverse()
    while groups:  # each group's buffers are freed once its blocks are reduced
        _reduce_group(groups.pop(), packing, freq, present, out)
    return present, out
