"""The segmenters' shared shape: ``fit`` on a validated table, ``predict`` codes, ``assign`` names.

Every segmenter reads ``X`` the same way (:func:`~customer_models.segmentation._base.read_table`),
learns in ``fit``, labels rows with integer codes (positions in ``segments_``) and names them
in ``assign``. :class:`Segmenter` holds that plumbing once; a segmenter declares only its own
steps (see the class docstring).
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin

from customer_models._validation import check_fitted
from customer_models.segmentation._base import Table, read_table

__all__ = ["Segmenter"]

_S = TypeVar("_S", bound="Segmenter")


class Segmenter(ClusterMixin, BaseEstimator):
    """Base of the segmenters: one ``fit``, ``predict``, ``assign`` and ``fit_assign``.

    A segmenter declares:

    - ``_what``: what ``X`` is called in messages (``"summary"`` or ``"data"``), and
      ``_numeric``: whether every column must be numeric (``False`` lets text columns in);
    - ``_check_params()``: the parameter checks, run by ``fit`` before ``X`` is read; what it
      returns is handed to ``_learn``;
    - ``_learn(table, checked)``: set the fitted attributes (``segments_`` among them) and
      return the training rows' codes, which ``fit`` stores as ``labels_``;
    - ``_codes(table)``: the codes of the rows of a table, once fitted;
    - ``_positive_only()``: whether ``X`` must be non-negative (the scikit-learn input tag).
    """

    _what = "data"
    _numeric = True
    segments_: list[str]
    labels_: np.ndarray

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = self._positive_only()
        tags.input_tags.string = not self._numeric
        return tags

    def _positive_only(self) -> bool:
        return False

    def _check_params(self) -> Any:
        return None

    def _learn(self, table: Table, checked: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _codes(self, table: Table) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _read(self, X: Any, *, reset: bool) -> Table:
        return read_table(self, X, reset=reset, what=self._what, numeric=self._numeric)

    def fit(self: _S, X: Any, y: Any = None) -> _S:
        """Learn the segments from ``X`` and label its rows (``labels_``).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_columns)
            The customers, one row each: the customer summary, or any customer table with
            the columns the segmenter reads.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        checked = self._check_params()
        table = self._read(X, reset=True)
        self.labels_ = self._learn(table, checked)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Segment codes of the rows of ``X``: positions in ``segments_`` (0 is the first).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_columns)
            Customers with the columns used in ``fit`` (new customers too: they are placed
            on the segments learned in ``fit``).

        Returns
        -------
        ndarray of int64
            One code per row of ``X``, in order; :meth:`assign` gives the names.
        """
        check_fitted(self, "labels_")
        return self._codes(self._read(X, reset=False))

    def assign(self, X: Any) -> pd.Series:
        """Segment names of ``X`` as a categorical Series on ``X``'s index.

        The categories are ``segments_`` in order, so empty segments still show up in
        ``value_counts`` and plots.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_columns)
            As in :meth:`predict`.

        Returns
        -------
        pandas.Series
            Named ``"segment"``, on ``X``'s index (a ``RangeIndex`` for an array).
        """
        codes = self.predict(X)
        index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(codes))
        return pd.Series(
            pd.Categorical.from_codes(codes, categories=list(self.segments_)),
            index=index,
            name="segment",
        )

    def fit_assign(self, X: Any, y: Any = None) -> pd.Series:
        """Fit on ``X`` and return its segment names (see :meth:`assign`)."""
        self.fit(X, y)
        return self.assign(X)
