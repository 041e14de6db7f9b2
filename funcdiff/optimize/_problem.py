"""The problem every method solves: ``f`` on a flat float64 vector, with counted
(and, with ``jit=True``, compiled) derivatives and the local quadratic model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from funcdiff.api import hessian as _hessian
from funcdiff.api import hvp as _hvp
from funcdiff.api import value_and_grad
from funcdiff.core.trace import Tracer
from funcdiff.jit import jit as _jit
from funcdiff.quadratic import QuadraticModel, taylor2
from funcdiff.tree import ravel_pytree, tree_flatten, tree_unflatten

Fun = Callable[..., Any]

#: float64's machine epsilon.
EPS = float(np.finfo(np.float64).eps)


class LocalModel:
    """The quadratic model at a point, as the methods use it (flat vectors).

    ``H`` is a dense array, a ``scipy.sparse`` matrix (``sparse``), or None
    (matrix-free: products through ``hvp``)."""

    __slots__ = ("H", "_count", "_hvp", "g", "model", "value")

    def __init__(
        self,
        value: float,
        g: np.ndarray,
        H: Any,
        hvp: Callable[[np.ndarray], np.ndarray] | None,
        count: Callable[[], None],
        model: QuadraticModel | None = None,
    ) -> None:
        self.value = value
        self.g = g
        self.H = H
        self._hvp = hvp
        self._count = count
        self.model = model

    @property
    def sparse(self) -> bool:
        """H is a ``scipy.sparse`` matrix."""
        return self.H is not None and not isinstance(self.H, np.ndarray)

    def hvp(self, v: np.ndarray) -> np.ndarray:
        if self.H is not None:
            Hv: np.ndarray = np.asarray(self.H @ v)
            return Hv
        assert self._hvp is not None
        self._count()
        return self._hvp(v)

    def predicted_decrease(self, p: np.ndarray) -> float:
        """``m(0) - m(p) = -(g.p + 1/2 p^T H p)``."""
        if self.model is not None:
            if self.H is None:
                self._count()
            return float(self.model.predicted_decrease(p))
        return -float(self.g @ p + 0.5 * (p @ self.hvp(p)))


def _is_number_list(x: Any) -> bool:
    return (
        isinstance(x, list)
        and len(x) > 0
        and all(isinstance(v, (int, float, np.floating, np.integer)) for v in x)
        and not any(isinstance(v, (bool, np.bool_)) for v in x)
    )


def _as_float_tree(x0: Any, where: str) -> Any:
    """x0 with float64 leaves; a plain list of numbers becomes a vector (as in scipy)."""
    if _is_number_list(x0):
        return np.asarray(x0, dtype=np.float64)
    leaves, treedef = tree_flatten(x0)
    if not leaves:
        raise ValueError(f"{where}: x0 has no array leaves ({treedef}); nothing to optimize")
    out = []
    for i, leaf in enumerate(leaves):
        if isinstance(leaf, Tracer):
            raise TypeError(
                f"{where}: x0 leaf {i} is a traced value; optimizers run eagerly: call them "
                "outside grad/vmap/jit"
            )
        arr = np.asarray(leaf)
        if arr.dtype.kind not in "biuf":
            raise TypeError(
                f"{where}: x0 leaf {i} has dtype {arr.dtype} (shape {arr.shape}); optimizers "
                "work on real floating-point numbers"
            )
        out.append(arr.astype(np.float64))
    return tree_unflatten(treedef, out)


class Problem:
    """``f`` on a flat float64 vector ``z``, with evaluation counters.

    Without jit the quadratic model comes from ``taylor2`` (one trace gives
    value, gradient and the Hessian-vector map); with jit from compiled
    ``value_and_grad`` / ``hessian`` / ``hvp``.
    """

    def __init__(self, f: Fun, x0: Any, *, use_jit: bool, where: str) -> None:
        if not callable(f):
            raise TypeError(f"{where}: f must be a callable scalar field, got {type(f).__name__}")
        self.where = where
        x0 = _as_float_tree(x0, where)
        flat, self.unravel = ravel_pytree(x0)
        self.x0 = np.array(flat, dtype=np.float64)
        self.n = int(self.x0.shape[0])
        unravel = self.unravel

        def f_flat(z: Any) -> Any:
            return f(unravel(z))

        self.f_flat = f_flat
        self.use_jit = use_jit
        self.nfev = self.ngev = self.nhev = self.nhvp = 0
        vg = value_and_grad(f_flat)
        self._fun: Fun = _jit(f_flat) if use_jit else f_flat
        self._vg: Fun = _jit(vg) if use_jit else vg
        self._vgh: Fun | None = None
        self._hvp_fn: Fun | None = None
        self._sparse_taylor: Callable[[Any], QuadraticModel] | None = None

    # -- counted evaluations ---------------------------------------------------
    def fun(self, z: np.ndarray) -> float:
        self.nfev += 1
        return float(self._fun(z))

    def value_and_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        self.nfev += 1
        self.ngev += 1
        v, g = self._vg(z)
        return float(v), np.asarray(g, dtype=np.float64).reshape(self.n)

    def _count_hvp(self) -> None:
        self.nhvp += 1

    def model(self, z: np.ndarray, *, matrix_free: bool, sparse: bool = False) -> LocalModel:
        """The second-order Taylor model at ``z`` (dense H, sparse H, or matrix-free).

        Sparse: ``taylor2(f, sparse=True)``, built once per problem, so the
        pattern, coloring and compiled derivatives are prepared once.
        """
        self.nfev += 1
        self.ngev += 1
        if not matrix_free:
            self.nhev += 1
        if sparse:
            if self._sparse_taylor is None:
                self._sparse_taylor = taylor2(self.f_flat, sparse=True)
            ms = self._sparse_taylor(z)
            return LocalModel(
                float(ms.value), ms.g_flat.astype(np.float64), ms.H_flat, None, self._count_hvp, ms
            )
        if not self.use_jit:
            m = taylor2(self.f_flat, matrix_free=matrix_free)(z)
            H = None if matrix_free else np.asarray(m.H_flat, dtype=np.float64)
            if H is not None:
                H = 0.5 * (H + H.T)

            def model_hvp(v: np.ndarray) -> np.ndarray:
                return np.asarray(m.hvp(v), dtype=np.float64)

            return LocalModel(
                float(m.value), m.g_flat.astype(np.float64), H, model_hvp, self._count_hvp, m
            )
        if not matrix_free:
            if self._vgh is None:
                f_flat = self.f_flat
                vg, hess = value_and_grad(f_flat), _hessian(f_flat)

                def value_grad_hess(z: Any) -> Any:
                    v, g = vg(z)
                    return v, g, hess(z)

                self._vgh = _jit(value_grad_hess)
            v, g, H = self._vgh(z)
            H = np.asarray(H, dtype=np.float64)
            return LocalModel(
                float(v), np.asarray(g, dtype=np.float64), 0.5 * (H + H.T), None, self._count_hvp
            )
        if self._hvp_fn is None:
            f_flat = self.f_flat
            self._hvp_fn = _jit(lambda z, v: _hvp(f_flat, z, v))
        hvp_fn = self._hvp_fn
        v, g = self._vg(z)

        def jit_hvp(u: np.ndarray) -> np.ndarray:
            return np.asarray(hvp_fn(z, u), dtype=np.float64)

        return LocalModel(float(v), np.asarray(g, dtype=np.float64), None, jit_hvp, self._count_hvp)


__all__ = ["EPS", "Fun", "LocalModel", "Problem"]
