"""Implicit derivatives: derivatives of roots and fixed points of solvers.

``custom_root(optimality_fn)`` decorates ``solver(init, *theta) -> x`` where
``optimality_fn(x, *theta) == 0`` at the solution. The solver runs on
concrete values (its iterations are never differentiated); the derivative of
``x*(theta)`` comes from the implicit function theorem,
``dx*/dtheta = -(dF/dx)^{-1} dF/dtheta``, written as a ``custom_jvp`` rule
made of funcdiff operations.

Higher orders: the rule needs ``x*`` as a differentiable function of
``theta`` again. funcdiff traces rules when the function is called, so a
rule cannot call its own function lazily; instead each call builds a chain
of ``depth`` custom-rule functions, each level's rule using the next level
for ``x*``. Derivatives of order up to ``depth - 1`` are exact; the last
level's derivative is NaN (loud, never a silently wrong number). ``depth``
defaults to one more than the number of transforms wrapping ``theta`` at
the call, and at least ``MIN_DEPTH`` (orders 1 to 3 always).

>>> import funcdiff as fd, funcdiff.numpy as fnp
>>> def newton(x, a):  # a root of x**2 - a by Python iterations
...     for _ in range(60):
...         x = x - (x * x - a) / (2.0 * x)
...     return x
>>> sqrt = custom_root(lambda x, a: x * x - a)(newton)
>>> round(float(fd.grad(sqrt, 1)(1.0, 4.0)), 12)  # 1 / (2 sqrt(4))
0.25
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

import funcdiff.numpy as fnp
from funcdiff.api import jacfwd, jvp
from funcdiff.api_util import concrete_or_none
from funcdiff.core.trace import Tracer
from funcdiff.custom import custom_jvp, stop_gradient
from funcdiff.errors import ConcretizationError, ShapeError
from funcdiff.tree import tree_flatten, tree_map, tree_unflatten

Fun = Callable[..., Any]
#: a linear solver ``solve(matvec, b, n) -> x`` for ``J x = b``
LinearSolve = Callable[[Callable[[Any], Any], Any, int], Any]

#: the least number of derivative levels a call supports
MIN_DEPTH = 4


def _nesting(x: Any) -> int:
    n = 0
    while isinstance(x, Tracer):
        n += 1
        x = x.val
    return n


def _dense_solve(matvec: Callable[[Any], Any], b: Any, n: int) -> Any:
    jac = jacfwd(matvec)(fnp.zeros(n, dtype=b.dtype))
    return fnp.linalg.solve(jac, b)


def _sparse_solve(matvec: Callable[[Any], Any], b: Any, n: int) -> Any:
    """The Jacobian of ``matvec`` assembled sparsely and factorized (SuperLU).

    Its pattern is detected from ``matvec``'s jaxpr (``jacobian_sparsity``),
    its columns are colored, and one Jacobian-vector product per color (one
    ``vmap``-ed product) gives every entry; ``sparse_solve`` (a primitive
    whose rules use itself) solves, so higher orders compose."""
    from funcdiff.api import vmap
    from funcdiff.sparse import jacobian_sparsity
    from funcdiff.sparse._coloring import column_coloring
    from funcdiff.sparse._solve import SparsePattern, sparse_solve

    zero = np.zeros(n, dtype=np.dtype(b.dtype))
    pattern = jacobian_sparsity(matvec)(zero).tocoo()
    rows = np.asarray(pattern.row, dtype=np.int64)
    cols = np.asarray(pattern.col, dtype=np.int64)
    colors = column_coloring(pattern.tocsc())
    k = int(colors.max()) + 1 if n else 0
    seeds = np.zeros((k, n), dtype=zero.dtype)
    seeds[colors, np.arange(n)] = 1.0
    compressed = vmap(matvec)(seeds)  # (colors, n): row c is J @ seed_c
    data = compressed[colors[cols], rows]
    return sparse_solve(data, b, SparsePattern(rows, cols, n))


def cg_solve(maxiter: int | None = None) -> LinearSolve:
    """Conjugate gradients on matrix-vector products, ``maxiter`` (default
    ``n``) unrolled iterations written with funcdiff operations, so the
    solve is differentiated again at higher orders (exact once converged). For symmetric positive
    definite Jacobians (Hessians of minimization problems)."""

    def cg(matvec: Callable[[Any], Any], b: Any, n: int) -> Any:
        x = fnp.zeros_like(b)
        r = b
        p = r
        rr = fnp.sum(r * r)
        # once converged (the residual at rounding level) the iteration stands
        # still: further steps would divide rounding noise by rounding noise
        floor = rr * np.finfo(np.dtype(b.dtype)).eps ** 2
        for _ in range(n if maxiter is None else maxiter):
            active = rr > floor
            ap = matvec(p)
            pap = fnp.sum(p * ap)
            alpha = fnp.where(active, rr / fnp.where(active, pap, 1.0), 0.0)
            x = x + alpha * p
            r = r - alpha * ap
            rr_new = fnp.sum(r * r)
            beta = fnp.where(active, rr_new / fnp.where(active, rr, 1.0), 0.0)
            p = r + beta * p
            rr = fnp.where(active, rr_new, rr)
        return x

    def solve(matvec: Callable[[Any], Any], b: Any, n: int) -> Any:
        # CG is not differentiable at b = 0, where reverse mode linearizes the
        # rule; CG(b + c) - CG(c) with a constant c != 0 is (once converged)
        # A^-1 b with the derivative A^-1 everywhere
        c = fnp.ones_like(b)
        return cg(matvec, b + c, n) - cg(matvec, c, n)

    return solve


def _linear_solve(solve: str | LinearSolve) -> LinearSolve:
    if callable(solve):
        return solve
    if solve == "dense":
        return _dense_solve
    if solve == "cg":
        return cg_solve()
    if solve == "sparse":
        return _sparse_solve
    raise ValueError(
        f"custom_root: unknown solve {solve!r}; choose 'dense', 'cg', 'sparse' or a callable"
    )


def _check(fx: Any, x: Any) -> None:
    if np.shape(fx) != np.shape(x):
        raise ShapeError(
            f"custom_root: the optimality function returned shape {np.shape(fx)}, but the "
            f"solution has shape {np.shape(x)}: F(x, *theta) must have x's shape (a square "
            "Jacobian dF/dx)"
        )


def _level(
    optimality_fn: Fun, lsolve: LinearSolve, x_star: Any, n_theta: int, depth: int
) -> Callable[..., Any]:
    """The solution as a function of ``theta`` with derivatives of order ``< depth``."""

    @custom_jvp
    def root(*theta: Any) -> Any:
        return x_star

    @root.defjvp
    def root_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
        if depth <= 1:
            nan = tree_map(lambda t: t * np.nan, tangents)
            return x_star, fnp.zeros_like(x_star) + sum(
                fnp.sum(leaf) for leaf in tree_flatten(nan)[0]
            )
        x = _level(optimality_fn, lsolve, x_star, n_theta, depth - 1)(*primals)
        _, f_dot = jvp(lambda *th: optimality_fn(x, *th), tuple(primals), tuple(tangents))
        shape = np.shape(x_star)
        size = int(np.prod(shape))

        def matvec(v: Any) -> Any:
            _, out = jvp(lambda y: optimality_fn(y, *primals), (x,), (fnp.reshape(v, shape),))
            return fnp.reshape(out, (size,))

        dx = lsolve(matvec, -fnp.reshape(f_dot, (size,)), size)
        return x, fnp.reshape(dx, shape)

    return root


def custom_root(
    optimality_fn: Fun, solve: str | LinearSolve = "dense", depth: int | None = None
) -> Callable[[Fun], Fun]:
    """Decorate ``solver(init, *theta) -> x`` so that ``x`` is differentiated
    implicitly through ``optimality_fn(x, *theta) == 0``.

    ``x`` is an array (any shape); ``theta`` any pytrees. ``solve`` is the
    linear solve with ``dF/dx``: ``"dense"`` (build the Jacobian, LU),
    ``"cg"`` (conjugate gradients on Jacobian-vector products: symmetric
    positive definite Jacobians), ``"sparse"`` (the Jacobian's sparsity
    pattern detected from ``optimality_fn``, its entries from one colored
    batch of Jacobian-vector products, a sparse LU factorization: large
    sparse problems; needs scipy), or ``solve(matvec, b, n) -> x``. The
    solver runs on concrete values; under ``jit``/``vmap`` (abstract inputs)
    it is called on the traced inputs and must be written with funcdiff
    operations (``funcdiff.lax`` loops). The initial guess is never
    differentiated.

    The square root of theta as the root of ``x**2 - theta``, by bisection;
    its derivatives are 1 / (2 sqrt(theta)) and -1 / (4 theta**1.5):

    >>> import funcdiff as fd
    >>> def bisect(lo, theta):
    ...     lo, hi = 0.0, max(1.0, float(theta))
    ...     for _ in range(200):
    ...         mid = (lo + hi) / 2
    ...         lo, hi = (mid, hi) if mid * mid < theta else (lo, mid)
    ...     return lo
    >>> root = fd.custom_root(lambda x, theta: x**2 - theta)(bisect)
    >>> d1 = fd.grad(root, argnums=1)
    >>> round(float(d1(0.0, 4.0)), 12), round(float(fd.grad(d1, argnums=1)(0.0, 4.0)), 12)
    (0.25, -0.03125)
    """
    lsolve = _linear_solve(solve)

    def decorate(solver: Fun) -> Fun:
        @functools.wraps(solver)
        def solved(init: Any, *theta: Any) -> Any:
            leaves = tree_flatten((init, theta))[0]
            concrete = [concrete_or_none(v) for v in leaves]
            if all(c is not None for c in concrete):
                c_init, c_theta = tree_unflatten(tree_flatten((init, theta))[1], concrete)
                x_star: Any = solver(c_init, *c_theta)
                _check(optimality_fn(x_star, *c_theta), x_star)
            else:
                try:
                    x_star = solver(stop_gradient(init), *tree_map(stop_gradient, tuple(theta)))
                except ConcretizationError as e:
                    raise ConcretizationError(
                        f"custom_root: the solver {getattr(solver, '__name__', solver)!r} "
                        "was called on abstract values (under jit or vmap) and is not "
                        "traceable; write its loop with funcdiff.lax (while_loop, "
                        "fori_loop) or call it outside jit/vmap.\n" + str(e)
                    ) from e
                x_star = stop_gradient(x_star)
                _check(optimality_fn(x_star, *theta), x_star)
            if not theta:
                return x_star
            d = depth
            if d is None:
                d = max(MIN_DEPTH, 1 + max(_nesting(v) for v in leaves))
            return _level(optimality_fn, lsolve, x_star, len(theta), d)(*theta)

        return solved

    return decorate


def custom_fixed_point(
    fixed_point_fn: Fun, solve: str | LinearSolve = "dense", depth: int | None = None
) -> Callable[[Fun], Fun]:
    """``custom_root`` for ``x = fixed_point_fn(x, *theta)``.

    The fixed point of ``x = cos(theta * x)``, found by iteration; its
    derivative in theta comes from the implicit function theorem:

    >>> import math, funcdiff as fd, funcdiff.numpy as fnp
    >>> def iterate(x, theta):
    ...     x, theta = float(x), float(theta)
    ...     for _ in range(200):
    ...         x = math.cos(theta * x)
    ...     return x
    >>> fp = fd.custom_fixed_point(lambda x, theta: fnp.cos(theta * x))(iterate)
    >>> x = fp(0.5, 1.0)
    >>> d = fd.grad(fp, argnums=1)(0.5, 1.0)
    >>> round(float(d), 10) == round(-x * math.sin(x) / (1 + math.sin(x)), 10)
    True
    """

    def optimality(x: Any, *theta: Any) -> Any:
        return fixed_point_fn(x, *theta) - x

    return custom_root(optimality, solve=solve, depth=depth)
