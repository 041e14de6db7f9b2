"""Deprecated: the scipy adapter moved to :mod:`funcdiff.optimize`.

``from funcdiff.scipy_adapter import scipy_objective`` still works and warns
(``DeprecationWarning``); import ``scipy_objective``, ``scipy_minimize``,
``ScipyObjective`` and ``EvalCounts`` from ``funcdiff.optimize`` instead.
"""

from __future__ import annotations

import warnings
from typing import Any

_MOVED = ("EvalCounts", "ScipyObjective", "scipy_minimize", "scipy_objective")


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        warnings.warn(
            f"funcdiff.scipy_adapter is deprecated: import {name} from funcdiff.optimize",
            DeprecationWarning,
            stacklevel=2,
        )
        from funcdiff.optimize import _scipy

        return getattr(_scipy, name)
    raise AttributeError(f"module 'funcdiff.scipy_adapter' has no attribute {name!r}")


__all__ = list(_MOVED)
