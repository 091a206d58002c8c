"""Sections of the ``python -m customer_models`` report, one per area of the library.

Each section takes the transactions and the calibration/holdout summary and returns text.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from customer_models.evaluation import evaluate_holdout
from customer_models.lifecycle import STAGES, LifecycleStageClassifier
from customer_models.segmentation import RFMSegmenter
from customer_models.valuation import BetaGeoModel, GammaGammaModel, customer_lifetime_value

Section = Callable[[pd.DataFrame, pd.DataFrame], str]


def _holdout_section(transactions: pd.DataFrame, split: pd.DataFrame) -> str:
    bought = split["frequency_holdout"] > 0
    return "\n".join(
        [
            "Holdout period 1997-10-01..1998-06-30",
            f"  customers buying again  {int(bought.sum()):>10,} ({bought.mean():.1%})",
            f"  repeat purchase days    {int(split['frequency_holdout'].sum()):>10,}",
        ]
    )


def _valuation_section(transactions: pd.DataFrame, split: pd.DataFrame) -> str:
    bgnbd = BetaGeoModel().fit(split)
    spend = GammaGammaModel().fit(split)
    evaluation = evaluate_holdout(bgnbd, split)
    clv = customer_lifetime_value(
        bgnbd, spend, split, horizon=12, horizon_unit="M", discount_rate=0.01
    )
    params = ", ".join(f"{k}={v:.3f}" for k, v in bgnbd.params_.items())
    predicted = evaluation.customers["predicted_purchases"].sum()
    return "\n".join(
        [
            "BG/NBD + Gamma-Gamma, fitted on the calibration period",
            f"  BG/NBD parameters       {params}",
            f"  log-likelihood          {bgnbd.log_likelihood_:>10.2f}",
            f"  holdout purchases       predicted {predicted:,.0f}, actual "
            f"{int(split['frequency_holdout'].sum()):,}",
            f"  holdout MAE per customer{evaluation.metrics['mae']:>10.3f}",
            f"  12-month CLV (1%/month) total {clv.sum():,.0f}, top decile share "
            f"{clv.nlargest(len(clv) // 10).sum() / clv.sum():.1%}",
        ]
    )


def _segment_section(transactions: pd.DataFrame, split: pd.DataFrame) -> str:
    columns = ["frequency", "recency", "T", "monetary_value"]
    segments = RFMSegmenter().fit(split[columns]).assign(split[columns])
    stages = LifecycleStageClassifier().fit(split).assign(split)
    seg_counts = segments.value_counts().head(5)
    # Every stage, in lifecycle order, zero rows included.
    stage_counts = stages.value_counts().reindex(list(STAGES), fill_value=0)
    lines = ["RFM segments (largest five)"]
    lines += [f"  {name:<24}{count:>10,}" for name, count in seg_counts.items()]
    lines += ["", "Lifecycle stages at 1997-09-30"]
    lines += [f"  {name:<24}{count:>10,}" for name, count in stage_counts.items()]
    return "\n".join(lines)


DEMO_SECTIONS: list[Section] = [_holdout_section, _valuation_section, _segment_section]
