"""Private numpy helpers: per-group aggregation over dense integer group codes.

Every function takes ``codes`` (int64, 0..n-1, one per row) and returns one value
per group. They exist because pandas' generic groupby does more work (index
building, dtype dispatch) than these single-pass numpy kernels for our shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

#: How NaT is stored once a datetime column is viewed as int64 microseconds.
NAT: Final[int] = int(np.iinfo(np.int64).min)
_MAX: Final[int] = int(np.iinfo(np.int64).max)


def factorize(values: pd.Series, *, sort: bool = False) -> tuple[Int64Array, list[Any]]:
    """Codes (-1 for missing) and the distinct values, as plain Python objects."""
    data: Any = values
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "python":
        # The backing object array (zero-copy); pandas would first copy it to normalise NA.
        data = np.asarray(values.array, dtype=object)
    codes, uniques = pd.factorize(data, sort=sort, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), list(np.asarray(uniques, dtype=object))


class Vocabulary:
    """A factorized low-cardinality column (source, kind, status): cheap membership masks."""

    def __init__(self, codes: Int64Array, uniques: Sequence[Hashable]) -> None:
        self.codes = codes
        self.uniques = list(uniques)

    def index(self, value: str) -> int:
        """The code of ``value``, or -1 when it never occurs."""
        return self.uniques.index(value) if value in self.uniques else -1

    def isin(self, *values: str) -> BoolArray:
        """Rows whose value is one of ``values`` (missing rows never match)."""
        table = np.zeros(len(self.uniques) + 1, dtype=np.bool_)
        for i, u in enumerate(self.uniques):
            table[i] = u in values
        return table[self.codes]  # code -1 reads the last slot, which stays False


def count_by(codes: Int64Array, sub_codes: Int64Array, n: int, k: int) -> Int64Array:
    """``(n, k)`` matrix: rows per group and per sub-code (rows with sub-code -1 are ignored)."""
    keep = sub_codes >= 0
    flat = np.bincount(codes[keep] * k + sub_codes[keep], minlength=n * k)
    return flat.astype(np.int64, copy=False).reshape(n, k)


def to_us(series: pd.Series) -> Int64Array:
    """Datetime Series (naive = UTC, or tz-aware) as int64 UTC microseconds; NaT -> :data:`NAT`."""
    if not isinstance(series.dtype, pd.DatetimeTZDtype) and not pd.api.types.is_datetime64_dtype(series):
        series = pd.to_datetime(series, utc=True)
    # to_numpy of a tz-aware column gives its UTC instants; a no-op view for [us, UTC].
    return np.asarray(series.to_numpy(dtype="datetime64[us]")).view(np.int64)


def timestamp_us(value: pd.Timestamp) -> int:
    """A Timestamp (naive = UTC) as int64 UTC microseconds."""
    ts = value.tz_localize("UTC") if value.tzinfo is None else value.tz_convert("UTC")
    return int(ts.value // 1000)


def from_us(values: Int64Array) -> pd.Series:
    """Inverse of :func:`to_us`: a ``datetime64[us, UTC]`` Series (default index)."""
    naive = pd.Series(values.view("datetime64[us]"))
    return naive.dt.tz_localize("UTC")


def count(codes: Int64Array, mask: BoolArray, n: int) -> Int64Array:
    """Rows per group where ``mask`` holds."""
    return np.bincount(codes[mask], minlength=n).astype(np.int64, copy=False)


def group_max(codes: Int64Array, values: Int64Array, mask: BoolArray, n: int) -> Int64Array:
    """Largest value per group among masked rows; :data:`NAT` when there is none."""
    out = np.full(n, NAT, dtype=np.int64)
    np.maximum.at(out, codes[mask], values[mask])
    return out


def group_min(codes: Int64Array, values: Int64Array, mask: BoolArray, n: int) -> Int64Array:
    """Smallest non-NaT value per group among masked rows; :data:`NAT` when there is none."""
    keep = mask & (values != NAT)
    out = np.full(n, _MAX, dtype=np.int64)
    np.minimum.at(out, codes[keep], values[keep])
    out[out == _MAX] = NAT
    return out


def distinct_count(codes: Int64Array, items: Int64Array, mask: BoolArray, n: int) -> Int64Array:
    """Distinct non-missing ``items`` (codes >= 0) per group among masked rows."""
    keep = mask & (items >= 0)
    width = int(items.max()) + 1 if len(items) else 1
    pairs = pd.unique(codes[keep] * width + items[keep])
    return np.bincount(pairs // width, minlength=n).astype(np.int64, copy=False)


def last_by_key(codes: Int64Array, key: Int64Array, mask: BoolArray, n: int) -> tuple[Int64Array, Int64Array]:
    """For each group, the masked row with the largest ``key``; on a tie, the later row.

    Returns ``(groups, rows)``: the groups that have at least one masked row and,
    aligned, their chosen row index. Two scatter-max passes, no sorting.
    """
    rows = np.flatnonzero(mask)
    groups = codes[rows]
    keys = key[rows]
    best = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(best, groups, keys)
    top = keys == best[groups]
    chosen = np.full(n, -1, dtype=np.int64)
    np.maximum.at(chosen, groups[top], rows[top])
    present = np.flatnonzero(chosen >= 0)
    return present.astype(np.int64, copy=False), chosen[present]


def combine_keys(keys: Sequence[npt.NDArray[Any]]) -> tuple[Int64Array, Int64Array]:
    """Dense id per distinct combination of the integer ``keys`` (all the same length).

    Returns ``(ids, first_rows)``: ``ids[i]`` numbers row ``i``'s combination (0..k-1) and
    ``first_rows[j]`` is a row holding combination ``j``. Hash-based, no sorting.
    """
    ids = np.zeros(len(keys[0]), dtype=np.int64)
    width = 1
    for key in keys:
        codes, uniques = pd.factorize(key)
        ids = ids * len(uniques) + codes
        width *= len(uniques)
        if width > 2**40:  # re-densify before the mixed radix could overflow
            ids, dense = pd.factorize(ids)
            width = len(dense)
    ids, dense = pd.factorize(ids)
    first_rows = np.empty(len(dense), dtype=np.int64)
    # Reversed assignment: the earliest row of each combination is written last and wins.
    first_rows[ids[::-1]] = np.arange(len(ids) - 1, -1, -1, dtype=np.int64)
    return ids.astype(np.int64, copy=False), first_rows


def format_unique(keys: Sequence[npt.NDArray[Any]], render: Callable[..., str | None]) -> ObjectArray:
    """Render one string per row from integer key columns, calling ``render`` once per
    distinct combination of keys (rows share few combinations, so this is cheap)."""
    if not keys or len(keys[0]) == 0:
        return np.empty(0, dtype=object)
    ids, first_rows = combine_keys(keys)
    columns = [np.asarray(key)[first_rows].tolist() for key in keys]
    rendered = np.array([render(*combo) for combo in zip(*columns, strict=True)], dtype=object)
    return np.asarray(rendered[ids], dtype=object)


def join_sorted_items(
    groups: Int64Array, names: ObjectArray, n: int, *, max_chars: int, sep: str = ","
) -> ObjectArray:
    """Join ``names`` per group with ``sep``; pairs must be sorted by group, then by name.

    Items that would take a group's joined text past ``max_chars`` are left out
    whole (never cut mid-name). Groups without items get ``None``.
    """
    out = np.full(n, None, dtype=object)
    if len(groups) == 0:
        return out
    lengths = np.fromiter((len(s) for s in names), dtype=np.int64, count=len(names)) + len(sep)
    starts = np.ones(len(groups), dtype=np.bool_)
    starts[1:] = groups[1:] != groups[:-1]
    start_index = np.maximum.accumulate(np.where(starts, np.arange(len(groups)), 0))
    total = np.cumsum(lengths)
    before_group = total[start_index] - lengths[start_index]
    within = total - before_group - len(sep)
    rank = np.arange(len(groups)) - start_index
    keep = within <= max_chars
    groups, names, rank = groups[keep], names[keep], rank[keep]
    for r in range(int(rank.max()) + 1 if len(rank) else 0):
        at = rank == r
        g = groups[at]
        if r == 0:
            out[g] = names[at]
        else:
            out[g] = out[g] + sep + names[at]
    return out


def strings(values: ObjectArray) -> pd.Series:
    """Object array (None = missing) as a ``string`` Series with a default index."""
    return pd.Series(pd.array(values, dtype="string"))
