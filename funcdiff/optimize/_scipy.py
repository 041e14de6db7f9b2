"""funcdiff's derivatives for ``scipy.optimize.minimize``: :func:`scipy_objective`.

scipy asks for the value (``fun``), the gradient (``jac``), the Hessian
(``hess``) or Hessian-vector products (``hessp``) as separate callables, and
usually calls ``fun(x)`` then ``jac(x)`` at the same point. Computing them
separately would run ``f`` forward twice and backward once per point;
:func:`scipy_objective` computes value and gradient together
(``value_and_grad``) and caches the last point, so the second call is free.
Hessian-vector products at a point come from one ``taylor2`` linearization
(forward-over-reverse, traced once per point): each further product only
evaluates the small linear map, which is what trust-ncg's inner CG loop
needs. Counters (:class:`EvalCounts`) say how many calls scipy made and how
much work funcdiff actually did.

scipy is optional: the objective needs no scipy at all, and
:func:`scipy_minimize` imports it when called.

>>> import numpy as np
>>> obj = scipy_objective(lambda x: ((x - 1.0) ** 2).sum())
>>> sorted(obj)
['fun', 'hess', 'hessp', 'jac']
>>> x = np.array([0.0, 3.0])
>>> float(obj["fun"](x)), obj["jac"](x)
(5.0, array([-2.,  4.]))
>>> obj.counts.fun_calls, obj.counts.jac_calls, obj.counts.value_and_grad
(1, 1, 1)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np

from funcdiff.api import hessian as _hessian
from funcdiff.api import hvp, value_and_grad
from funcdiff.api_util import has_tracer
from funcdiff.implicit import LinearSolve
from funcdiff.jit import jit as _jit
from funcdiff.optimize._argmin import concrete_args, differentiable_argmin
from funcdiff.quadratic import QuadraticModel, taylor2
from funcdiff.tree import ravel_pytree, tree_flatten, tree_unflatten

Fun = Callable[..., Any]

# the callables each scipy method uses (others would make scipy warn)
_METHOD_KEYS: dict[str, tuple[str, ...]] = {
    "cg": ("fun", "jac"),
    "bfgs": ("fun", "jac"),
    "l-bfgs-b": ("fun", "jac"),
    "tnc": ("fun", "jac"),
    "slsqp": ("fun", "jac"),
    "newton-cg": ("fun", "jac", "hessp"),
    "trust-ncg": ("fun", "jac", "hessp"),
    "trust-krylov": ("fun", "jac", "hessp"),
    "trust-exact": ("fun", "jac", "hess"),
    "dogleg": ("fun", "jac", "hess"),
    "trust-constr": ("fun", "jac", "hess"),
    "nelder-mead": ("fun",),
    "powell": ("fun",),
    "cobyla": ("fun",),
    "cobyqa": ("fun",),
}


# methods whose ``hess`` must be a dense array (scipy.linalg inside)
_DENSE_HESS_ONLY = ("trust-exact", "dogleg")


@dataclass
class EvalCounts:
    """How often scipy called each callable, and the work funcdiff did.

    Attributes:
      fun_calls, jac_calls, hess_calls, hessp_calls: calls made by scipy.
      value_and_grad: value-and-gradient computations (one per distinct point
        asked for ``fun`` or ``jac``, thanks to the cache).
      hessian: Hessian computations (dense, or sparse with ``hessian="sparse"``).
      linearize: ``taylor2`` linearizations (one per point asked for ``hessp``).
      hvp: Hessian-vector products evaluated.

    >>> import numpy as np
    >>> obj = scipy_objective(lambda x: (x ** 2).sum())
    >>> x = np.array([1.0, 2.0])
    >>> float(obj["fun"](x)), obj["jac"](x)  # one value_and_grad for both calls
    (5.0, array([2., 4.]))
    >>> obj.counts.as_dict()["value_and_grad"], obj.counts.fun_calls + obj.counts.jac_calls
    (1, 2)
    """

    fun_calls: int = 0
    jac_calls: int = 0
    hess_calls: int = 0
    hessp_calls: int = 0
    value_and_grad: int = 0
    hessian: int = 0
    linearize: int = 0
    hvp: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class ScipyObjective(dict[str, Any]):
    """A dict of scipy callables (``fun``, ``jac``, ...) plus bookkeeping.

    Pass it to scipy as keyword arguments: ``minimize(**obj, x0=obj.x0)``.

    Attributes:
      counts: an :class:`EvalCounts`.
      x0: the flat starting point when ``x0_like`` was given (else None).
      unravel: flat vector -> pytree like ``x0_like`` (identity without it).

    >>> import numpy as np
    >>> obj = scipy_objective(lambda x: (x ** 2).sum(), np.zeros(2))
    >>> sorted(k for k in obj if k != "method")
    ['fun', 'hess', 'hessp', 'jac']
    """

    counts: EvalCounts
    x0: np.ndarray | None
    unravel: Callable[[Any], Any]

    def reset_counts(self) -> None:
        """Zero the counters (the cache is kept)."""
        self.counts = EvalCounts()
        self._state["counts"] = self.counts

    _state: dict[str, Any]


def _check_x(x: Any, n: int | None) -> np.ndarray:
    z = np.asarray(x, dtype=np.float64)
    if z.ndim != 1 or (n is not None and z.shape[0] != n):
        want = f"({n},)" if n is not None else "(n,)"
        raise ValueError(
            f"scipy_objective: scipy passed x of shape {z.shape}, expected a flat vector of "
            f"shape {want}"
        )
    return z


def scipy_objective(
    f: Fun,
    x0_like: Any = None,
    *,
    method: str | None = None,
    jit: bool = False,
    hessian: Literal["dense", "sparse"] = "dense",
) -> ScipyObjective:
    """``fun``/``jac``/``hess``/``hessp`` callables of ``f`` for ``scipy.optimize.minimize``.

    Args:
      f: a scalar field.
      x0_like: a pytree like ``f``'s argument (e.g. a dict of arrays). scipy
        works on flat vectors: the callables unravel ``x`` into this
        structure before calling ``f``, and the objective's ``x0`` is
        ``x0_like`` raveled. None: ``f`` takes the flat vector itself.
      method: the scipy method the dict is for. Then the dict holds only the
        callables that method uses (so scipy does not warn that it ignores
        ``hess``), plus ``"method"``. None: ``fun``, ``jac``, ``hess`` and
        ``hessp`` (given both, scipy's trust-ncg still evaluates the dense
        ``hess`` at the start; pass ``method="trust-ncg"`` to stay matrix-free).
      jit: compile value-and-gradient, Hessian and Hessian-vector product
        with ``funcdiff.jit`` (then ``hessp`` recomputes forward-over-reverse
        per product instead of using a per-point ``taylor2`` linearization).
      hessian: ``"dense"`` (default) or ``"sparse"``: ``hess(x)`` returns a
        ``scipy.sparse.csr_array`` from ``funcdiff.sparse.sparse_hessian``
        (pattern detected from ``f``'s jaxpr and colored once, then a few
        compiled Hessian-vector products per point; ``f`` must be
        traceable), and ``hessp(x, p)`` multiplies by that matrix (one
        sparse Hessian per point). scipy accepts a sparse ``hess`` in
        ``"trust-constr"`` and ``"newton-cg"``; ``"trust-ncg"`` and
        ``"trust-krylov"`` use the sparse ``hessp``; ``"trust-exact"`` and
        ``"dogleg"`` need a dense Hessian (a ValueError says so).

    The last point's value and gradient are cached: ``fun(x)`` then
    ``jac(x)`` costs one ``value_and_grad``. ``hess(x)`` and the
    linearization behind ``hessp(x, p)`` are cached for the last point too.

    >>> from scipy.optimize import minimize
    >>> rosen = lambda p: (1 - p["x"]) ** 2 + 100 * (p["y"] - p["x"] ** 2) ** 2
    >>> obj = scipy_objective(rosen, {"x": -1.2, "y": 1.0}, method="trust-ncg")
    >>> res = minimize(**obj, x0=obj.x0, options={"gtol": 1e-10})
    >>> res.success, {k: round(float(v), 8) for k, v in obj.unravel(res.x).items()}
    (True, {'x': 1.0, 'y': 1.0})
    >>> obj.counts.value_and_grad <= obj.counts.fun_calls + obj.counts.jac_calls
    True
    """
    if not callable(f):
        raise TypeError(f"scipy_objective: f must be callable, got {type(f).__name__}")
    if x0_like is not None:
        if isinstance(x0_like, list) and all(isinstance(v, (int, float)) for v in x0_like):
            x0_like = np.asarray(x0_like, dtype=np.float64)  # a list of numbers is a vector
        leaves, treedef = tree_flatten(x0_like)
        x0_like = tree_unflatten(treedef, [np.asarray(a, dtype=np.float64) for a in leaves])
        flat0, unravel = ravel_pytree(x0_like)
        flat0 = np.array(flat0, dtype=np.float64)
        x0: np.ndarray | None = flat0
        n: int | None = int(flat0.shape[0])
    else:
        x0, n = None, None

        def unravel(z: Any) -> Any:
            return z

    def f_flat(z: Any) -> Any:
        return f(unravel(z))

    if hessian not in ("dense", "sparse"):
        raise ValueError(f"scipy_objective: hessian must be 'dense' or 'sparse', got {hessian!r}")
    sparse = hessian == "sparse"
    keys: tuple[str, ...] = ("fun", "jac", "hess", "hessp")
    if method is not None:
        mkey = method.lower()
        if mkey not in _METHOD_KEYS:
            raise ValueError(
                f"scipy_objective: unknown scipy method {method!r}; known: {sorted(_METHOD_KEYS)}"
            )
        keys = _METHOD_KEYS[mkey]
        if sparse and mkey in _DENSE_HESS_ONLY:
            raise ValueError(
                f"scipy_objective: scipy's {method!r} factorizes a dense Hessian and does not "
                "accept a scipy.sparse one; with hessian='sparse' use 'trust-constr' or "
                "'newton-cg' (sparse hess) or 'trust-ncg' / 'trust-krylov' (sparse hessp)"
            )
        if sparse and "hess" not in keys and "hessp" not in keys:
            raise ValueError(
                f"scipy_objective: scipy's {method!r} uses no Hessian, so hessian='sparse' "
                "has nothing to do; use 'trust-constr', 'newton-cg', 'trust-ncg' or "
                "'trust-krylov'"
            )

    vg = value_and_grad(f_flat)
    vg_fn: Fun = _jit(vg) if jit else vg
    hess_fn: Fun = _jit(_hessian(f_flat)) if jit else _hessian(f_flat)
    sparse_hess: Fun | None = None
    if sparse:
        from funcdiff.sparse import sparse_hessian

        sparse_hess = sparse_hessian(f_flat)
    hvp_fn: Fun | None = _jit(lambda z, v: hvp(f_flat, z, v)) if jit else None

    state: dict[str, Any] = {"counts": EvalCounts()}
    cache: dict[str, Any] = {"vg_x": None, "h_x": None, "lin_x": None}

    def _same(key: str, z: np.ndarray) -> bool:
        prev = cache[key]
        return prev is not None and prev.shape == z.shape and np.array_equal(prev, z)

    def _value_grad(z: np.ndarray) -> tuple[float, np.ndarray]:
        if not _same("vg_x", z):
            counts: EvalCounts = state["counts"]
            counts.value_and_grad += 1
            v, g = vg_fn(z)
            cache["vg_x"] = z.copy()
            cache["vg"] = (float(v), np.asarray(g, dtype=np.float64).reshape(z.shape))
        out: tuple[float, np.ndarray] = cache["vg"]
        return out

    def fun(x: Any, *args: Any) -> float:
        state["counts"].fun_calls += 1
        return _value_grad(_check_x(x, n))[0]

    def jac(x: Any, *args: Any) -> np.ndarray:
        state["counts"].jac_calls += 1
        return _value_grad(_check_x(x, n))[1].copy()

    def _sparse_h(z: np.ndarray) -> Any:
        assert sparse_hess is not None
        if not _same("h_x", z):
            state["counts"].hessian += 1
            cache["h"] = sparse_hess(z)
            cache["h_x"] = z.copy()
        return cache["h"]

    def hess(x: Any, *args: Any) -> Any:
        counts: EvalCounts = state["counts"]
        counts.hess_calls += 1
        z = _check_x(x, n)
        if sparse:
            return _sparse_h(z).copy()
        if not _same("h_x", z):
            counts.hessian += 1
            H = np.asarray(hess_fn(z), dtype=np.float64).reshape(z.shape[0], z.shape[0])
            cache["h_x"] = z.copy()
            cache["h"] = 0.5 * (H + H.T)
        H_out: np.ndarray = cache["h"].copy()
        return H_out

    def hessp(x: Any, p: Any, *args: Any) -> np.ndarray:
        counts: EvalCounts = state["counts"]
        counts.hessp_calls += 1
        counts.hvp += 1
        z = _check_x(x, n)
        v = np.asarray(p, dtype=np.float64).reshape(z.shape)
        if sparse:
            return np.asarray(_sparse_h(z) @ v, dtype=np.float64)
        if hvp_fn is not None:
            return np.asarray(hvp_fn(z, v), dtype=np.float64)
        if not _same("lin_x", z):
            counts.linearize += 1
            model = taylor2(f_flat, matrix_free=True)(z)
            cache["lin_x"] = z.copy()
            cache["lin"] = model
            if not _same("vg_x", z):  # the linearization brings value and gradient along
                cache["vg_x"] = z.copy()
                cache["vg"] = (float(model.value), model.g_flat.astype(np.float64))
        lin: QuadraticModel = cache["lin"]
        return np.asarray(lin.hvp(v), dtype=np.float64)

    callables: dict[str, Callable[..., Any]] = {
        "fun": fun,
        "jac": jac,
        "hess": hess,
        "hessp": hessp,
    }
    obj = ScipyObjective({k: callables[k] for k in keys})
    if method is not None:
        obj["method"] = method
    obj._state = state
    obj.counts = state["counts"]
    obj.x0 = x0
    obj.unravel = unravel
    return obj


def _recording_callback(
    xs: list[np.ndarray], user: Callable[..., Any] | None
) -> Callable[..., Any]:
    """A scipy ``callback`` appending each iterate to ``xs``, then calling ``user``."""
    import inspect

    takes_result = False
    if user is not None:
        try:
            takes_result = "intermediate_result" in inspect.signature(user).parameters
        except (TypeError, ValueError):  # pragma: no cover - builtins without signature
            takes_result = False
    if takes_result:
        assert user is not None

        def with_result(intermediate_result: Any) -> Any:
            xs.append(np.array(intermediate_result.x, dtype=np.float64))
            return user(intermediate_result=intermediate_result)

        return with_result

    def with_x(xk: Any, *rest: Any) -> Any:
        xs.append(np.array(xk, dtype=np.float64))
        return None if user is None else user(xk, *rest)

    return with_x


def scipy_minimize(
    f: Fun,
    x0: Any,
    method: str = "trust-ncg",
    *,
    jit: bool = False,
    hessian: Literal["dense", "sparse"] = "dense",
    args: tuple[Any, ...] = (),
    implicit_solve: str | LinearSolve = "dense",
    **kwargs: Any,
) -> Any:
    """``scipy.optimize.minimize`` with funcdiff's derivatives; ``x0`` may be a pytree.

    ``args`` are extra arguments of ``f`` (``f(x, *args)``); ``x_tree`` is
    differentiable with respect to them (argmin differentiation, see
    :func:`funcdiff.optimize.minimize`; ``x0`` must then be an array).

    Returns scipy's ``OptimizeResult`` with extra keys: ``x_tree`` (the
    solution shaped like ``x0``), ``counts`` (:class:`EvalCounts`), ``path``
    (the flat iterates, shape (k, n), starting with ``x0``; recorded through
    scipy's ``callback``, so ``funcdiff.plot.paths`` can draw it) and
    ``method`` (``"scipy <method>"``).
    ``kwargs`` go to scipy (``tol``, ``options``, ``callback``...).
    ``hessian="sparse"`` hands scipy a ``scipy.sparse`` Hessian (see
    :func:`scipy_objective`), e.g. for ``method="trust-constr"``.

    >>> res = scipy_minimize(lambda x: ((x - 2.0) ** 2).sum(), [0.0, 0.0])
    >>> res.success, res.x_tree.round(6)
    (True, array([2., 2.]))
    """
    try:
        from scipy.optimize import minimize as sp_minimize
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "scipy_minimize needs scipy: pip install scipy (funcdiff's own optimizers "
            "are in funcdiff.optimize.minimize)"
        ) from err
    traced = bool(args) and has_tracer(tree_flatten(args)[0])
    c_args = concrete_args(tuple(args), "scipy_minimize") if traced else tuple(args)
    obj = scipy_objective(
        (lambda x: f(x, *c_args)) if args else f, x0, method=method, jit=jit, hessian=hessian
    )
    xs: list[np.ndarray] = [np.array(obj.x0, dtype=np.float64)]
    kwargs["callback"] = _recording_callback(xs, kwargs.get("callback"))
    res = sp_minimize(**obj, x0=obj.x0, **kwargs)
    last = np.asarray(res.x, dtype=np.float64)
    if not np.array_equal(xs[-1], last):
        xs.append(last.copy())
    res["path"] = np.stack(xs)
    res["method"] = f"scipy {method}"
    res["x_tree"] = obj.unravel(np.asarray(res.x, dtype=np.float64))
    if traced:
        res["x_tree"] = differentiable_argmin(
            f, res["x_tree"], tuple(args), implicit_solve, "scipy_minimize"
        )
    res["counts"] = obj.counts
    return res


__all__ = ["EvalCounts", "ScipyObjective", "scipy_minimize", "scipy_objective"]
