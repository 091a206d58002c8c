"""Progress reports for the steps a user may wait on (bootstrap refits, cross-validation).

Every function or estimator with a ``progress`` parameter accepts the same values:

- ``None`` or ``False`` (the default): silent;
- ``True``: a `tqdm <https://tqdm.github.io>`_ bar (``tqdm.auto``, so a notebook widget in
  Jupyter) when the ``progress`` extra is installed, otherwise one line per step on stderr;
- a tqdm-compatible class (``tqdm.tqdm``, ``tqdm.auto.tqdm``, ``tqdm.notebook.tqdm``...):
  called as ``progress(total=..., desc=...)``, then ``update(n)`` and ``close()``;
- any other callable: called as ``progress(done, total, desc)`` after each step, e.g. to log
  or to update a dashboard.

Progress is reported per block of work (a fold, a block of replicates, an optimizer
iteration), never per customer, so reporting costs nothing measurable. When the number of
steps is not known in advance (the iterations of a model fit), ``total`` is None: a tqdm bar
then counts without a percentage, and a callback gets ``total=None``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeAlias

from customer_models.exceptions import ParameterError

__all__ = ["Progress", "ProgressLike", "check_progress"]

#: What a ``progress`` parameter accepts (see the module docstring).
ProgressLike: TypeAlias = "bool | Callable[..., Any] | None"


def check_progress(progress: Any) -> None:
    """Refuse a ``progress`` value that is neither None, a bool nor a callable.

    >>> check_progress(None), check_progress(True), check_progress(print)
    (None, None, None)
    >>> check_progress("yes")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: progress must be None, ...; got 'yes' (str).
    """
    if progress is None or isinstance(progress, bool) or callable(progress):
        return
    raise ParameterError(
        "progress must be None, True/False, a tqdm-compatible class or a callable "
        f"progress(done, total, desc); got {progress!r} ({type(progress).__name__})."
    )


class Progress:
    """Report ``total`` steps of one task to whatever ``progress`` names.

    Use as a context manager; ``advance(n)`` after each block of work. ``total=None`` when
    the number of steps is unknown (``done`` then only counts up).

    Examples
    --------
    >>> seen = []
    >>> def report(done, total, desc):
    ...     seen.append((done, total, desc))
    >>> with Progress(report, 3, "refits") as bar:
    ...     for _ in range(3):
    ...         bar.advance()
    >>> seen
    [(1, 3, 'refits'), (2, 3, 'refits'), (3, 3, 'refits')]
    >>> seen.clear()
    >>> with Progress(report, None, "iterations") as bar:
    ...     bar.advance()
    ...     bar.advance()
    >>> seen
    [(1, None, 'iterations'), (2, None, 'iterations')]
    """

    def __init__(self, progress: Any, total: int | None, desc: str) -> None:
        check_progress(progress)
        self.total = None if total is None else int(total)
        self.desc = desc
        self.done = 0
        self._bar: Any = None
        self._callback: Callable[[int, int | None, str], Any] | None = None
        if progress is True:
            progress = _default_bar()
        if isinstance(progress, type):  # a tqdm-compatible class
            self._bar = progress(total=self.total, desc=desc)
        elif callable(progress):
            self._callback = progress

    def advance(self, n: int = 1) -> None:
        """Record ``n`` more finished steps."""
        self.done += int(n)
        if self.total is not None:
            self.done = min(self.total, self.done)
        if self._bar is not None:
            self._bar.update(n)
        elif self._callback is not None:
            self._callback(self.done, self.total, self.desc)

    def close(self) -> None:
        """Close the bar (a no-op for callbacks and when silent)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _default_bar() -> Callable[..., Any]:
    """Tqdm's auto bar when installed, else a plain line per step on stderr."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _print_step
    return tqdm


def _print_step(done: int, total: int | None, desc: str) -> None:
    count = f"{done}" if total is None else f"{done}/{total}"
    print(f"{desc}: {count}", file=sys.stderr, flush=True)
