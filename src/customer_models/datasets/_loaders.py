"""Loaders for the bundled CDNOW and donations data (read with :mod:`importlib.resources`)."""

from __future__ import annotations

from importlib import resources
from typing import IO

import numpy as np
import pandas as pd

from customer_models._validation import check_bool

__all__ = ["load_cdnow_summary", "load_cdnow_transactions", "load_donations"]

_DATA = "customer_models.datasets.data"


def _open(name: str) -> IO[bytes]:
    return resources.files(_DATA).joinpath(name).open("rb")


def _parse_cdnow(raw: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype(np.int64),
            "date": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d"),
            "quantity": raw["quantity"].astype(np.int64),
            "amount": raw["amount"].astype(np.float64),
        }
    )
    return out


def load_cdnow_transactions(sample: bool = False) -> pd.DataFrame:
    """Load the CDNOW transactions (Fader and Hardie's CD retailer data).

    Customers first purchased in the first quarter of 1997 and are followed until the end of
    June 1998.

    Parameters
    ----------
    sample : bool, default False
        False loads the full master file (69,659 transactions of 23,570 customers); True loads
        the 1/10 sample (6,919 transactions of 2,357 customers) with the sample's own ids
        1..2357, the ids of the published summary (:func:`load_cdnow_summary`).

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id`` (int), ``date`` (datetime64), ``quantity`` (number of CDs, int)
        and ``amount`` (dollars, float), one row per transaction, in file order.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "Counting your customers the easy
    way: an alternative to the Pareto/NBD model", Marketing Science 24(2), 275-284.

    Examples
    --------
    >>> from customer_models import load_cdnow_transactions
    >>> tx = load_cdnow_transactions(sample=True)
    >>> tx.shape, tx["customer_id"].nunique()
    ((6919, 4), 2357)
    >>> tx.head(2)
       customer_id       date  quantity  amount
    0            1 1997-01-01         2   29.33
    1            1 1997-01-18         2   29.73
    """
    if check_bool(sample, "sample"):
        with _open("CDNOW_sample.txt") as fh:
            raw = pd.read_csv(
                fh,
                sep=r"\s+",
                header=None,
                names=["master_id", "customer_id", "date", "quantity", "amount"],
            )
    else:
        with _open("CDNOW_master.txt") as fh:
            raw = pd.read_csv(
                fh, sep=r"\s+", header=0, names=["customer_id", "date", "quantity", "amount"]
            )
    return _parse_cdnow(raw)


def load_cdnow_summary() -> pd.DataFrame:
    """Load the published 39-week calibration summary of the CDNOW 1/10 sample.

    This is the table Fader, Hardie and Lee (2005) fit the BG/NBD model to: 2,357 customers,
    calibration period 1997-01-01 to 1997-09-30, time in weeks, rounded to 2 decimals.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (1..2357), columns ``frequency`` (repeat purchase days),
        ``recency`` (weeks from first to last purchase), ``T`` (weeks from first purchase to
        the end of calibration) and ``monetary_value`` (mean value of the repeat purchase
        days, 0 for customers with no repeat purchase). ``attrs["time_unit"]`` is ``"W"``.

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> summary = load_cdnow_summary()
    >>> summary.attrs["time_unit"]
    'W'
    >>> summary.head(3)
                 frequency  recency      T  monetary_value
    customer_id
    1                    2    30.43  38.86           22.35
    2                    1     1.71  38.86           11.77
    3                    0     0.00  38.86            0.00
    """
    with _open("cdnow_customers_summary_with_transactions.csv") as fh:
        raw = pd.read_csv(fh)
    summary = pd.DataFrame(
        {
            "frequency": raw["x"].astype(np.int64).to_numpy(),
            "recency": raw["t_x"].astype(np.float64).to_numpy(),
            "T": raw["T"].astype(np.float64).to_numpy(),
            "monetary_value": raw["zbar"].astype(np.float64).to_numpy(),
        },
        index=pd.Index(raw["ID"].astype(np.int64).to_numpy(), name="customer_id"),
    )
    summary.attrs["time_unit"] = "W"
    return summary


def load_donations() -> pd.DataFrame:
    """Load the BG/BB donation patterns (Fader, Hardie and Shang 2010).

    11,104 members of a non-profit's 1995 cohort, observed over 6 annual donation
    opportunities, compressed into 22 (frequency, recency) patterns.

    Returns
    -------
    pandas.DataFrame
        Columns ``frequency`` (repeat donations), ``recency`` (the period of the last
        donation, 0 if none), ``n_periods`` (opportunities, 6) and ``weight`` (customers with
        that pattern). ``attrs["time_unit"]`` is ``"period"``.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Shang, J. (2010), "Customer-base analysis in a
    discrete-time noncontractual setting", Marketing Science 29(6), 1086-1108.

    Examples
    --------
    >>> from customer_models import load_donations
    >>> donations = load_donations()
    >>> int(donations["weight"].sum()), donations.shape
    (11104, (22, 4))
    """
    with _open("donations.csv") as fh:
        raw = pd.read_csv(fh)
    out = pd.DataFrame(
        {
            "frequency": raw["frequency"].astype(np.int64),
            "recency": raw["recency"].astype(np.int64),
            "n_periods": raw["periods"].astype(np.int64),
            "weight": raw["weights"].astype(np.int64),
        }
    )
    out.attrs["time_unit"] = "period"
    return out
