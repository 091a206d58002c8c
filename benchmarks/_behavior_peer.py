"""The pandas ``groupby`` version of ``behavior_features`` that the benchmarks compare with."""

from __future__ import annotations

import pandas as pd

SECONDS_PER_DAY = 86_400


def pandas_behavior(tx: pd.DataFrame, *, spend_trend: bool = False) -> pd.DataFrame:
    """Per-customer core features with pandas (sort, diff, agg).

    Columns: ``n_orders``, ``total_value``, ``aov``, ``ipt_mean``, ``ipt_std`` (days between
    orders) and ``weekend_share``; with ``spend_trend=True`` also ``spend_trend`` (least-squares
    slope of the amount on the order number, same-time orders sharing their average number, as
    ``behavior_features`` does) and ``ipt_cv``.
    """
    ordered = tx.sort_values(["customer_id", "date"], kind="stable")
    gaps = ordered.groupby("customer_id")["date"].diff().dt.total_seconds() / SECONDS_PER_DAY
    ordered = ordered.assign(gap=gaps, weekend=ordered["date"].dt.day_of_week >= 5)
    columns = {
        "n_orders": ("amount", "size"),
        "total_value": ("amount", "sum"),
        "aov": ("amount", "mean"),
        "ipt_mean": ("gap", "mean"),
        "ipt_std": ("gap", "std"),
        "weekend_share": ("weekend", "mean"),
    }
    if not spend_trend:
        return ordered.groupby("customer_id").agg(**columns)
    i = ordered.groupby("customer_id")["date"].rank(method="average") - 1.0
    ordered = ordered.assign(i=i, iv=i * ordered["amount"], ii=i * i)
    sums = {"s_i": ("i", "sum"), "s_iv": ("iv", "sum"), "s_ii": ("ii", "sum")}
    out = ordered.groupby("customer_id").agg(**columns, **sums)
    n = out["n_orders"]
    den = n * out["s_ii"] - out["s_i"] ** 2
    out["spend_trend"] = ((n * out["s_iv"] - out["s_i"] * out["total_value"]) / den).where(
        den > 1e-9 * (n * out["s_ii"]).clip(lower=1.0), 0.0
    )
    out["ipt_cv"] = out["ipt_std"] / out["ipt_mean"]
    return out.drop(columns=["s_i", "s_iv", "s_ii"])
