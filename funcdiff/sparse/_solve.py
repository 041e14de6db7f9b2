"""A sparse linear solve as a primitive, differentiable to any order.

``sparse_solve(data, b, pattern=P, transpose=False)`` solves ``A x = b``
(``A^T x = b`` with ``transpose``) where ``A`` is the (n, n) matrix with
entries ``data[k]`` at ``(P.rows[k], P.cols[k])`` (repeated positions add
up). The impl factorizes ``A`` with scipy's SuperLU (``splu``); the rules
are written with the primitive itself and funcdiff's scatter-add, so every
transform composes, to any order:

- jvp: ``dx = solve(A, db - dA x)``, ``dA x`` a sparse product with the
  tangent's entries;
- vjp: ``ct_b = solve(A^T, ct)``, ``ct_data[k] = -ct_b[rows[k]] x[cols[k]]``;
- taylor: ``x_k = solve(A_0, b_k - sum_{j=1..k} A_j x_(k-j))``;
- batch: leading axes of ``data`` and ``b`` broadcast (one factorization
  per matrix of the stack).

``funcdiff.implicit.custom_root(..., solve="sparse")`` uses it for the
linear systems of the implicit function theorem: the Jacobian ``dF/dx`` is
assembled from its detected sparsity pattern by colored Jacobian-vector
products (``funcdiff.sparse``), so a large sparse optimality condition is
solved without a dense matrix.

>>> import numpy as np, funcdiff as fd
>>> P = SparsePattern(np.array([0, 1, 1]), np.array([0, 0, 1]), 2)  # lower triangle
>>> x = sparse_solve(np.array([2.0, 1.0, 4.0]), np.array([2.0, 9.0]), P)
>>> x.tolist()  # 2 x0 = 2, x0 + 4 x1 = 9
[1.0, 2.0]
>>> fd.grad(lambda b: sparse_solve(np.array([2.0, 1.0, 4.0]), b, P)[1])(np.ones(2)).tolist()
[-0.125, 0.25]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import funcdiff.numpy as fnp
from funcdiff.core.ir import ShapedArray, aval_of
from funcdiff.core.primitive import Primitive, Samples, Zero, zero_of
from funcdiff.core.trace import bind
from funcdiff.errors import DTypeError, ShapeError
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import sparsity as spd
from funcdiff.primitives.batching import vectorized_batch

__all__ = ["SparsePattern", "sparse_solve", "sparse_solve_p"]


class SparsePattern:
    """The positions ``(rows[k], cols[k])`` of the entries of an (n, n)
    sparse matrix: a primitive parameter (hashable, compared by value)."""

    __slots__ = ("_hash", "cols", "n", "rows")

    def __init__(self, rows: Any, cols: Any, n: int) -> None:
        r = np.array(rows, dtype=np.int64).ravel()
        c = np.array(cols, dtype=np.int64).ravel()
        if r.shape != c.shape:
            raise ShapeError(f"SparsePattern: {r.size} rows but {c.size} cols")
        if r.size and (min(r.min(), c.min()) < 0 or max(r.max(), c.max()) >= n):
            raise ShapeError(f"SparsePattern: an index lies outside the {n} x {n} matrix")
        r.setflags(write=False)
        c.setflags(write=False)
        self.rows, self.cols, self.n = r, c, int(n)
        self._hash = hash((self.n, r.tobytes(), c.tobytes()))

    @property
    def nnz(self) -> int:
        return int(self.rows.size)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SparsePattern)
            and self._hash == other._hash
            and self.n == other.n
            and np.array_equal(self.rows, other.rows)
            and np.array_equal(self.cols, other.cols)
        )

    def __repr__(self) -> str:
        return f"SparsePattern(n={self.n}, nnz={self.nnz})"


def _splu_solve(data: np.ndarray, b: np.ndarray, p: SparsePattern, transpose: bool) -> Any:
    from scipy.sparse import csc_array
    from scipy.sparse.linalg import splu

    if not (np.all(np.isfinite(data)) and np.all(np.isfinite(b))):
        return np.full(p.n, np.nan, dtype=b.dtype)  # NaN in, NaN out
    rows, cols = (p.cols, p.rows) if transpose else (p.rows, p.cols)
    a = csc_array((data, (rows, cols)), shape=(p.n, p.n))
    # SuperLU takes C int indices (scipy < 1.12 does not convert int64 ones)
    a.indices = a.indices.astype(np.intc, copy=False)
    a.indptr = a.indptr.astype(np.intc, copy=False)
    try:
        return splu(a).solve(b)
    except RuntimeError as e:  # "Factor is exactly singular"
        raise np.linalg.LinAlgError(
            f"sparse_solve: the {p.n} x {p.n} sparse matrix is singular ({e}); "
            "the linear system has no unique solution"
        ) from None


def _impl(data: Any, b: Any, *, pattern: SparsePattern, transpose: bool) -> Any:
    data, b = np.asarray(data), np.asarray(b)
    batch = np.broadcast_shapes(data.shape[:-1], b.shape[:-1])
    out = np.empty((*batch, pattern.n), dtype=b.dtype)
    data = np.broadcast_to(data, (*batch, data.shape[-1]))
    b = np.broadcast_to(b, (*batch, b.shape[-1]))
    for idx in np.ndindex(*batch):
        out[idx] = _splu_solve(data[idx], b[idx], pattern, transpose)
    return out


def _abstract_eval(
    data: ShapedArray, b: ShapedArray, *, pattern: SparsePattern, transpose: bool
) -> ShapedArray:
    for name, a in (("data", data), ("b", b)):
        if a.dtype.kind != "f":
            raise DTypeError(f"sparse_solve: {name} is {a.str_short()}; it must be a float array")
    if data.dtype != b.dtype:
        raise DTypeError(
            f"sparse_solve: data {data.str_short()} and b {b.str_short()} differ in dtype"
        )
    if not data.shape or data.shape[-1] != pattern.nnz:
        raise ShapeError(
            f"sparse_solve: data {data.str_short()} must end with the pattern's "
            f"{pattern.nnz} entries"
        )
    if not b.shape or b.shape[-1] != pattern.n:
        raise ShapeError(f"sparse_solve: b {b.str_short()} must end with n = {pattern.n}")
    try:
        batch = np.broadcast_shapes(data.shape[:-1], b.shape[:-1])
    except ValueError:
        raise ShapeError(
            f"sparse_solve: the leading axes of data {data.str_short()} and b "
            f"{b.str_short()} do not broadcast"
        ) from None
    return ShapedArray((*batch, pattern.n), b.dtype)


def _product(entries: Any, x: Any, p: SparsePattern, transpose: bool) -> Any:
    """``A x`` (``A^T x``) for the matrix with ``entries`` at the pattern."""
    rows, cols = (p.cols, p.rows) if transpose else (p.rows, p.cols)
    terms = ew.mul(entries, x[..., cols])
    shape = np.broadcast_shapes(aval_of(terms).shape[:-1], aval_of(x).shape[:-1])
    return fnp.zeros((*shape, p.n), dtype=aval_of(x).dtype).at[..., rows].add(terms)


def sparse_solve(data: Any, b: Any, pattern: SparsePattern, transpose: bool = False) -> Any:
    """Solve ``A x = b`` (``A^T x = b`` with ``transpose``) for the sparse
    matrix with entries ``data`` at ``pattern`` (see the module docstring)."""
    return bind(sparse_solve_p, data, b, pattern=pattern, transpose=transpose)


def _jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any, **params: Any) -> Any:
    data, _ = primals
    t_data, t_b = tangents
    rhs = None if isinstance(t_b, Zero) else t_b
    if not isinstance(t_data, Zero):
        da_x = _product(t_data, out, params["pattern"], params["transpose"])
        rhs = ew.neg(da_x) if rhs is None else ew.sub(rhs, da_x)
    if rhs is None:
        return zero_of(out)
    return sparse_solve(data, rhs, **params)


def _vjp(
    ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool], **params: Any
) -> list[Any]:
    data, b = primals
    p, transpose = params["pattern"], params["transpose"]
    ct_b = sparse_solve(data, ct, p, not transpose)
    ct_data: Any = zero_of(data)
    if needs[0]:
        rows, cols = (p.cols, p.rows) if transpose else (p.rows, p.cols)
        ct_data = ew.neg(ew.mul(ct_b[..., rows], out[..., cols]))
        ct_data = _unbroadcast(ct_data, aval_of(data).shape)
    return [ct_data, _unbroadcast(ct_b, aval_of(b).shape) if needs[1] else zero_of(b)]


def _unbroadcast(x: Any, shape: tuple[int, ...]) -> Any:
    return ew.unbroadcast(x, shape)


def _taylor(
    primals: Sequence[Any], series: Sequence[Any], **params: Any
) -> tuple[list[Any], list[Any]]:
    data, b = primals
    s_data, s_b = series
    p, transpose = params["pattern"], params["transpose"]
    x0 = sparse_solve(data, b, p, transpose)
    k = len(s_data) if not isinstance(s_data, Zero) else len(s_b)
    xs: list[Any] = [x0]
    for i in range(1, k + 1):
        rhs = None if isinstance(s_b, Zero) else s_b[i - 1]
        if not isinstance(s_data, Zero):
            for j in range(1, i + 1):
                t = _product(s_data[j - 1], xs[i - j], p, transpose)
                rhs = ew.neg(t) if rhs is None else ew.sub(rhs, t)
        xs.append(sparse_solve(data, rhs, p, transpose) if rhs is not None else fnp.zeros_like(x0))
    return [x0], [xs[1:]]


def _samples(rng: np.random.Generator) -> Samples:
    def tridiagonal(n: int) -> tuple[SparsePattern, np.ndarray]:
        rows = np.concatenate([np.arange(n), np.arange(1, n), np.arange(n - 1)])
        cols = np.concatenate([np.arange(n), np.arange(n - 1), np.arange(1, n)])
        data = np.concatenate([4.0 + rng.random(n), rng.normal(size=2 * (n - 1))])
        return SparsePattern(rows, cols, n), data

    p4, d4 = tridiagonal(4)
    p3, d3 = tridiagonal(3)
    return [
        ((d4, rng.normal(size=4)), {"pattern": p4, "transpose": False}),
        ((d4, rng.normal(size=4)), {"pattern": p4, "transpose": True}),
        ((np.stack([d3, d3 + 0.5]), rng.normal(size=(2, 3))), {"pattern": p3, "transpose": False}),
    ]


def _lower(ctx: Any, data: Any, b: Any, *, pattern: SparsePattern, transpose: bool) -> Any:
    """A dense solve on XLA: the matrix assembled from the pattern (repeated
    entries summed, as scipy's), solved by LU. Dense memory: fine to a few
    thousand unknowns; a sparse direct solver on XLA is not portable yet."""
    jnp = ctx.jnp
    batch = jnp.broadcast_shapes(data.shape[:-1], b.shape[:-1])
    rows, cols = (pattern.cols, pattern.rows) if transpose else (pattern.rows, pattern.cols)
    a = jnp.zeros((*batch, pattern.n, pattern.n), data.dtype)
    a = a.at[..., rows, cols].add(jnp.broadcast_to(data, (*batch, data.shape[-1])))
    return jnp.linalg.solve(a, jnp.broadcast_to(b, (*batch, pattern.n))[..., None])[..., 0]


sparse_solve_p = Primitive(
    "sparse_solve",
    impl=_impl,
    abstract_eval=_abstract_eval,
    lower_jax=_lower,
    jvp=_jvp,
    vjp=_vjp,
    batch=vectorized_batch,
    # x = A(data)^-1 b: every element of x depends on every entry of data and
    # of b in general, and data interacts with both (stated, not detected)
    sparsity=spd.conservative,
    taylor=_taylor,
    samples=_samples,
)
