"""``check_grads``: verify derivatives against central finite differences.

This is the only place in the library that computes finite differences;
derivatives themselves always come from the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcdiff.api import jvp, vjp
from funcdiff.tree import tree_flatten, tree_map, tree_unflatten

Fun = Callable[..., Any]


def _flat(tree: Any) -> np.ndarray:
    leaves = tree_flatten(tree)[0]
    if not leaves:
        return np.zeros(0)
    return np.concatenate([np.ravel(np.asarray(leaf, dtype=np.float64)) for leaf in leaves])


def _axpy(a: float, xs: Sequence[Any], ys: Sequence[Any]) -> tuple[Any, ...]:
    out = []
    for x, y in zip(xs, ys, strict=True):
        lx, tree = tree_flatten(x)
        ly = tree_flatten(y)[0]
        out.append(
            tree_unflatten(
                tree, [np.asarray(p) + a * np.asarray(q) for p, q in zip(lx, ly, strict=True)]
            )
        )
    return tuple(out)


def _random_like(args: Sequence[Any], rng: np.random.Generator) -> tuple[Any, ...]:
    out = []
    for a in args:
        leaves, tree = tree_flatten(a)
        out.append(
            tree_unflatten(
                tree,
                [
                    rng.standard_normal(np.shape(leaf)).astype(_direction_dtype(leaf))
                    for leaf in leaves
                ],
            )
        )
    return tuple(out)


def _direction_dtype(leaf: Any) -> np.dtype[Any]:
    """The dtype a direction for ``leaf`` needs: the leaf's own floating dtype;
    float64 for Python numbers and integers (as check_grads promotes them)."""
    dt = np.asarray(leaf).dtype
    return dt if dt.kind in "fc" else np.dtype(np.float64)


def _close(name: str, got: np.ndarray, want: np.ndarray, atol: float, rtol: float) -> None:
    if not np.allclose(got, want, atol=atol, rtol=rtol, equal_nan=True):
        err = np.max(np.abs(got - want)) if got.size else 0.0
        raise AssertionError(
            f"check_grads: {name} mismatch (max abs error {err:.3g}, atol={atol}, rtol={rtol})\n"
            f"  derivative rules: {got}\n  finite differences: {want}"
        )


def check_grads(
    f: Fun,
    args: Sequence[Any],
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = 0,
) -> None:
    """Check ``f``'s derivatives up to ``order`` against finite differences.

    Forward mode: ``jvp`` in a random direction against a central difference.
    Reverse mode: ``vjp`` against the same difference through the identity
    ``<u, J v> = <J^T u, v>``. Higher orders check the derivative maps
    themselves, recursively. Raises AssertionError with the numbers on mismatch.

    Args:
      f: function of the arrays (pytrees) in ``args``.
      args: tuple of arguments (float64 recommended).
      order: highest derivative order to check.
      modes: ``"fwd"``, ``"rev"`` or both.

    >>> import funcdiff.numpy as fnp
    >>> check_grads(lambda x: x ** fnp.cos(x), (3.0,), order=2)
    """
    if not isinstance(args, (tuple, list)):
        raise TypeError(
            f"check_grads: args must be a tuple (or list) of arguments, got a "
            f"{type(args).__name__}; for one argument write args=(x,)"
        )
    if isinstance(modes, str):
        modes = (modes,)
    bad = [m for m in modes if m not in ("fwd", "rev")]
    if bad or not modes:
        raise ValueError(f"check_grads: modes must name 'fwd' and/or 'rev', got {list(modes)!r}")
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ValueError(f"check_grads: order must be a positive int, got {order!r}")
    args = tree_map(
        lambda a: (
            np.asarray(a, dtype=np.float64)
            if isinstance(a, (int, float)) and not isinstance(a, bool)
            else a
        ),
        tuple(args),
    )
    leaves = tree_flatten(args)[0] + tree_flatten(f(*args))[0]
    single = any(np.asarray(leaf).dtype in (np.float32, np.float16) for leaf in leaves)
    eps = eps if eps is not None else (1e-3 if single else 1e-5)
    atol = atol if atol is not None else (5e-2 if single else 1e-5)
    rtol = rtol if rtol is not None else (5e-2 if single else 1e-4)
    rng = np.random.default_rng(seed)

    def numerical_jvp(fun: Fun, v: tuple[Any, ...]) -> np.ndarray:
        hi = _flat(fun(*_axpy(eps, args, v)))
        lo = _flat(fun(*_axpy(-eps, args, v)))
        return np.asarray((hi - lo) / (2 * eps))

    v = _random_like(args, rng)
    fd = numerical_jvp(f, v)
    if "fwd" in modes:
        _, t_out = jvp(f, args, v)
        _close("forward mode (jvp)", _flat(t_out), fd, atol, rtol)
    if "rev" in modes:
        out, pullback = vjp(f, *args)
        u = _random_like((out,), rng)[0]
        ct = pullback(u)
        lhs = float(np.dot(_flat(u), fd))
        rhs = float(np.dot(_flat(ct), _flat(v)))
        _close(
            "reverse mode (<u, J v> vs <J^T u, v>)", np.asarray(rhs), np.asarray(lhs), atol, rtol
        )
    if order > 1:
        if "fwd" in modes:

            def f_jvp(*xs: Any) -> Any:
                return jvp(f, xs, v)[1]

            check_grads(f_jvp, args, order - 1, modes, eps, atol, rtol, seed + 1)
        if "rev" in modes:
            out0 = f(*args)
            u2 = _random_like((out0,), rng)[0]

            def f_vjp(*xs: Any) -> Any:
                return vjp(f, *xs)[1](u2)

            check_grads(f_vjp, args, order - 1, modes, eps, atol, rtol, seed + 2)
