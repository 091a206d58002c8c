from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models.evaluation import split_customers
from customer_models.exceptions import ParameterError


def test_random_split_sizes_and_seed(cdnow_summary):
    train, test = split_customers(cdnow_summary, test_size=0.3, random_state=3)
    assert len(test) == round(0.3 * len(cdnow_summary))
    assert train.index.union(test.index).size == len(cdnow_summary)
    again = split_customers(cdnow_summary, test_size=0.3, random_state=3)[1]
    assert test.index.equals(again.index)


def test_stratified_split_keeps_shares(cdnow_summary):
    data = cdnow_summary.assign(bucket=cdnow_summary["frequency"].clip(upper=5))
    _train, test = split_customers(data, test_size=0.2, stratify="bucket", random_state=0)
    for value, count in data["bucket"].value_counts().items():
        assert (test["bucket"] == value).sum() == round(0.2 * count)


def test_transaction_split_keeps_customers_whole(cdnow_sample_transactions):
    train, test = split_customers(
        cdnow_sample_transactions, customer_col="customer_id", test_size=0.5, random_state=1
    )
    assert len(train) + len(test) == len(cdnow_sample_transactions)
    assert not set(train["customer_id"]) & set(test["customer_id"])


def test_continuous_stratification_bins():
    data = pd.DataFrame({"v": np.arange(1000.0)})
    _, test = split_customers(data, stratify="v", n_bins=4, test_size=0.1, random_state=0)
    counts = np.bincount((test["v"] // 250).astype(int), minlength=4)
    assert counts.tolist() == [25, 25, 25, 25]


def test_bad_test_size(cdnow_summary):
    with pytest.raises(ParameterError, match="test_size"):
        split_customers(cdnow_summary, test_size=1.5)
