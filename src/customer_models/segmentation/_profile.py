"""Understanding segments: profiles against the whole base and migration between snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models._polars import as_customer_frame, polars_out
from customer_models._validation import (
    check_bool,
    check_finite,
    check_not_empty,
    check_rule,
    check_str,
    ensure_numeric,
    require_columns,
)
from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.segmentation._base import numeric_or_nan

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["align_segments", "feature_columns", "segment_migration", "segment_profile"]


def align_segments(data: pd.DataFrame, segments: Any, *, what: str = "segments") -> pd.Series:
    """``segments`` as a Series on ``data``'s index (by label if a Series, else by position)."""
    if isinstance(segments, pd.Series):
        if not segments.index.is_unique:
            raise DataValidationError(f"{what} has duplicated customer ids.", rule="unique ids")
        missing = ~data.index.isin(segments.index)
        check_rule(
            missing,
            data.index,
            rule=f"every customer must have a segment in {what}",
            what="data",
            hint="Align the segments with the data's index.",
        )
        aligned = segments.reindex(data.index)
    else:
        values = np.asarray(segments)
        if values.ndim != 1 or values.shape[0] != len(data):
            raise ParameterError(
                f"{what} must be a Series on the data's index or a 1-D array of length "
                f"{len(data)}, got shape {values.shape}."
            )
        aligned = pd.Series(values, index=data.index, name="segment")
    check_rule(
        aligned.isna().to_numpy(),
        data.index,
        rule="segment must not be missing",
        column=str(aligned.name),
        what=what,
    )
    return aligned


def _categories(segments: pd.Series) -> list[Any]:
    if isinstance(segments.dtype, pd.CategoricalDtype):
        return list(segments.cat.categories)
    return list(pd.unique(segments))


def feature_columns(df: pd.DataFrame, features: Sequence[str] | None) -> list[Any]:
    """``features`` as a list, or by default every numeric (not boolean) column of ``df``."""
    if features is None:
        return [
            str(c)
            for c in df.columns
            if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
        ]
    if isinstance(features, str) or not isinstance(features, Sequence):
        raise ParameterError(f"features must be a list of column names, got {features!r}.")
    return list(features)


