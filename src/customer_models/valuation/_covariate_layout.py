"""Where the unknowns of a covariate fit sit, and the row designs of the chain rule.

A covariate model's parameters are per customer, ``log theta_ij = log theta_j + sum over the
links acting on j of sign * beta' z_i`` (see :class:`~customer_models.valuation._covariates.Link`).
:class:`LinkLayout` orders the unknowns ``(log theta, beta)`` (the model's log parameters,
then each link's coefficients), gives the per-row log parameters at a point, each model
parameter's row design (1 for its intercept, ``sign * z_ic`` for a coefficient), the penalty
of each unknown, and the linear map from standardized to original covariates. The fit itself
is :func:`~customer_models.valuation._covariate_fit.fit_links`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from customer_models.valuation._covariates import Link, Standardization

__all__ = ["LinkLayout", "unknowns_start"]


@dataclass(frozen=True)
class LinkLayout:
    """Where each unknown sits: ``k`` model log-parameters, then each link's coefficients.

    ``column_index[l]`` are the design-matrix columns of link ``l``'s coefficients;
    ``free`` is False for coefficients of constant columns (fixed at 0); ``process`` names
    the penalty of each unknown (``"model"`` for the model's own parameters).

    Examples
    --------
    >>> import numpy as np
    >>> from customer_models.valuation._covariates import Link
    >>> gamma = Link("gamma", ((1, -1.0),), ("age",), "purchase")  # theta_1 exp(-gamma age)
    >>> layout = LinkLayout.build(2, [gamma], ["age"], np.array([False]))
    >>> layout.size, layout.row_log_params(np.array([0.0, 1.0, 0.5]), np.array([[2.0]])).tolist()
    (3, [[0.0], [0.0]])
    """

    n_params: int
    links: tuple[Link, ...]
    column_index: tuple[tuple[int, ...], ...]
    free: np.ndarray
    process: tuple[str, ...]

    @classmethod
    def build(
        cls, n_params: int, links: Sequence[Link], columns: Sequence[str], constant: np.ndarray
    ) -> LinkLayout:
        """Layout for ``links`` over the design matrix whose columns are ``columns``."""
        position = {c: j for j, c in enumerate(columns)}
        index = tuple(tuple(position[c] for c in link.columns) for link in links)
        free = [True] * n_params
        process = ["model"] * n_params
        for link, cols in zip(links, index, strict=True):
            free += [not bool(constant[c]) for c in cols]
            process += [link.process] * len(cols)
        return cls(n_params, tuple(links), index, np.array(free), tuple(process))

    @property
    def size(self) -> int:
        return int(self.free.size)

    def offsets(self) -> list[int]:
        """Position of each link's first coefficient among the unknowns."""
        out, start = [], self.n_params
        for cols in self.column_index:
            out.append(start)
            start += len(cols)
        return out

    def row_log_params(self, theta: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Per-row log parameters ``(k, n)`` at the unknowns ``theta``."""
        u = np.repeat(theta[: self.n_params, None], z.shape[0], axis=1)
        for link, cols, start in zip(self.links, self.column_index, self.offsets(), strict=True):
            if not cols:
                continue
            eta = z[:, cols] @ theta[start : start + len(cols)]
            for j, sign in link.targets:
                u[j] += sign * eta
        return u

    def designs(self, z: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per model parameter: the unknowns acting on it and their row loadings ``(n, m)``."""
        out = []
        n = z.shape[0]
        for j in range(self.n_params):
            idx, cols = [j], [np.ones(n)]
            for link, lc, start in zip(self.links, self.column_index, self.offsets(), strict=True):
                for jj, sign in link.targets:
                    if jj == j:
                        idx += [start + q for q in range(len(lc))]
                        cols += [sign * z[:, c] for c in lc]
            out.append((np.array(idx), np.column_stack(cols)))
        return out

    def penalty_weights(self, penalizer: Mapping[str, float]) -> np.ndarray:
        """Penalty coefficient of each unknown (0 for the model's own parameters)."""
        return np.array([penalizer.get(p, 0.0) for p in self.process])

    def to_original(self, theta: np.ndarray, standardization: Standardization) -> np.ndarray:
        """Linear map ``A`` with ``theta_original = A theta_standardized``.

        ``sign * beta (z - m) / s = sign * (beta / s) z - sign * beta m / s``: each
        coefficient is divided by its column's scale and the intercepts of its targets absorb
        the centre.
        """
        a = np.eye(self.size)
        m, s = standardization.centre, standardization.scale
        for link, cols, start in zip(self.links, self.column_index, self.offsets(), strict=True):
            for q, c in enumerate(cols):
                t = start + q
                a[t, t] = 1.0 / s[c]
                for j, sign in link.targets:
                    a[j, t] -= sign * m[c] / s[c]
        return a


def unknowns_start(base: np.ndarray, layout: LinkLayout) -> np.ndarray:
    """Start: the model's log-parameters (no-covariate fit), every coefficient 0."""
    return np.concatenate([np.log(base), np.zeros(layout.size - layout.n_params)])
