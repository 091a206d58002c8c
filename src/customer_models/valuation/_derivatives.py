"""Derivatives of a model's log-likelihood, declared or derived by an identity.

A model declares its per-row log-likelihood, its per-row ``(log-likelihood, gradient)``, or
both (see :mod:`customer_models.valuation._base`). What it leaves out comes from here:

- the log-likelihood is the first output of the ``(log-likelihood, gradient)`` kernel
  (:class:`FirstOutput`);
- the gradient of a model that declares only its log-likelihood comes from central
  differences per row in log-parameter space (:class:`CentralDifferenceGradient`), and the
  optimizer's weighted totals, Hessian included, from :class:`CentralDifferenceDerivatives`.

The new-customer expectation of a purchase model likewise defaults to its conditional
expectation at an empty history (:class:`NewCustomerFromConditional`).

Every difference is vectorized over the rows: ``k`` parameters cost ``2k`` kernel calls for
a gradient and ``2k^2 + 1`` for a Hessian, whatever the number of rows.

Weighted totals over many rows are taken in blocks of ``ROW_BLOCK`` rows
(:func:`row_blocks`, :func:`blocked_total`): a kernel's temporaries then take the memory of
one block, not of every row (at a million distinct patterns the BG/NBD Newton pass held
twenty row-sized arrays at once). Data of one block is summed exactly as without blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

__all__ = [
    "GRADIENT_STEP",
    "HESSIAN_STEP",
    "ROW_BLOCK",
    "CentralDifferenceDerivatives",
    "CentralDifferenceGradient",
    "Derivatives",
    "FirstOutput",
    "NewCustomerFromConditional",
    "blocked_total",
    "complete_likelihood",
    "complete_new_customer",
    "dot",
    "gradient_derivatives",
    "log_space_steps",
    "row_blocks",
]

#: ``(params, weights, *columns, hessian) -> (loglik total, gradient (k,), Hessian (k, k) or None)``
Derivatives = Callable[..., tuple[float, np.ndarray, np.ndarray | None]]

_EPS = float(np.finfo(np.float64).eps)
#: Central-difference step for a gradient, relative to ``max(1, |log p|)``: ``eps^(1/3)``
#: balances the truncation error (``h^2``) against rounding (``eps / h``).
GRADIENT_STEP = _EPS ** (1.0 / 3.0)
#: Step of the second differences of a Hessian: ``eps^(1/4)`` balances ``h^2`` and ``eps / h^2``.
HESSIAN_STEP = _EPS**0.25
#: Rows per block of a weighted total: each float64 temporary of a block is 0.5 MiB, small
#: against the data, and large enough that numpy's per-call overhead stays negligible.
ROW_BLOCK = 65_536


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """``sum(a * b)`` without BLAS.

    A BLAS dot product may start threads that spin; on a busy machine that made fits ten
    times slower. einsum runs on one thread in a fixed summation order.

    Examples
    --------
    >>> dot(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    11.0
    """
    return float(np.einsum("i,i->", a, b))


def row_blocks(n: int, block: int | None = None) -> Iterator[slice]:
    """Consecutive slices of at most ``block`` rows covering ``range(n)`` (one when ``n = 0``).

    ``block`` defaults to :data:`ROW_BLOCK`, read at each call.

    Examples
    --------
    >>> [(s.start, s.stop) for s in row_blocks(5, 2)], len(list(row_blocks(0)))
    ([(0, 2), (2, 4), (4, 5)], 1)
    """
    block = ROW_BLOCK if block is None else block
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    for start in range(0, max(n, 1), block):
        yield slice(start, min(start + block, n))


def blocked_total(
    kernel: Callable[..., np.ndarray],
    params: np.ndarray,
    weights: np.ndarray,
    columns: tuple[np.ndarray, ...],
    block: int | None = None,
) -> float:
    """``sum(weights * kernel(params, *columns))``, the kernel called on blocks of rows.

    Same value as one call when the rows fit in one block; otherwise the blocks' totals are
    added, which changes only the rounding (about 1e-16 relative per block).

    Examples
    --------
    >>> loglik = lambda p, x: x * np.log(p[0]) - p[0]
    >>> x, w = np.arange(10.0), np.ones(10)
    >>> round(blocked_total(loglik, np.array([2.0]), w, (x,), block=3), 12)
    11.191623125198
    >>> round(float(w @ loglik(np.array([2.0]), x)), 12)
    11.191623125198
    """
    total = 0.0
    for rows in row_blocks(weights.size, block):
        total += dot(weights[rows], np.asarray(kernel(params, *(c[rows] for c in columns))))
    return total


def gradient_derivatives(
    gradient_kernel: Callable[..., tuple[np.ndarray, np.ndarray]],
) -> Derivatives:
    """Weighted totals from a per-row ``(loglik, gradient)`` kernel; no analytic Hessian.

    The kernel is called on blocks of :data:`ROW_BLOCK` rows (one call for fewer rows).

    Examples
    --------
    >>> import numpy as np
    >>> kernel = lambda p, x: (-p[0] * x, -np.stack([x], axis=-1))
    >>> gradient_derivatives(kernel)(np.array([2.0]), np.ones(2), np.array([1.0, 3.0]))
    (-8.0, array([-4.]), None)
    """

    def derivatives(
        params: np.ndarray, weights: np.ndarray, *columns: np.ndarray, hessian: bool = False
    ) -> tuple[float, np.ndarray, np.ndarray | None]:
        # in row blocks: the (rows, k) gradient and the kernel's temporaries of one block
        # (Pareto/NBD at 415,000 patterns: 124 -> 75 MiB traced, and faster in cache)
        total, total_grad = 0.0, np.zeros(np.size(params))
        for rows in row_blocks(weights.size):
            ll, grad = gradient_kernel(params, *(c[rows] for c in columns))
            # einsum, not BLAS: single-threaded, deterministic summation order
            total += dot(weights[rows], ll)
            total_grad += np.einsum("i,ij->j", weights[rows], grad)
        return total, total_grad, None

    return derivatives


def log_space_steps(params: np.ndarray, relative: float) -> np.ndarray:
    """Difference steps in ``theta = log(params)``: ``relative * max(1, |theta|)`` each.

    Examples
    --------
    >>> log_space_steps(np.array([1.0, np.exp(-4.0)]), 1e-5).tolist()
    [1e-05, 4e-05]
    """
    theta = np.log(np.asarray(params, dtype=np.float64))
    return relative * np.maximum(1.0, np.abs(theta))


def _shifted(params: np.ndarray, steps: dict[int, float]) -> np.ndarray:
    """``params`` with ``log(params[j])`` moved by ``steps[j]``."""
    out = np.array(params, dtype=np.float64)
    for j, step in steps.items():
        out[j] = out[j] * np.exp(step)
    return out


class FirstOutput:
    """The per-row log-likelihood of a model that declares only its ``(loglik, gradient)``.

    Examples
    --------
    >>> import numpy as np
    >>> kernel = lambda p, x: (-p[0] * x, -np.stack([x], axis=-1))
    >>> FirstOutput(kernel)(np.array([2.0]), np.array([1.0, 3.0])).tolist()
    [-2.0, -6.0]
    """

    def __init__(self, gradient_kernel: Callable[..., tuple[np.ndarray, np.ndarray]]) -> None:
        self.gradient_kernel = gradient_kernel

    def __call__(self, params: np.ndarray, *columns: np.ndarray) -> np.ndarray:
        return np.asarray(self.gradient_kernel(params, *columns)[0])


class CentralDifferenceGradient:
    """Per-row ``(loglik, gradient)`` of a model that declares only its log-likelihood.

    Central differences in ``theta = log(params)``, one pair of kernel calls per parameter
    over all rows, with steps ``GRADIENT_STEP * max(1, |theta|)``; the gradient returned is
    on the natural scale (``d ll / d p = (d ll / d theta) / p``), as a declared one would be.

    Examples
    --------
    >>> import numpy as np
    >>> loglik = lambda p, x: x * np.log(p[0]) - p[0]  # Poisson, d/dlam = x / lam - 1
    >>> ll, grad = CentralDifferenceGradient(loglik)(np.array([2.0]), np.array([0.0, 4.0]))
    >>> np.round(grad[:, 0], 9).tolist()
    [-1.0, 1.0]
    """

    def __init__(self, loglik_kernel: Callable[..., np.ndarray]) -> None:
        self.loglik_kernel = loglik_kernel

    def log_space(self, params: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-row log-likelihood ``(n,)`` and its gradient in log space ``(n, k)``."""
        params = np.asarray(params, dtype=np.float64)
        ll = np.asarray(self.loglik_kernel(params, *columns), dtype=np.float64)
        steps = log_space_steps(params, GRADIENT_STEP)
        grad = np.empty((ll.size, params.size))
        for j, h in enumerate(steps):  # a loop over parameters; every call covers all rows
            up = self.loglik_kernel(_shifted(params, {j: h}), *columns)
            down = self.loglik_kernel(_shifted(params, {j: -h}), *columns)
            # per-row differences, then sums: rounding stays per row instead of per total
            grad[:, j] = (np.asarray(up) - np.asarray(down)).ravel() / (2.0 * h)
        return ll.ravel(), grad

    def __call__(self, params: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ll, grad = self.log_space(params, *columns)
        return ll, grad / np.asarray(params, dtype=np.float64)


class CentralDifferenceDerivatives:
    """Weighted totals, gradient and Hessian of a log-likelihood-only model, by differences.

    The gradient is :class:`CentralDifferenceGradient`'s; the Hessian (when asked) comes from
    second differences of the per-row log-likelihood in log space with steps
    ``HESSIAN_STEP * max(1, |theta|)``, mapped to the natural scale so the optimizer's chain
    rule gives back the log-space Hessian. It is accurate to about ``sqrt(eps)`` relative,
    enough for standard errors.

    Examples
    --------
    >>> import numpy as np
    >>> loglik = lambda p, x: x * np.log(p[0]) - p[0]
    >>> x, w = np.array([1.0, 3.0]), np.ones(2)
    >>> ll, grad, hess = CentralDifferenceDerivatives(loglik)(np.array([2.0]), w, x, hessian=True)
    >>> round(float(grad[0]), 8), round(float(hess[0, 0]), 6)  # sum x / lam - 2, -sum x / lam^2
    (0.0, -1.0)
    """

    def __init__(self, loglik_kernel: Callable[..., np.ndarray]) -> None:
        self.loglik_kernel = loglik_kernel
        self.gradient = CentralDifferenceGradient(loglik_kernel)

    def __call__(
        self, params: np.ndarray, weights: np.ndarray, *columns: np.ndarray, hessian: bool = False
    ) -> tuple[float, np.ndarray, np.ndarray | None]:
        params = np.asarray(params, dtype=np.float64)
        ll, grad_log = self.gradient.log_space(params, *columns)
        total_grad_log = np.einsum("i,ij->j", weights, grad_log)
        hess = None
        if hessian:
            hess_log = self.log_space_hessian(params, weights, ll, *columns)
            # natural scale: H = (H_log - diag(g_log)) / (p p^T), undone by the optimizer
            hess = (hess_log - np.diag(total_grad_log)) / np.outer(params, params)
        return dot(weights, ll), total_grad_log / params, hess

    def log_space_hessian(
        self, params: np.ndarray, weights: np.ndarray, ll: np.ndarray, *columns: np.ndarray
    ) -> np.ndarray:
        """Second differences of the weighted total in log space (``2k^2`` kernel calls)."""
        steps = log_space_steps(params, HESSIAN_STEP)
        k = params.size

        def rows(shift: dict[int, float]) -> np.ndarray:
            return np.asarray(self.loglik_kernel(_shifted(params, shift), *columns)).ravel()

        hess = np.empty((k, k))
        for i in range(k):
            hi = steps[i]
            hess[i, i] = dot(weights, rows({i: hi}) - 2.0 * ll + rows({i: -hi})) / hi**2
            for j in range(i):
                hj = steps[j]
                cross = (
                    rows({i: hi, j: hj})
                    - rows({i: hi, j: -hj})
                    - rows({i: -hi, j: hj})
                    + rows({i: -hi, j: -hj})
                )
                hess[i, j] = hess[j, i] = dot(weights, cross) / (4.0 * hi * hj)
        return hess


def complete_likelihood(loglik: Any, gradient: Any) -> tuple[Any, Any]:
    """Return both likelihood hooks, the missing one derived from the declared one.

    ``None`` marks a hook the model does not declare; a derived hook (:class:`FirstOutput`,
    :class:`CentralDifferenceGradient`) counts as not declared, so a subclass that declares a
    new log-likelihood gets a new derived gradient. Both None stays both None (an abstract
    base).

    Examples
    --------
    >>> import numpy as np
    >>> loglik = lambda p, x: -p[0] * x
    >>> ll, grad = complete_likelihood(loglik, None)
    >>> ll is loglik, type(grad).__name__
    (True, 'CentralDifferenceGradient')
    """
    if isinstance(loglik, FirstOutput):
        loglik = None
    if isinstance(gradient, CentralDifferenceGradient):
        gradient = None
    if loglik is None and gradient is not None:
        loglik = FirstOutput(gradient)
    elif gradient is None and loglik is not None:
        gradient = CentralDifferenceGradient(loglik)
    return loglik, gradient


class NewCustomerFromConditional:
    """``(params, t) -> E[X(t)]`` of a new customer: the conditional one at ``x = t_x = T = 0``.

    A new customer is one observed for no time, so ``E[X(0, t)] = E[X(T, T + t) | x = 0,
    t_x = 0, T = 0]``; the same holds in discrete time with ``n = 0`` opportunities. The
    default ``_new_customer_kernel`` of the purchase families.

    Examples
    --------
    >>> import numpy as np
    >>> expected = lambda p, x, t_x, T, t: p[0] * (1.0 + x) * t / (1.0 + p[0] * T)
    >>> NewCustomerFromConditional(expected)(np.array([0.5]), np.array([2.0, 4.0])).tolist()
    [1.0, 2.0]
    """

    def __init__(self, expected_kernel: Any) -> None:
        self.expected_kernel = expected_kernel

    def __call__(self, params: np.ndarray, t: Any) -> np.ndarray:
        zero = np.zeros(np.shape(t))
        return np.asarray(self.expected_kernel(params, zero, zero, zero, t))


def complete_new_customer(new_customer: Any, expected: Any) -> Any:
    """Return the new-customer hook: the declared one, else derived from ``expected``.

    A derived hook counts as not declared (a subclass with a new conditional expectation gets
    a new one); without ``expected`` (an abstract base) the result is None.

    Examples
    --------
    >>> declared = lambda p, t: t
    >>> complete_new_customer(declared, None) is declared
    True
    >>> type(complete_new_customer(None, lambda p, x, t_x, T, t: t)).__name__
    'NewCustomerFromConditional'
    """
    if new_customer is not None and not isinstance(new_customer, NewCustomerFromConditional):
        return new_customer
    return None if expected is None else NewCustomerFromConditional(expected)