@polars_out
def segment_profile(
    data: Any,
    segments: ArrayLike,
    *,
    features: Sequence[str] | None = None,
    value_col: str | None = None,
) -> pd.DataFrame:
    """Size, share, feature means/medians and lift of each segment against the whole base.

    Parameters
    ----------
    data : DataFrame
        Customer table (e.g. the summary), indexed by customer id.
    segments : Series or array-like
        Segment of each customer: a Series on ``data``'s index (aligned by id) or an array in
        row order. Categorical segments keep their category order (empty segments appear
        with size 0).
    features : sequence of str, optional
        Columns to profile. Default: every numeric column of ``data``.
    value_col : str, optional
        A value column (CLV, revenue) for ``value_total``, ``value_share`` and
        ``value_lift``.

    Returns
    -------
    DataFrame
        One row per segment with ``n_customers``, ``share`` and, per feature,
        ``<feature>_mean``, ``<feature>_median`` and ``<feature>_lift`` (segment mean over
        the base mean); plus ``value_total``, ``value_share`` and ``value_lift`` (value share
        over customer share) with ``value_col``. Missing feature values are skipped (as
        pandas does); a statistic is NaN only when there is nothing to compute it from: an
        empty segment, a segment where the feature is never observed, or a base mean of 0
        (lift). ``value_col`` must be finite; ``value_share`` is 0 when the total value is 0.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"spend": [10.0, 30.0, 100.0, 60.0]}, index=list("abcd"))
    >>> seg = pd.Series(["low", "low", "high", "high"], index=list("abcd"))
    >>> p = segment_profile(data, seg, value_col="spend")
    >>> p[["n_customers", "share", "spend_mean", "value_share", "value_lift"]]
             n_customers  share  spend_mean  value_share  value_lift
    segment
    low                2    0.5        20.0          0.2         0.4
    high               2    0.5        80.0          0.8         1.6
    """
    df = as_customer_frame(data, "data")
    check_not_empty(df)
    check_str(value_col, "value_col", allow_none=True)
    features = feature_columns(df, features)
    require_columns(df, [*features, *([value_col] if value_col else [])])
    seg = align_segments(df, segments)
    categories = _categories(seg)
    codes = pd.Categorical(seg, categories=categories).codes.astype(np.int64)
    k = len(categories)
    counts = np.bincount(codes, minlength=k)
    out = pd.DataFrame(index=pd.Index(categories, name="segment"))
    out["n_customers"] = counts
    out["share"] = counts / len(df)
    grouped = df[features].groupby(codes) if features else None
    for f in features:
        x = numeric_or_nan(df[f], df.index, column=f)
        check_rule(np.isinf(x), df.index, rule=f"{f} must not be infinite", column=f)
        seen = ~np.isnan(x)
        n_seen = np.bincount(codes, weights=seen, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            total = np.bincount(codes, weights=np.where(seen, x, 0.0), minlength=k)
            mean = np.where(n_seen > 0, total / np.where(n_seen > 0, n_seen, 1.0), np.nan)
            base = float(x[seen].mean()) if seen.any() else np.nan
            lift = mean / base if base != 0 else np.full(k, np.nan)
        median = grouped[f].median().reindex(range(k)).to_numpy()  # type: ignore[index]
        out[f"{f}_mean"] = mean
        out[f"{f}_median"] = median
        out[f"{f}_lift"] = lift
    if value_col:
        v = ensure_numeric(df[value_col], df.index, column=value_col)
        check_finite(v, df.index, column=value_col)
        total = np.bincount(codes, weights=v, minlength=k)
        out["value_total"] = total
        grand = float(v.sum())
        share = total / grand if grand != 0 else np.zeros(k)
        out["value_share"] = share
        with np.errstate(invalid="ignore", divide="ignore"):
            out["value_lift"] = share / out["share"].to_numpy()
    return out


def segment_migration(
    before: pd.Series,
    after: pd.Series,
    *,
    normalize: bool = False,
    new_label: str = "(new)",
    gone_label: str = "(gone)",
) -> pd.DataFrame:
    """Transition table between two segment assignments of the same customers (two snapshots).

    Parameters
    ----------
    before, after : Series
        Segment per customer id at the earlier and the later snapshot.
    normalize : bool, default=False
        Return row shares (where each earlier segment went; rows sum to 1) instead of counts.
    new_label : str, default="(new)"
        Row of customers present only in ``after``.
    gone_label : str, default="(gone)"
        Column of customers present only in ``before``.

    Returns
    -------
    DataFrame
        Rows: ``before`` segments (category order, then ``new_label`` if any customer
        appeared); columns: ``after`` segments (then ``gone_label`` if any disappeared).

    Examples
    --------
    >>> import pandas as pd
    >>> before = pd.Series({"a": "Loyal", "b": "Loyal", "c": "At Risk"})
    >>> after = pd.Series({"a": "Loyal", "b": "At Risk", "d": "Loyal"})
    >>> segment_migration(before, after)
    after    Loyal  At Risk  (gone)
    before
    Loyal        1        1       0
    At Risk      0        0       1
    (new)        1        0       0
    """
    check_bool(normalize, "normalize")
    check_str(new_label, "new_label")
    check_str(gone_label, "gone_label")
    for name, s in (("before", before), ("after", after)):
        if not isinstance(s, pd.Series):
            raise ParameterError(f"{name} must be a Series indexed by customer id.")
        if not s.index.is_unique:
            dup = s.index[s.index.duplicated()]
            raise DataValidationError(
                f"{name} has {len(dup)} duplicated customer id(s); first: {list(dup[:5])}.",
                rule="unique customer ids",
                n_rows=len(dup),
                examples=list(dup[:5]),
            )
        check_rule(s.isna().to_numpy(), s.index, rule="segment must not be missing", what=name)
    rows = [str(x) for x in _categories(before)]
    cols = [str(x) for x in _categories(after)]
    ids = before.index.union(after.index, sort=False)
    b = before.reindex(ids).astype(object)
    a = after.reindex(ids).astype(object)
    appeared = b.isna().to_numpy()
    gone = a.isna().to_numpy()
    if appeared.any():
        rows.append(new_label)
    if gone.any():
        cols.append(gone_label)
    b_str = np.where(appeared, new_label, b.astype(str).to_numpy())
    a_str = np.where(gone, gone_label, a.astype(str).to_numpy())
    r = pd.Categorical(b_str, categories=rows).codes.astype(np.int64)
    c = pd.Categorical(a_str, categories=cols).codes.astype(np.int64)
    counts = np.bincount(r * len(cols) + c, minlength=len(rows) * len(cols)).reshape(
        len(rows), len(cols)
    )
    table = pd.DataFrame(
        counts,
        index=pd.Index(rows, name="before"),
        columns=pd.Index(cols, name="after"),
    )
    if normalize:
        totals = table.sum(axis=1).to_numpy()[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            table = table / np.where(totals > 0, totals, 1)
    return table
