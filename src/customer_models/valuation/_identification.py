"""Weak identification: whether the optimum is on a flat ridge of the likelihood, and which.

The Hessian ``H`` of the total negative log-likelihood in log-parameter space (the
optimizer's space) is the precision of the log estimates: a combination ``v . log(params)``
with ``v`` a unit eigenvector of eigenvalue ``lam`` has standard deviation ``1 / sqrt(lam)``.
When the smallest eigenvalue is tiny (or not positive) the data determine some combination of
the parameters only loosely, or not at all: the optimum lies on a flat ridge, the individual
standard errors are large or missing and the Wald intervals do not cover. The eigenvector of
the smallest eigenvalue names the parameters on the ridge (e.g. BG/NBD's ``a`` and ``b`` when
hardly anyone drops out: only ``a / (a + b)`` is pinned down).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["LOADING_MIN", "RIDGE_SD", "Identification", "describe_ridge", "identification"]

#: A weakest log-parameter combination with a standard deviation above this is a flat ridge
#: (its 95% interval spans more than a factor exp(2 x 1.96) ~ 50). On the CDNOW sample the
#: weakest combination has 0.37 (BG/NBD), 0.40 (MBG/NBD) and 0.61 (Pareto/NBD).
RIDGE_SD = 1.0
#: Parameters whose absolute loading on the weakest direction is at least this are named.
LOADING_MIN = 0.3
#: Eigenvalues below this fraction of the largest count as zero (numerically singular).
_SINGULAR = 1e-12


@dataclass(frozen=True)
class Identification:
    """How well the data determine the parameters at the optimum.

    Attributes
    ----------
    flat_ridge : bool
        The Hessian is singular or indefinite, or its weakest direction has a standard
        deviation above ``RIDGE_SD`` (log space).
    parameters : tuple of str
        Parameters loading on the weakest direction (``|loading| >= LOADING_MIN``), largest
        loading first; empty when ``flat_ridge`` is False.
    weakest_sd : float
        Standard deviation of the weakest combination of log-parameters (``inf`` when the
        smallest eigenvalue is not positive).
    direction : tuple of float
        The unit eigenvector of the smallest eigenvalue, in parameter order (sign fixed so
        the largest loading is positive).
    """

    flat_ridge: bool
    parameters: tuple[str, ...]
    weakest_sd: float
    direction: tuple[float, ...]


def identification(param_names: Sequence[str], hessian_total: np.ndarray) -> Identification:
    """Read the weakest direction of the Hessian of the total negative log-likelihood.

    Parameters
    ----------
    param_names : sequence of str
    hessian_total : numpy.ndarray
        ``(k, k)`` Hessian of the total negative log-likelihood in log-parameter space.

    Returns
    -------
    Identification

    Examples
    --------
    >>> import numpy as np
    >>> ridge = np.array([[100.0, 0.0, 0.0], [0.0, 50.2, 49.8], [0.0, 49.8, 50.2]])
    >>> found = identification(["r", "a", "b"], ridge)  # log a - log b is hardly determined
    >>> found.flat_ridge, found.parameters, round(found.weakest_sd, 3)
    (True, ('a', 'b'), 1.581)
    >>> identification(["r", "a", "b"], np.diag([100.0, 50.0, 60.0])).flat_ridge
    False
    """
    names = list(param_names)
    hess = np.asarray(hessian_total, dtype=np.float64)
    if hess.shape != (len(names), len(names)) or not np.all(np.isfinite(hess)):
        return Identification(True, tuple(names), math.inf, tuple([math.nan] * len(names)))
    values, vectors = np.linalg.eigh(0.5 * (hess + hess.T))
    smallest = float(values[0])
    direction = vectors[:, 0]
    direction = direction * (1.0 if direction[np.argmax(np.abs(direction))] > 0 else -1.0)
    largest = max(float(np.max(np.abs(values))), 1e-300)
    if smallest <= _SINGULAR * largest:
        weakest_sd = math.inf
    else:
        weakest_sd = 1.0 / math.sqrt(smallest)
    flat = weakest_sd > RIDGE_SD
    parameters: tuple[str, ...] = ()
    if flat:
        order = np.argsort(-np.abs(direction), kind="stable")
        parameters = tuple(names[i] for i in order if abs(direction[i]) >= LOADING_MIN)
        # a ridge among a parameter loading just under LOADING_MIN still names one
        parameters = parameters or (names[int(order[0])],)
        # ties (e.g. 0.71 and 0.70) read better in the declared order
        parameters = tuple(n for n in names if n in parameters)
    return Identification(flat, parameters, weakest_sd, tuple(float(v) for v in direction))


def describe_ridge(found: Identification) -> str:
    """Describe a flat ridge in one sentence for the report (empty when there is none).

    Examples
    --------
    >>> import numpy as np
    >>> ridge = np.array([[100.0, 0.0, 0.0], [0.0, 50.2, 49.8], [0.0, 49.8, 50.2]])
    >>> describe_ridge(identification(["r", "a", "b"], ridge))[:60]
    'the optimum is on a flat ridge: the data determine a and b o'
    """
    if not found.flat_ridge:
        return ""
    names = list(found.parameters)
    together = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    how = "only together" if len(names) > 1 else "poorly"
    spread = (
        "is not determined at all: the Hessian is singular or indefinite along it"
        if math.isinf(found.weakest_sd)
        else f"has a standard deviation of {found.weakest_sd:.3g}"
    )
    return (
        f"the optimum is on a flat ridge: the data determine {together} {how} (the weakest "
        f"combination of the log-parameters {spread}), so their estimates, standard errors "
        "and Wald intervals are unreliable; use profile_likelihood_intervals(model, data), "
        "more data, a penalizer_coef or a simpler model"
    )
