"""The same CDNOW analysis with lifetimes and with customer_models, number for number.

    pip install -e ".[lifetimes]"
    python docs/recipes/from_lifetimes.py

Each step of a typical lifetimes script next to its customer_models equivalent (see
docs/migrating.md): the customer summary, BG/NBD and Gamma-Gamma fits, P(alive), expected
purchases, expected spend and 12-month CLV. The script prints one table of the largest
differences and exits non-zero if any exceeds its tolerance; tests/test_docs.py runs it.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd

import customer_models as cm

with warnings.catch_warnings():  # lifetimes imports pkg_resources (deprecated); not our code
    warnings.simplefilter("ignore")
    import lifetimes
    from lifetimes.utils import summary_data_from_transaction_data

OBSERVATION_END = "1997-09-30"
TOLERANCE = {  # largest |difference| allowed; both libraries maximise the same likelihood
    "summary (frequency, recency, T)": 0.0,
    "summary monetary_value": 1e-9,
    "BG/NBD parameters (relative)": 1e-4,
    "P(alive)": 1e-5,
    "expected purchases, 30 days": 1e-5,
    "Gamma-Gamma parameters (relative)": 1e-4,
    "expected spend": 1e-4,
    "CLV, 12 months of 30 days, 1%/month": 1e-2,
}


def compare() -> pd.DataFrame:
    """Run both libraries on the CDNOW 1/10 sample; one row per quantity."""
    tx = cm.load_cdnow_transactions(sample=True)  # customer_id, date, quantity, amount

    # -- the customer summary ------------------------------------------------------------------
    theirs = summary_data_from_transaction_data(
        tx, "customer_id", "date", monetary_value_col="amount",
        observation_period_end=OBSERVATION_END, freq="D",
    )  # fmt: skip
    ours = cm.rfm_summary(
        tx, value_col="amount", freq="D", time_unit="D", observation_end=OBSERVATION_END
    )
    theirs = theirs.loc[ours.index]
    rows = {
        "summary (frequency, recency, T)": np.abs(
            ours[["frequency", "recency", "T"]].to_numpy()
            - theirs[["frequency", "recency", "T"]].to_numpy()
        ).max(),
        "summary monetary_value": np.abs(
            ours["monetary_value"].to_numpy() - theirs["monetary_value"].to_numpy()
        ).max(),
    }

    # -- BG/NBD -----------------------------------------------------------------------------------
    bgf = lifetimes.BetaGeoFitter().fit(theirs["frequency"], theirs["recency"], theirs["T"])
    bg = cm.BetaGeoModel().fit(ours)
    rows["BG/NBD parameters (relative)"] = np.max(
        np.abs(bg.params_[["r", "alpha", "a", "b"]].to_numpy() / bgf.params_.to_numpy() - 1)
    )
    p_alive = bgf.conditional_probability_alive(theirs["frequency"], theirs["recency"], theirs["T"])
    rows["P(alive)"] = np.abs(bg.probability_alive(ours).to_numpy() - p_alive).max()
    expected = bgf.conditional_expected_number_of_purchases_up_to_time(
        30, theirs["frequency"], theirs["recency"], theirs["T"]
    )
    rows["expected purchases, 30 days"] = np.abs(
        bg.expected_purchases(ours, t=30).to_numpy() - expected
    ).max()

    # -- Gamma-Gamma (repeat buyers) ------------------------------------------------------------
    buyers = ours[ours["frequency"] > 0]
    theirs_buyers = theirs.loc[buyers.index]
    ggf = lifetimes.GammaGammaFitter().fit(
        theirs_buyers["frequency"], theirs_buyers["monetary_value"]
    )
    gg = cm.GammaGammaModel().fit(buyers)
    rows["Gamma-Gamma parameters (relative)"] = np.max(
        np.abs(gg.params_[["p", "q", "v"]].to_numpy() / ggf.params_.to_numpy() - 1)
    )
    spend_theirs = ggf.conditional_expected_average_profit(
        theirs_buyers["frequency"], theirs_buyers["monetary_value"]
    )
    rows["expected spend"] = np.abs(gg.expected_spend(buyers).to_numpy() - spend_theirs).max()

    # -- CLV: lifetimes' months are 30 days (freq="D"); say so with time_unit="30D" ------------
    clv_theirs = ggf.customer_lifetime_value(
        bgf, theirs_buyers["frequency"], theirs_buyers["recency"], theirs_buyers["T"],
        theirs_buyers["monetary_value"], time=12, discount_rate=0.01, freq="D",
    )  # fmt: skip
    clv_ours = cm.customer_lifetime_value(
        bg, gg, buyers, horizon=12, horizon_unit="30D", discount_rate=0.01
    )
    rows["CLV, 12 months of 30 days, 1%/month"] = np.abs(
        clv_ours.to_numpy() - clv_theirs.to_numpy()
    ).max()

    table = pd.DataFrame({"max |difference|": pd.Series(rows), "tolerance": pd.Series(TOLERANCE)})
    table["ok"] = table["max |difference|"] <= table["tolerance"]
    return table


def main() -> int:
    """Print the comparison; 0 when every quantity agrees within its tolerance."""
    table = compare()
    with pd.option_context("display.width", 120, "display.float_format", "{:.3g}".format):
        print(table.to_string())
    return 0 if table["ok"].all() else 1


if __name__ == "__main__":
    sys.exit(main())
