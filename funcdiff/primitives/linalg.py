"""Linear algebra primitives. ``dot_general`` is every product: dot, matmul,
tensordot, einsum pairs and batched matrix products.

``dot_general(x, y, dimension_numbers=((x_contract, y_contract), (x_batch,
y_batch)))`` contracts the paired axes, keeps the paired batch axes, and
orders the output as (batch axes, free axes of x, free axes of y).

Below it, the matrix functions (see "matrix functions" for the conventions):
``solve``, ``triangular_solve``, ``cholesky``, ``det``, ``slogdet``, ``cofactor``,
``eigh``, ``eig``, ``qr``, ``svd`` and ``pinv``. All take real (float32,
float64) and complex (complex64, complex128) matrices; complex ones follow
JAX's convention (docs/complex.md): the vjp is the transpose of the jvp for
the pairing ``Re(sum(g * t))``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcdiff.core.ir import ShapedArray, aval_of
from funcdiff.core.primitive import TAYLOR_VIA_JVP, Primitive, Samples, Zero, zero_of, zeros
from funcdiff.core.trace import bind
from funcdiff.errors import DTypeError, ShapeError
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import reductions as red
from funcdiff.primitives import shape as sh
from funcdiff.primitives import sparsity as spd
from funcdiff.primitives.batching import RuleTemplate, shift, to_front, vectorized_batch

Array = Any
DimNums = tuple[tuple[tuple[int, ...], tuple[int, ...]], tuple[tuple[int, ...], tuple[int, ...]]]


def _free(ndim: int, contract: Sequence[int], batch: Sequence[int]) -> list[int]:
    return [d for d in range(ndim) if d not in contract and d not in batch]


def _dot_general_impl(x: Array, y: Array, *, dimension_numbers: DimNums) -> Array:
    (xc, yc), (xb, yb) = dimension_numbers
    x = np.asarray(x)
    y = np.asarray(y)
    if not xb:
        if x.ndim <= 2 and y.ndim <= 2 and len(xc) == len(yc) <= 1:
            # one contraction of matrices or vectors: BLAS reads the transposed
            # views as they are (tensordot would copy them contiguous first)
            if xc and x.ndim == 2 and xc[0] == 0:
                x = x.T
            if yc and y.ndim == 2 and yc[0] == 1:
                y = y.T
            if xc or (x.ndim == 0 or y.ndim == 0):
                return np.dot(x, y)
        return np.tensordot(x, y, axes=(xc, yc))
    xf = _free(x.ndim, xc, xb)
    yf = _free(y.ndim, yc, yb)
    batch_shape = [x.shape[d] for d in xb]
    xf_shape = [x.shape[d] for d in xf]
    yf_shape = [y.shape[d] for d in yf]
    k = int(np.prod([x.shape[d] for d in xc], dtype=np.int64))
    xt = np.transpose(x, (*xb, *xf, *xc)).reshape(
        (*batch_shape, int(np.prod(xf_shape, dtype=np.int64)), k)
    )
    yt = np.transpose(y, (*yb, *yc, *yf)).reshape(
        (*batch_shape, k, int(np.prod(yf_shape, dtype=np.int64)))
    )
    return np.matmul(xt, yt).reshape((*batch_shape, *xf_shape, *yf_shape))


def _dot_general_abstract_eval(
    x: ShapedArray, y: ShapedArray, *, dimension_numbers: DimNums
) -> ShapedArray:
    (xc, yc), (xb, yb) = dimension_numbers
    ok = (
        len(xc) == len(yc)
        and len(xb) == len(yb)
        and all(0 <= d < x.ndim for d in (*xc, *xb))
        and all(0 <= d < y.ndim for d in (*yc, *yb))
        and all(x.shape[a] == y.shape[b] for a, b in zip(xc, yc, strict=True))
        and all(x.shape[a] == y.shape[b] for a, b in zip(xb, yb, strict=True))
    )
    if not ok:
        raise ShapeError(
            f"dot_general: shapes {x.str_short()} and {y.str_short()} do not fit "
            f"contracting dims {xc} with {yc} and batch dims {xb} with {yb} "
            "(contracted and batch axes must have equal sizes). For matmul, "
            "x.shape[-1] must equal y.shape[-2]."
        )
    if x.dtype != y.dtype:
        raise DTypeError(f"dot_general: operand dtypes differ ({x.str_short()}, {y.str_short()})")
    shape = (
        *(x.shape[d] for d in xb),
        *(x.shape[d] for d in _free(x.ndim, xc, xb)),
        *(y.shape[d] for d in _free(y.ndim, yc, yb)),
    )
    return ShapedArray(shape, x.dtype)


def _perm_back(result_dims: list[int]) -> tuple[int, ...]:
    # result axis k holds operand axis result_dims[k]; undo that ordering
    return tuple(result_dims.index(j) for j in range(len(result_dims)))


def _dot_transpose_x(ct: Array, x: Array, y: Array, *, dimension_numbers: DimNums) -> Array:
    (xc, yc), (xb, yb) = dimension_numbers
    xnd, ynd = aval_of(x).ndim, aval_of(y).ndim
    xf, yf = _free(xnd, xc, xb), _free(ynd, yc, yb)
    nb = len(xb)
    ct_yfree = tuple(range(nb + len(xf), nb + len(xf) + len(yf)))
    out = dot_general(ct, y, ((ct_yfree, tuple(yf)), (tuple(range(nb)), yb)))
    dims = [*xb, *xf, *(xc[yc.index(r)] for r in sorted(yc))]
    return sh.transpose(out, _perm_back(dims))


def _dot_transpose_y(ct: Array, x: Array, y: Array, *, dimension_numbers: DimNums) -> Array:
    (xc, yc), (xb, yb) = dimension_numbers
    xnd, ynd = aval_of(x).ndim, aval_of(y).ndim
    xf, yf = _free(xnd, xc, xb), _free(ynd, yc, yb)
    nb = len(xb)
    ct_xfree = tuple(range(nb, nb + len(xf)))
    out = dot_general(x, ct, ((tuple(xf), ct_xfree), (xb, tuple(range(nb)))))
    dims = [*yb, *(yc[xc.index(c)] for c in sorted(xc)), *yf]
    return sh.transpose(out, _perm_back(dims))


def _dot_general_jvp(
    primals: Sequence[Any], tangents: Sequence[Any], out: Any, *, dimension_numbers: DimNums
) -> Any:
    x, y = primals
    tx, ty = tangents
    terms = []
    if not isinstance(tx, Zero):
        terms.append(dot_general(tx, y, dimension_numbers))
    if not isinstance(ty, Zero):
        terms.append(dot_general(x, ty, dimension_numbers))
    return terms[0] if len(terms) == 1 else ew.add(terms[0], terms[1])


def _dot_general_vjp(
    ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool], *, dimension_numbers: DimNums
) -> list[Any]:
    x, y = primals
    return [
        _dot_transpose_x(ct, x, y, dimension_numbers=dimension_numbers) if needs[0] else zero_of(x),
        _dot_transpose_y(ct, x, y, dimension_numbers=dimension_numbers) if needs[1] else zero_of(y),
    ]


def _dot_general_batch(
    args: Sequence[Array], dims: Sequence[int | None], *, dimension_numbers: DimNums
) -> tuple[Array, int]:
    (xc, yc), (xb, yb) = dimension_numbers
    x, y = args
    dx, dy = dims
    if dx is not None:
        x = to_front(x, dx)
        xc, xb = shift(xc), shift(xb)
    if dy is not None:
        y = to_front(y, dy)
        yc, yb = shift(yc), shift(yb)
    if dx is not None and dy is not None:
        return dot_general(x, y, ((xc, yc), ((0, *xb), (0, *yb)))), 0
    out = dot_general(x, y, ((xc, yc), (xb, yb)))
    if dx is not None:
        return out, len(xb)
    xnd = aval_of(x).ndim
    return out, len(xb) + len(_free(xnd, xc, xb))


def _dot_general_taylor(
    primals: Sequence[Any], series: Sequence[Any], **params: Any
) -> tuple[list[Any], list[Any]]:
    """Bilinear: coefficient k is the Cauchy product ``sum_j dot(x_j, y_{k-j})``."""
    x, y = primals
    out = dot_general(x, y, **params)
    k = next(len(s) for s in series if not isinstance(s, Zero))
    xs = [x] + ([None] * k if isinstance(series[0], Zero) else list(series[0]))
    ys = [y] + ([None] * k if isinstance(series[1], Zero) else list(series[1]))
    coeffs = []
    for i in range(1, k + 1):
        total = None
        for j in range(i + 1):
            if xs[j] is not None and ys[i - j] is not None:
                term = dot_general(xs[j], ys[i - j], **params)
                total = term if total is None else ew.add(total, term)
        coeffs.append(zeros(aval_of(out)) if total is None else total)
    return [out], [coeffs]


def _dot_general_lower(ctx: Any, x: Any, y: Any, *, dimension_numbers: DimNums) -> Any:
    dt = ctx.jnp.result_type(x, y)
    return ctx.lax.dot_general(
        x.astype(dt),
        y.astype(dt),
        dimension_numbers,
        precision=ctx.lax.Precision.HIGHEST,  # float32 products in float32, as numpy
    )


dot_general_p = Primitive(
    "dot_general",
    taylor=_dot_general_taylor,
    impl=_dot_general_impl,
    returns_fresh=True,  # np.dot, tensordot and matmul allocate their results
    abstract_eval=_dot_general_abstract_eval,
    lower_jax=_dot_general_lower,
    jvp=_dot_general_jvp,
    vjp=_dot_general_vjp,
    batch=_dot_general_batch,
    sparsity=spd.dot_general_rule,
    samples=lambda rng: [
        (
            (rng.normal(size=(2, 3)), rng.normal(size=(3, 4))),
            {"dimension_numbers": (((1,), (0,)), ((), ()))},
        ),
        (
            (rng.normal(size=(2, 3)), rng.normal(size=(3,))),
            {"dimension_numbers": (((1,), (0,)), ((), ()))},
        ),
        (
            (rng.normal(size=(3,)), rng.normal(size=(3,))),
            {"dimension_numbers": (((0,), (0,)), ((), ()))},
        ),
        (
            (rng.normal(size=(3, 2)), rng.normal(size=(3, 4))),
            {"dimension_numbers": (((0,), (0,)), ((), ()))},
        ),
        (
            (rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 5))),
            {"dimension_numbers": (((2,), (1,)), ((0,), (0,)))},
        ),
        (
            (rng.normal(size=(4, 2, 3)), rng.normal(size=(3, 5, 2))),
            {"dimension_numbers": (((2, 1), (0, 2)), ((), ()))},
        ),
        (
            (rng.normal(size=(3, 2, 5)), rng.normal(size=(2, 5, 4))),
            {"dimension_numbers": (((2,), (1,)), ((1,), (0,)))},
        ),
        (
            (rng.normal(size=(2,)), rng.normal(size=(3,))),
            {"dimension_numbers": (((), ()), ((), ()))},
        ),
    ],
)


def dot_general(x: Array, y: Array, dimension_numbers: DimNums) -> Array:
    (xc, yc), (xb, yb) = dimension_numbers
    dn = (
        (tuple(int(d) for d in xc), tuple(int(d) for d in yc)),
        (tuple(int(d) for d in xb), tuple(int(d) for d in yb)),
    )
    return bind(dot_general_p, x, y, dimension_numbers=dn)


# ===========================================================================
# matrix functions
# ===========================================================================
#
# Conventions shared by every primitive below:
#
# - Operands are stacks of matrices, (..., m, n). All operands of one
#   primitive share the same leading batch shape (the funcdiff.numpy wrappers
#   broadcast first), so a batch rule is "move the batch axis to the front";
#   solves with an unbatched coefficient matrix instead fold the batch into
#   the right-hand side's columns (one factorization for the whole batch).
# - float32/float64 and complex64/complex128; the funcdiff.numpy wrappers
#   convert integers. Complex matrices follow JAX's convention
#   (docs/complex.md): tangents are complex, a cotangent g pairs with a
#   tangent t by Re(sum(g * t)) (no conjugation) and every vjp is the exact
#   transpose of its jvp for that pairing. The holomorphic primitives (solve,
#   triangular_solve, det, cofactor, dot_general) keep their real rules; the
#   others conjugate where the real rule transposes (^T -> ^H) and say so in
#   their paragraph. Outputs that are real for complex input (eigenvalues of
#   eigh, singular values, log|det|) are real arrays. Eigenvectors and
#   singular vectors have a fixed phase (``_unit_phases``), which the jvp
#   rules differentiate (``_phase_gauge``).
# - Symmetric inputs (cholesky, eigh; complex: Hermitian, the real part of
#   the diagonal read) are read from ONE triangle, as LAPACK
#   and numpy do: the primitive is a function of that triangle only, so its
#   derivative with respect to the other triangle is zero. The rules map a
#   tangent dA to the symmetric matrix it stands for,
#   ``sym(dA) = tril(dA) + tril(dA, -1)^T``, and fold cotangents back with the
#   transpose of that map. (So finite differences with any perturbation agree
#   with the rules, and perturbed or scaled inputs stay valid.)
# - Derivatives are the standard matrix-calculus identities, written with
#   funcdiff operations (these primitives included), so they differentiate
#   again. Their singular cases (repeated eigenvalues or singular values,
#   singular matrices) make them blow up: huge values, inf/NaN, or a
#   LinAlgError when a solve meets an exactly singular matrix. det is the
#   exception: its derivatives (``cofactor``) are exact at singular matrices.
# - LAPACK failures are re-raised as LinAlgError naming the primitive.


def _nd(x: Array) -> int:
    return aval_of(x).ndim


def _mT(x: Array) -> Array:
    """Swap the last two axes."""
    nd = _nd(x)
    return sh.transpose(x, (*range(nd - 2), nd - 1, nd - 2))


def _mm(x: Array, y: Array) -> Array:
    """Matrix product of two stacks with the same batch shape."""
    nd = _nd(x)
    batch = tuple(range(nd - 2))
    return dot_general(x, y, (((nd - 1,), (nd - 2,)), (batch, batch)))


def _tri_mask(m: int, n: int, lower: bool, strict: bool) -> np.ndarray:
    if lower:
        return np.tri(m, n, k=-1 if strict else 0, dtype=bool)
    return ~np.tri(m, n, k=0 if strict else -1, dtype=bool)


def _triangle(x: Array, lower: bool, strict: bool = False) -> Array:
    """The lower (upper) triangle of the last two axes, the rest zeroed."""
    m, n = aval_of(x).shape[-2:]
    return ew.select(_tri_mask(m, n, lower, strict), x, 0.0)


def _is_c(x: Array) -> bool:
    return aval_of(x).dtype.kind == "c"


def _cj(x: Array) -> Array:
    """Complex conjugate (the identity on real values)."""
    return ew.conj(x) if _is_c(x) else x


def _mH(x: Array) -> Array:
    """Conjugate transpose of the last two axes (``_mT`` for real values)."""
    return _cj(_mT(x))


def _re_c(x: Array) -> Array:
    """The real part, kept in x's (complex) dtype; the identity on real values.
    Its transpose for the pairing ``Re(sum(g * t))`` is itself."""
    return ew.convert(ew.real(x), aval_of(x).dtype) if _is_c(x) else x


def _i_im(x: Array) -> Array:
    """``i Im(x)`` (complex x); also its own transpose."""
    return ew.sub(x, _re_c(x))


def _diag_part(x: Array) -> Array:
    """The diagonal of the last two axes, the rest zeroed."""
    m, n = aval_of(x).shape[-2:]
    return ew.select(np.eye(m, n, dtype=bool), x, 0.0)


def _sym(t: Array, lower: bool) -> Array:
    """The symmetric (complex: Hermitian) matrix that the ``lower`` (upper)
    triangle of ``t`` stands for; a complex diagonal counts by its real part
    (LAPACK reads only that)."""
    if _is_c(t):
        strict = _triangle(t, lower, strict=True)
        return ew.add(ew.add(strict, _re_c(_diag_part(t))), _mH(strict))
    return ew.add(_triangle(t, lower), _mT(_triangle(t, lower, strict=True)))


def _fold(g: Array, lower: bool) -> Array:
    """Transpose of ``_sym``: a cotangent of the symmetric matrix, onto the triangle."""
    if _is_c(g):
        strict = ew.add(_triangle(g, lower, strict=True), _triangle(_mH(g), lower, strict=True))
        return ew.add(strict, _re_c(_diag_part(g)))
    return ew.add(_triangle(g, lower), _triangle(_mT(g), lower, strict=True))


def _diag(x: Array) -> Array:
    """Diagonal of the last two (square) axes: a reshape and a strided slice."""
    shape = aval_of(x).shape
    n = shape[-1]
    flat = sh.reshape(x, (*shape[:-2], n * n))
    return ix.slice_axis(flat, 0, n * n, -1, n + 1)


def _diag_embed(v: Array) -> Array:
    """(..., n) -> (..., n, n) with ``v`` on the diagonal."""
    a = aval_of(v)
    return ew.mul(sh.expand_dims(v, -1), np.eye(a.shape[-1], dtype=a.dtype))


def _trace(x: Array) -> Array:
    return sh.reduce_sum(_diag(x), (_nd(x) - 2,))


def _row(v: Array) -> Array:
    """(..., k) -> (..., 1, k): multiplying by it scales the columns."""
    return sh.expand_dims(v, -2)


def _col(v: Array) -> Array:
    """(..., k) -> (..., k, 1): multiplying by it scales the rows."""
    return sh.expand_dims(v, -1)


def _as_mat(c: Array) -> Array:
    """(...) -> (..., 1, 1), to scale whole matrices."""
    return sh.reshape(c, (*aval_of(c).shape, 1, 1))


def _inv_gaps(w: Array) -> Array:
    """``F[..., i, j] = 1 / (w_j - w_i)`` off the diagonal, 0 on it.

    Infinite where two values coincide: the derivatives of eigenvectors and
    singular vectors do not exist there.
    """
    n = aval_of(w).shape[-1]
    off = ~np.eye(n, dtype=bool)
    gaps = ew.sub(_row(w), _col(w))
    return ew.select(off, ew.div(1.0, ew.select(off, gaps, 1.0)), 0.0)


def _eye_like(x: Array) -> np.ndarray:
    """The identity, broadcast to the shape (..., n, n) of ``x`` (a constant)."""
    a = aval_of(x)
    return np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)


def _nz(t: Any) -> Any:
    return None if isinstance(t, Zero) else t


def _plus(acc: Array | None, term: Array) -> Array:
    return term if acc is None else ew.add(acc, term)


def _lapack(name: str, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a numpy.linalg function; its LinAlgError is re-raised naming ``name``."""
    try:
        return fn(*args, **kwargs)
    except np.linalg.LinAlgError as err:
        raise np.linalg.LinAlgError(f"{name}: {what} (numpy says: {err})") from None


def _check_float(name: str, *avals: ShapedArray) -> None:
    for a in avals:
        if a.dtype.kind not in "fc" or a.dtype.itemsize < 4:
            raise DTypeError(
                f"{name}: needs float32 or float64 matrices (or complex64, complex128), got "
                f"{a.str_short()} (the funcdiff.numpy.linalg functions convert integers "
                "to float64)"
            )


def _unit_phases(xp: Any, v: Any) -> Any:
    """Phases ``p`` (..., k) such that ``v * p[..., None, :]`` has the entry of
    largest modulus of each column real and positive (the first such entry;
    1 for a zero column). ``xp`` is numpy or jax.numpy: the impl and the
    lowering fix the same gauge."""
    k = xp.argmax(xp.abs(v), axis=-2)
    top = xp.take_along_axis(v, k[..., None, :], axis=-2)[..., 0, :]
    mod = xp.abs(top)
    safe = xp.where(mod > 0, mod, xp.ones_like(mod))
    return xp.where(mod > 0, xp.conj(top) / safe, xp.ones_like(top))


def _largest_mask(v: Array) -> Array:
    """One-hot (..., n, k) in v's dtype: the entry of largest modulus of each
    column (the first, as ``_unit_phases``). A constant of the rules."""
    nd = _nd(v)
    n = aval_of(v).shape[-2]
    idx = red.argmax(bind(ew.abs_p, ew.stop_gradient(v)), nd - 2)
    hit = ew.eq(sh.expand_dims(idx, nd - 2), np.arange(n, dtype=np.int64)[:, None])
    return ew.convert(hit, aval_of(v).dtype)


def _phase_gauge(v: Array, dv: Array, mask: Array) -> Array:
    """The imaginary multiples ``i theta`` (..., k) of the columns of ``v`` to
    add to the tangent ``dv`` so that the entry of largest modulus of each
    column keeps its phase: ``Im(conj(v_k) (dv_k + i theta v_k)) = 0``."""
    nd = _nd(v)
    vk = sh.reduce_sum(ew.mul(mask, v), (nd - 2,))
    dvk = sh.reduce_sum(ew.mul(mask, dv), (nd - 2,))
    mod2 = _re_c(ew.mul(ew.conj(vk), vk))
    return ew.neg(ew.div(_i_im(ew.mul(ew.conj(vk), dvk)), mod2))


def _phase_gauge_t(v: Array, g_theta: Array, mask: Array) -> Array:
    """Transpose of ``dv -> _phase_gauge(v, dv, mask)``: a cotangent of the
    ``i theta`` (..., k), onto ``dv``."""
    nd = _nd(v)
    vk = sh.reduce_sum(ew.mul(mask, v), (nd - 2,))
    mod2 = _re_c(ew.mul(ew.conj(vk), vk))
    h = ew.neg(ew.div(ew.mul(_i_im(g_theta), ew.conj(vk)), mod2))
    return ew.mul(mask, _row(h))


def _check_matrix(name: str, a: ShapedArray, square: bool) -> None:
    if a.ndim < 2 or (square and a.shape[-1] != a.shape[-2]):
        kind = "square matrix" if square else "matrix"
        dims = "(..., n, n)" if square else "(..., m, n)"
        raise ShapeError(f"{name}: needs a {kind} or a stack of them {dims}, got {a.str_short()}")


def _check_rhs(name: str, a: ShapedArray, b: ShapedArray, left_side: bool) -> None:
    n = a.shape[-1]
    want = f"(..., {n}, k)" if left_side else f"(..., k, {n})"
    if (
        b.ndim != a.ndim
        or b.shape[:-2] != a.shape[:-2]
        or (b.shape[-2] if left_side else b.shape[-1]) != n
    ):
        raise ShapeError(
            f"{name}: the right-hand side {b.str_short()} does not fit the matrix "
            f"{a.str_short()}: it must have shape {want} with the same leading (batch) "
            "axes (the funcdiff.numpy.linalg wrappers broadcast them for you)"
        )
    if a.dtype != b.dtype:
        raise DTypeError(f"{name}: operand dtypes differ ({a.str_short()}, {b.str_short()})")


def _solve_like(
    prim: Primitive, args: Sequence[Array], dims: Sequence[int | None], **params: Any
) -> tuple[Array, int]:
    """Batch rule of ``solve``/``triangular_solve``. An unbatched coefficient
    matrix is factored once: the batch is folded into the right-hand side's
    columns (rows, for a right-side solve) and unfolded afterwards."""
    a, b = args
    da, db = dims
    left = params.get("left_side", True)
    if da is None:
        assert db is not None
        pos = _nd(b) - (2 if left else 3)
        b = sh.moveaxis(b, db, pos)
        shape = aval_of(b).shape
        if left:
            folded = sh.reshape(b, (*shape[:-2], shape[-2] * shape[-1]))
        else:
            folded = sh.reshape(b, (*shape[:-3], shape[-3] * shape[-2], shape[-1]))
        return sh.reshape(bind(prim, a, folded, **params), shape), pos
    a = to_front(a, da)
    return bind(prim, a, to_front(b, db, aval_of(a).shape[0]), **params), 0


#: batch rule of ``solve`` and ``triangular_solve``
_solve_like_batch = RuleTemplate(lambda prim: functools.partial(_solve_like, prim))


def _well(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Well-conditioned random square matrices (shape (..., n, n))."""
    n = shape[-1]
    out: np.ndarray = rng.normal(size=shape) + 2.0 * n**0.5 * np.eye(n)
    return out


def _spd(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Symmetric positive definite random matrices (shape (..., n, n))."""
    m = rng.normal(size=shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def _orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.linalg.qr(rng.normal(size=(n, n)))[0]


def _spread(rng: np.random.Generator, m: int, n: int, values: Sequence[float]) -> np.ndarray:
    """An (m, n) matrix with the given (distinct) singular values."""
    k = min(m, n)
    out: np.ndarray = (_orthogonal(rng, m)[:, :k] * np.asarray(values[:k])) @ _orthogonal(rng, n)[
        :, :k
    ].T
    return out


# ---------------------------------------------------------------------------
# solve(a, b): a @ x = b for square a (LU with partial pivoting, in numpy)
#   jvp:  dx = solve(a, db - da x)
#   vjp:  ct_b = solve(a^T, ct),  ct_a = -ct_b x^T
# ---------------------------------------------------------------------------


def _solve_impl(a: Array, b: Array) -> Array:
    return _lapack(
        "solve",
        "singular matrix (a matrix of the stack has no inverse); lstsq or pinv give "
        "least-squares solutions",
        np.linalg.solve,
        a,
        b,
    )


def _solve_abstract_eval(a: ShapedArray, b: ShapedArray) -> ShapedArray:
    _check_float("solve", a, b)
    _check_matrix("solve", a, square=True)
    _check_rhs("solve", a, b, left_side=True)
    return ShapedArray(b.shape, b.dtype)


def _solve_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any) -> Any:
    a, _ = primals
    ta, tb = tangents
    rhs = _nz(tb)
    if not isinstance(ta, Zero):
        t = _mm(ta, out)
        rhs = ew.neg(t) if rhs is None else ew.sub(rhs, t)
    return solve(a, rhs)


def _solve_vjp(ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool]) -> list[Any]:
    a, b = primals
    ct_b = solve(_mT(a), ct)
    return [
        ew.neg(_mm(ct_b, _mT(out))) if needs[0] else zero_of(a),
        ct_b if needs[1] else zero_of(b),
    ]


def _solve_like_taylor(primal: Any, jvp: Any) -> Any:
    """The Taylor rule of a solve ``x = S(a, b)`` whose jvp is
    ``S(a, db - da * x)`` (``*`` the primitive's product of a matrix and a
    solution): ``x_k = S(a_0, b_k - sum_{j=1..k} a_j * x_(k-j))``, assembled
    from the jvp rule itself, which is linear in the tangents and reads the
    solution it multiplies from ``out``."""

    def rule(
        primals: Sequence[Any], series: Sequence[Any], **params: Any
    ) -> tuple[list[Any], list[Any]]:
        a, b = primals
        sa, sb = series
        x0 = primal(a, b, **params)
        k = len(sb) if isinstance(sa, Zero) else len(sa)
        za, zb = Zero(aval_of(a)), Zero(aval_of(b))
        xs = [x0]
        for i in range(1, k + 1):
            x_i = None
            if not isinstance(sb, Zero):
                x_i = jvp(primals, [za, sb[i - 1]], x0, **params)
            if not isinstance(sa, Zero):
                for j in range(1, i + 1):
                    t = jvp(primals, [sa[j - 1], zb], xs[i - j], **params)
                    x_i = t if x_i is None else ew.add(x_i, t)
            xs.append(x_i)
        return [x0], [xs[1:]]

    return rule


solve_p = Primitive(
    "solve",
    impl=_solve_impl,
    abstract_eval=_solve_abstract_eval,
    # (a singular matrix gives inf/NaN there: XLA cannot raise on values)
    lower_jax=lambda ctx, a, b: ctx.jnp.linalg.solve(a, b),
    jvp=_solve_jvp,
    vjp=_solve_vjp,
    taylor=_solve_like_taylor(lambda a, b: solve(a, b), _solve_jvp),
    batch=_solve_like_batch,
    sparsity=spd.per_matrix,
    samples=lambda rng: [
        ((_well(rng, 3, 3), rng.normal(size=(3, 2))), {}),
        ((_well(rng, 3, 3), rng.normal(size=(3, 1))), {}),
        ((_well(rng, 2, 3, 3), rng.normal(size=(2, 3, 2))), {}),
        ((_well(rng, 1, 1), rng.normal(size=(1, 3))), {}),
    ],
)

# ---------------------------------------------------------------------------
# triangular_solve(a, b): op(T) @ x = b (left_side) or x @ op(T) = b, where T
# is the lower (upper) triangle of a, with ones on the diagonal when
# unit_diagonal, and op(T) = T^T when transpose_a. The other entries of a are
# never read. (numpy has no triangular solver, so the impl runs numpy's LU
# solve on the triangle: same answer, backward stable, O(n^3) not O(n^2 k).)
#   jvp:  dx = triangular_solve(a, db - op(dT) x)   (left; right: db - x op(dT))
#   vjp:  ct_b = the same solve with op transposed;
#         ct_T = -ct_b x^T (left) or -x^T ct_b (right), transposed if
#         transpose_a, then masked to the triangle that was read
# ---------------------------------------------------------------------------


def _tri_impl(
    a: Array, b: Array, *, left_side: bool, lower: bool, transpose_a: bool, unit_diagonal: bool
) -> Array:
    a = np.asarray(a)
    k = 1 if unit_diagonal else 0
    t = np.tril(a, -k) if lower else np.triu(a, k)
    if unit_diagonal:
        t = t + np.eye(a.shape[-1], dtype=a.dtype)
    # left: op(T) x = b;  right: x op(T) = b  <=>  op(T)^T x^T = b^T
    if transpose_a == left_side:
        t = np.swapaxes(t, -1, -2)
    what = "singular matrix (a zero on the diagonal of the triangle)"
    if left_side:
        return _lapack("triangular_solve", what, np.linalg.solve, t, b)
    x = _lapack("triangular_solve", what, np.linalg.solve, t, np.swapaxes(b, -1, -2))
    return np.swapaxes(x, -1, -2)


def _tri_abstract_eval(
    a: ShapedArray,
    b: ShapedArray,
    *,
    left_side: bool,
    lower: bool,
    transpose_a: bool,
    unit_diagonal: bool,
) -> ShapedArray:
    _check_float("triangular_solve", a, b)
    _check_matrix("triangular_solve", a, square=True)
    _check_rhs("triangular_solve", a, b, left_side=left_side)
    return ShapedArray(b.shape, b.dtype)


def _tri_op_dt(ta: Array, lower: bool, transpose_a: bool, unit_diagonal: bool) -> Array:
    dt = _triangle(ta, lower, strict=unit_diagonal)
    return _mT(dt) if transpose_a else dt


def _tri_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any, **params: bool) -> Any:
    a, _ = primals
    ta, tb = tangents
    rhs = _nz(tb)
    if not isinstance(ta, Zero):
        dt = _tri_op_dt(ta, params["lower"], params["transpose_a"], params["unit_diagonal"])
        t = _mm(dt, out) if params["left_side"] else _mm(out, dt)
        rhs = ew.neg(t) if rhs is None else ew.sub(rhs, t)
    return bind(triangular_solve_p, a, rhs, **params)


def _tri_vjp(
    ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool], **params: bool
) -> list[Any]:
    a, _ = primals
    flipped = {**params, "transpose_a": not params["transpose_a"]}
    ct_b = bind(triangular_solve_p, a, ct, **flipped)
    ct_a: Any = zero_of(primals[0])
    if needs[0]:
        g = ew.neg(_mm(ct_b, _mT(out)) if params["left_side"] else _mm(_mT(out), ct_b))
        if params["transpose_a"]:
            g = _mT(g)
        ct_a = _triangle(g, params["lower"], strict=params["unit_diagonal"])
    return [ct_a, ct_b if needs[1] else zero_of(primals[1])]


def _tri_primal(a: Any, b: Any, **params: bool) -> Any:
    return bind(triangular_solve_p, a, b, **params)


def _tri_samples(rng: np.random.Generator) -> Samples:
    def p(left: bool, lower: bool, trans: bool, unit: bool) -> dict[str, Any]:
        return {"left_side": left, "lower": lower, "transpose_a": trans, "unit_diagonal": unit}

    return [
        ((_well(rng, 3, 3), rng.normal(size=(3, 2))), p(True, True, False, False)),
        ((_well(rng, 3, 3), rng.normal(size=(3, 2))), p(True, False, True, True)),
        ((_well(rng, 3, 3), rng.normal(size=(2, 3))), p(False, True, True, False)),
        ((_well(rng, 3, 3), rng.normal(size=(1, 3))), p(False, False, False, True)),
        ((_well(rng, 2, 3, 3), rng.normal(size=(2, 3, 1))), p(True, False, False, False)),
        ((_well(rng, 3, 3), rng.normal(size=(3, 3))), p(True, True, True, True)),
    ]


triangular_solve_p = Primitive(
    "triangular_solve",
    impl=_tri_impl,
    abstract_eval=_tri_abstract_eval,
    lower_jax=lambda ctx, a, b, **params: ctx.lax.linalg.triangular_solve(a, b, **params),
    jvp=_tri_jvp,
    vjp=_tri_vjp,
    taylor=_solve_like_taylor(_tri_primal, _tri_jvp),
    batch=_solve_like_batch,
    sparsity=spd.per_matrix,
    samples=_tri_samples,
)

# ---------------------------------------------------------------------------
# cholesky(a) = L, lower triangular with L L^T = A, where A is the symmetric
# matrix the lower triangle of a stands for (the upper triangle is not read).
# With Phi(X) = tril(X, -1) + diag(X) / 2 (self-adjoint):
#   jvp:  dL = L Phi(L^-1 sym(da) L^-T)
#   vjp:  G = L^-T Phi(L^T ct) L^-1,  ct_a = fold(G)
# Complex: A Hermitian (L L^H = A, real positive diagonal), L^-T -> L^-H in
# the jvp and L^-1 -> conj(L)^-1 in the vjp (its transpose for the pairing
# Re(sum(g * t))); sym/fold as for eigh. Taylor: via the jvp.
# ---------------------------------------------------------------------------


def _cholesky_impl(a: Array) -> Array:
    return _lapack(
        "cholesky",
        "matrix is not positive definite (cholesky needs a symmetric positive definite "
        "matrix; only its lower triangle is read)",
        np.linalg.cholesky,
        a,
    )


def _cholesky_abstract_eval(a: ShapedArray) -> ShapedArray:
    _check_float("cholesky", a)
    _check_matrix("cholesky", a, square=True)
    return a


def _phi(x: Array) -> Array:
    a = aval_of(x)
    n = a.shape[-1]
    return ew.mul(x, (np.tri(n, dtype=a.dtype) - 0.5 * np.eye(n, dtype=a.dtype)))


def _lsolve(l: Array, b: Array, transpose_a: bool) -> Array:
    """L^-1 b, or L^-T b, for lower triangular L."""
    return triangular_solve(l, b, left_side=True, lower=True, transpose_a=transpose_a)


def _rsolve(l: Array, b: Array, transpose_a: bool) -> Array:
    """b L^-1, or b L^-T, for lower triangular L."""
    return triangular_solve(l, b, left_side=False, lower=True, transpose_a=transpose_a)


def _cholesky_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any) -> Any:
    l = out
    x = _rsolve(_cj(l), _lsolve(l, _sym(tangents[0], lower=True), False), True)
    return _mm(l, _phi(x))


def _cholesky_vjp(ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool]) -> list[Any]:
    l = out
    g = _rsolve(_cj(l), _lsolve(l, _phi(_mm(_mT(l), ct)), True), False)
    return [_fold(g, lower=True)]


def _cholesky_taylor(primals: Sequence[Any], series: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """``L L^T = A`` order by order: ``L_0 L_k^T + L_k L_0^T = A_k - sum_{j=1..k-1}
    L_j L_(k-j)^T``, which the jvp rule solves (with that right side as the tangent).
    Complex: ``^H`` for ``^T`` (the sum is Hermitian, so ``sym`` keeps it)."""
    (a,), (sa,) = primals, series
    l0 = bind(cholesky_p, a)
    ls = [l0]
    for k in range(1, len(sa) + 1):
        rhs = sa[k - 1]
        for j in range(1, k):
            rhs = ew.sub(rhs, _mm(ls[j], _mH(ls[k - j])))
        ls.append(_cholesky_jvp([a], [rhs], l0))
    return [l0], [ls[1:]]


cholesky_p = Primitive(
    "cholesky",
    impl=_cholesky_impl,
    abstract_eval=_cholesky_abstract_eval,
    # the lower triangle only, as numpy (jax.numpy's would symmetrize); a
    # matrix that is not positive definite gives NaN there, not an error
    lower_jax=lambda ctx, a: ctx.lax.linalg.cholesky(a, symmetrize_input=False),
    jvp=_cholesky_jvp,
    vjp=_cholesky_vjp,
    taylor=_cholesky_taylor,
    batch=vectorized_batch,
    sparsity=spd.per_matrix,
    samples=lambda rng: [
        ((_spd(rng, 3, 3),), {}),
        ((_spd(rng, 3, 3) + np.triu(rng.normal(size=(3, 3)), 1),), {}),  # upper part ignored
        ((_spd(rng, 2, 2, 2),), {}),
        ((_spd(rng, 1, 1),), {}),
    ],
)

# ---------------------------------------------------------------------------
# det(a), slogdet(a) = (sign, log|det a|), and cofactor: the derivatives of det
#
# det is a polynomial in the entries of a, so all its derivatives exist, also
# at singular matrices. One primitive gives all of them:
#
#   cofactor(a, e_1, ..., e_k) = the matrix G with
#       <G, x> = d^(k+1) det(a)[e_1, ..., e_k, x]   for every x,
#
# so cofactor(a) is the cofactor matrix adj(a)^T (the gradient of det),
# cofactor(a, e) the derivative of the cofactor matrix in direction e (the
# Hessian of det applied to e), and so on. It is symmetric in the e's and
# linear in each, and zero when k + 1 > n. Its rules are itself with one
# more direction:
#   jvp:  sum_m cofactor(.., de_m, ..) + cofactor(a, e.., da)
#   vjp:  ct_{e_m} = cofactor(a, e.. without e_m, ct),  ct_a = cofactor(a, e.., ct)
# so derivatives of every order stay exact at singular matrices.
#
# With ``normalized=True`` it is N_k = cofactor(a, e..) / det(a) (for k = 0
# the inverse transpose a^-T, the gradient of log|det|), computed without
# forming det (no overflow for large matrices); then
#   d N_k = N_{k+1}(e.., da) - N_k * <N_0, da>.
# At a singular matrix N_k is infinite: inf/NaN, as the derivative of
# log|det| does not exist there.
#
# impl: with the SVD a = U diag(s) V^T and sigma = det(U) det(V),
#   det(a + x) = sigma * det(diag(s) + U^T x V)
# and the derivatives of det at a diagonal matrix are sums over index sets I
# (|I| = k + 1) of W_I = prod_{l not in I} s_l (normalized: 1/prod_{l in I} s_l)
# times the mixed determinant of the rotated directions on I x I. Products
# of all-but-(k+1) singular values, formed without division, are exact at
# singular matrices and accurate near them, also for the second derivative
# (the inverse-based det(a) (tr(a^-1 e) a^-T - a^-T e^T a^-T) subtracts two
# terms of size 1/s_min there). For k = 0:
#   cofactor(a) = sigma * U diag(prod_{j != i} s_j) V^T.
# The value of det itself is numpy's (LU).
# ---------------------------------------------------------------------------


def _excl_prod(x: np.ndarray) -> np.ndarray:
    """Products along the last axis of all entries but one, without division."""
    ones = np.ones((*x.shape[:-1], 1), dtype=x.dtype)
    before = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    out: np.ndarray = before * after
    return out


def _distinct(n: int, m: int) -> np.ndarray:
    """(n,)*m mask: True where the m indices are pairwise distinct."""
    idx = np.indices((n,) * m)
    mask = np.ones((n,) * m, dtype=bool)
    for p in range(m):
        for q in range(p + 1, m):
            mask &= idx[p] != idx[q]
    return mask


def _weights(s: np.ndarray, m: int, normalized: bool) -> np.ndarray:
    """W[..., i_1, ..., i_m] for distinct indices (0 otherwise): the product of
    the s_l over l outside {i_1..i_m}, or (normalized) 1 / the product inside."""
    n = s.shape[-1]
    lead = s.shape[:-1]
    mask = _distinct(n, m)
    if normalized:
        inv = 1.0 / s
        w = np.ones((*lead, *(1,) * m), dtype=s.dtype)
        for t in range(m):
            w = w * inv.reshape((*lead, *(n if u == t else 1 for u in range(m))))
        return np.where(mask, w, np.zeros((), s.dtype))
    # q[..., i_1..i_{m-1}, l] = s_l with the positions i_1..i_{m-1} set to 1:
    # its products of all entries but one give the products outside i_1..i_m
    q = np.broadcast_to(s.reshape((*lead, *(1,) * (m - 1), n)), (*lead, *(n,) * m))
    for t in range(m - 1):
        hit = np.eye(n, dtype=bool).reshape([n if u in (t, m - 1) else 1 for u in range(m)])
        q = np.where(hit, np.ones((), s.dtype), q)
    return np.where(mask, _excl_prod(q), np.zeros((), s.dtype))


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _perm_sign(p: Sequence[int]) -> int:
    inv = sum(1 for i in range(len(p)) for j in range(i + 1, len(p)) if p[i] > p[j])
    return -1 if inv % 2 else 1


def _mixed_grad(w: np.ndarray, fs: Sequence[np.ndarray], n: int) -> np.ndarray:
    """H with <H, y> = sum_I W_I * (mixed determinant of fs and y on I x I):
    a sum over the permutations of the k + 1 index slots (slot 0 holds y)."""
    k = len(fs)
    slots = _LETTERS[: k + 1]
    lead = np.broadcast_shapes(w.shape[: -k - 1], *(f.shape[:-2] for f in fs))
    h = np.zeros((*lead, n, n), dtype=w.dtype)
    diag = np.zeros((*lead, n), dtype=w.dtype)
    for perm in itertools.permutations(range(k + 1)):
        ins = ["..." + slots] + [f"...{slots[m]}{slots[perm[m]]}" for m in range(1, k + 1)]
        sign = _perm_sign(perm)
        if perm[0] == 0:
            diag = diag + sign * np.einsum(",".join(ins) + "->...a", w, *fs)
        else:
            h = h + sign * np.einsum(",".join(ins) + f"->...a{slots[perm[0]]}", w, *fs)
    idx = np.arange(n)
    h[..., idx, idx] += diag
    return h


def _cofactor_impl(a: Array, *dirs: Array, normalized: bool) -> Array:
    if normalized:  # infinite at singular matrices, on purpose: no warnings
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return _cofactor_eval(a, *dirs, normalized=True)
    return _cofactor_eval(a, *dirs, normalized=False)


#: the first derivative takes LU's det(a) a^-T (a few times cheaper than an
#: SVD) for matrices at most this ill-conditioned (1-norm): its relative
#: error is then below ~1e4 * eps; the others, singular ones included, take
#: the SVD. (The normalized first derivative a^-T takes LU unless singular.)
_LU_MAX_COND = 1e4


def _first_by_lu(a: np.ndarray, normalized: bool) -> tuple[np.ndarray, np.ndarray]:
    """cofactor(a) (or a^-T) by LU, and which matrices of the stack it fits."""
    n = a.shape[-1]
    flat = a.reshape(-1, n, n)
    inv = np.full_like(flat, np.nan)
    ok = np.zeros(len(flat), dtype=bool)
    try:
        inv[...] = np.linalg.inv(flat)
        ok[:] = True
    except np.linalg.LinAlgError:  # an exactly singular member: one by one
        for i, m in enumerate(flat):
            try:
                inv[i] = np.linalg.inv(m)
                ok[i] = True
            except np.linalg.LinAlgError:
                pass
    ok &= np.isfinite(inv).all(axis=(-2, -1))
    out = np.swapaxes(inv, -1, -2)
    if not normalized:
        cond = np.abs(flat).sum(axis=-2).max(axis=-1) * np.abs(inv).sum(axis=-2).max(axis=-1)
        ok &= cond <= _LU_MAX_COND
        out = out * np.linalg.det(flat)[:, None, None]
    return out.reshape(a.shape), ok.reshape(a.shape[:-2])


#: largest table of singular-value products the k-th derivative may build
#: (n^(k+1) entries per matrix; 2^27 float64 entries are 1 GiB)
_MAX_TABLE = 2**27


def _check_table(shape: tuple[int, ...], k: int) -> None:
    """Refuse, before allocating, a derivative of det whose table is too big."""
    n = shape[-1]
    if k + 1 > n or k == 0:
        return
    size = int(np.prod(shape[:-2], dtype=np.int64)) * n ** (k + 1)
    if size > _MAX_TABLE:
        raise ShapeError(
            f"cofactor: the derivative of order {k + 1} of det at {n}x{n} matrices "
            f"(shape {shape}) needs a table of {size:,} products of "
            f"singular values (n^{k + 1} per matrix), above the limit of {_MAX_TABLE:,}. "
            "Derivatives of det of order 3 and higher are for small matrices; for a "
            "log-likelihood use slogdet, or take fewer nested derivatives."
        )


def _cofactor_by_svd(a: np.ndarray, dirs: Sequence[np.ndarray], normalized: bool) -> np.ndarray:
    n, k = a.shape[-1], len(dirs)
    _check_table(a.shape, k)
    u, s, vh = _lapack(
        "cofactor", "the SVD did not converge", np.linalg.svd, a, full_matrices=False
    )
    # complex: det(a + x) = sigma det(diag(s) + U^H x V), sigma = det(U) det(Vh),
    # and <G, x> = <H, U^H x V> gives G = conj(U) H conj(Vh) (no conjugation in <,>)
    uc, vhc = np.conj(u), np.conj(vh)
    fs = [np.swapaxes(uc, -1, -2) @ e @ np.swapaxes(vhc, -1, -2) for e in dirs]
    h = _mixed_grad(_weights(s, k + 1, normalized), fs, n)
    out: np.ndarray = uc @ h @ vhc
    if not normalized:
        d = np.linalg.det(u) * np.linalg.det(vh)
        sigma = d / np.abs(d) if np.iscomplexobj(d) else np.sign(d)
        out = out * sigma[..., None, None]
    return out


def _cofactor_eval(a: Array, *dirs: Array, normalized: bool) -> Array:
    a = np.asarray(a)
    dirs = tuple(np.asarray(e) for e in dirs)
    n, k = a.shape[-1], len(dirs)
    lead = np.broadcast_shapes(a.shape[:-2], *(e.shape[:-2] for e in dirs))
    if k + 1 > n:  # derivatives of det beyond its degree n
        return np.zeros((*lead, n, n), dtype=a.dtype)
    bad = ~np.isfinite(a).all(axis=(-2, -1))
    if bad.any():  # no SVD of inf/NaN: their derivatives are NaN
        a = np.where(bad[..., None, None], np.eye(n, dtype=a.dtype), a)
    if k == 0:
        out, ok = _first_by_lu(a, normalized)
        if not ok.all():
            out[~ok] = _cofactor_by_svd(a[~ok], (), normalized)
    else:
        out = _cofactor_by_svd(a, dirs, normalized)
    if bad.any():
        out = np.where(bad[..., None, None], np.asarray(np.nan, a.dtype), out)
    out += 0.0  # no -0.0 entries (LU's inverse has them where the truth is 0)
    if out.shape != (*lead, n, n):
        out = np.broadcast_to(out, (*lead, n, n)).copy()
    return out.astype(a.dtype, copy=False)


def _cofactor_abstract_eval(a: ShapedArray, *dirs: ShapedArray, normalized: bool) -> ShapedArray:
    _check_float("cofactor", a)
    _check_matrix("cofactor", a, square=True)
    n = a.shape[-1]
    for e in dirs:
        if e.dtype != a.dtype:
            raise DTypeError(
                f"cofactor: a direction's dtype differs from the matrix's "
                f"({e.str_short()}, {a.str_short()})"
            )
        if e.ndim < 2 or e.shape[-2:] != (n, n):
            raise ShapeError(
                f"cofactor: direction {e.str_short()} does not fit the matrix {a.str_short()}: "
                f"it must have shape (..., {n}, {n})"
            )
    try:
        lead = np.broadcast_shapes(a.shape[:-2], *(e.shape[:-2] for e in dirs))
    except ValueError:
        shapes = ", ".join(x.str_short() for x in (a, *dirs))
        raise ShapeError(
            f"cofactor: the leading (batch) axes of {shapes} do not broadcast"
        ) from None
    _check_table(a.shape, len(dirs))
    return ShapedArray((*lead, n, n), a.dtype)


def _inner(x: Array, y: Array) -> Array:
    """<x, y> over the last two axes (broadcasting the leading ones)."""
    prod = ew.mul(x, y)
    nd = _nd(prod)
    return sh.reduce_sum(prod, (nd - 2, nd - 1))


def _cofactor_jvp(
    primals: Sequence[Any], tangents: Sequence[Any], out: Any, *, normalized: bool
) -> Any:
    a, *dirs = primals
    ta, *tdirs = tangents
    n = aval_of(a).shape[-1]
    acc: Array | None = None
    for m, t in enumerate(tdirs):
        if not isinstance(t, Zero):
            acc = _plus(acc, cofactor(a, *dirs[:m], t, *dirs[m + 1 :], normalized=normalized))
    if not isinstance(ta, Zero):
        if len(dirs) + 1 < n:
            acc = _plus(acc, cofactor(a, *dirs, ta, normalized=normalized))
        if normalized:
            scale = _as_mat(_inner(cofactor(a, normalized=True), ta))
            acc = _plus(acc, ew.neg(ew.mul(out, scale)))
    if acc is None:
        return Zero(aval_of(out))
    return (
        sh.broadcast_to(acc, aval_of(out).shape)
        if aval_of(acc).shape != aval_of(out).shape
        else acc
    )


def _cofactor_vjp(
    ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool], *, normalized: bool
) -> list[Any]:
    a, *dirs = primals
    n = aval_of(a).shape[-1]
    cts: list[Any] = [zero_of(p) for p in primals]
    for m in range(len(dirs)):
        if needs[m + 1]:
            others = [*dirs[:m], *dirs[m + 1 :]]
            g = cofactor(a, *others, ct, normalized=normalized)
            cts[m + 1] = ew.unbroadcast(g, aval_of(dirs[m]).shape)
    if needs[0]:
        g = cofactor(a, *dirs, ct, normalized=normalized) if len(dirs) + 1 < n else None
        if normalized:
            term = ew.mul(cofactor(a, normalized=True), _as_mat(_inner(ct, out)))
            g = ew.neg(term) if g is None else ew.sub(g, term)
        if g is not None:
            cts[0] = ew.unbroadcast(g, aval_of(a).shape)
    return cts


def _cofactor_batch(
    args: Sequence[Array], dims: Sequence[int | None], *, normalized: bool
) -> tuple[Array, int]:
    # per example, the leading axes broadcast (right-aligned); put every batch
    # axis in front and pad the per-example leading axes to a common rank, so
    # an unbatched matrix is factored once for a batch of directions
    lead = max(_nd(x) - (d is not None) - 2 for x, d in zip(args, dims, strict=True))
    size = next(aval_of(x).shape[d] for x, d in zip(args, dims, strict=True) if d is not None)
    moved = []
    for x, d in zip(args, dims, strict=True):
        shape = aval_of(x).shape
        if d is None:
            k = 1
        else:
            x = to_front(x, d)
            shape = aval_of(x).shape[1:]
            k = size
        pad = lead - (len(shape) - 2)
        moved.append(sh.reshape(x, (k, *(1,) * pad, *shape)))
    return cofactor(*moved, normalized=normalized), 0


def _cofactor_samples(rng: np.random.Generator) -> Samples:
    sing = rng.normal(size=(3, 2)) @ rng.normal(size=(2, 3))  # rank 2
    rank1 = np.outer(rng.normal(size=3), rng.normal(size=3))
    return [
        ((_well(rng, 3, 3),), {"normalized": False}),
        ((sing,), {"normalized": False}),
        ((rank1,), {"normalized": False}),
        ((_well(rng, 2, 4, 4),), {"normalized": False}),
        ((sing, rng.normal(size=(3, 3))), {"normalized": False}),
        ((_well(rng, 3, 3), rng.normal(size=(2, 3, 3))), {"normalized": False}),
        ((_well(rng, 1, 1),), {"normalized": False}),
        (
            (_well(rng, 2, 2), rng.normal(size=(2, 2)), rng.normal(size=(2, 2))),
            {"normalized": False},
        ),
        ((_well(rng, 3, 3),), {"normalized": True}),
        ((-_well(rng, 2, 3, 3), rng.normal(size=(2, 3, 3))), {"normalized": True}),
    ]


def _cofactor_lower(ctx: Any, a: Any, *dirs: Any, normalized: bool) -> Any:
    """JAX's derivatives of its det (LU-based, with a derivative rule that
    holds at singular matrices), one ``jvp`` per direction."""
    jax, jnp = ctx.jax, ctx.jnp
    holomorphic = bool(jnp.iscomplexobj(a))

    def total_det(m: Any) -> Any:
        return jnp.sum(jnp.linalg.det(m))  # the stack's dets are independent

    g: Callable[[Any], Any] = jax.grad(total_det, holomorphic=holomorphic)

    def along(f: Callable[[Any], Any], e: Any) -> Callable[[Any], Any]:
        return lambda m: jax.jvp(f, (m,), (e.astype(m.dtype),))[1]

    batch = jnp.broadcast_shapes(a.shape, *(e.shape for e in dirs))
    a = jnp.broadcast_to(a, batch)
    for e in dirs:
        g = along(g, jnp.broadcast_to(e, batch))
    out = g(a)
    return out / jnp.linalg.det(a)[..., None, None] if normalized else out


cofactor_p = Primitive(
    "cofactor",
    impl=_cofactor_impl,
    abstract_eval=_cofactor_abstract_eval,
    lower_jax=_cofactor_lower,
    jvp=_cofactor_jvp,
    vjp=_cofactor_vjp,
    taylor=TAYLOR_VIA_JVP,
    batch=_cofactor_batch,
    sparsity=spd.per_matrix,
    samples=_cofactor_samples,
)


def cofactor(a: Array, *dirs: Array, normalized: bool = False) -> Array:
    """The derivative of ``det`` of order ``len(dirs) + 1`` at ``a``, as the
    matrix G with ``<G, x> = d^(k+1) det(a)[dirs..., x]``; ``cofactor(a)`` is
    the cofactor matrix ``adj(a)^T``. ``normalized``: divided by ``det(a)``."""
    return bind(cofactor_p, a, *dirs, normalized=bool(normalized))


def _det_abstract_eval(a: ShapedArray) -> ShapedArray:
    _check_float("det", a)
    _check_matrix("det", a, square=True)
    return ShapedArray(a.shape[:-2], a.dtype)


det_p = Primitive(
    "det",
    impl=lambda a: np.linalg.det(a),
    abstract_eval=_det_abstract_eval,
    lower_jax=lambda ctx, a: ctx.jnp.linalg.det(a),
    jvp=lambda primals, tangents, out: _inner(cofactor(primals[0]), tangents[0]),
    vjp=lambda ct, primals, out, needs: [ew.mul(_as_mat(ct), cofactor(primals[0]))],
    taylor=TAYLOR_VIA_JVP,
    batch=vectorized_batch,
    sparsity=spd.per_matrix,
    samples=lambda rng: [
        ((_well(rng, 3, 3),), {}),
        ((-_well(rng, 3, 3),), {}),
        ((_well(rng, 2, 2, 2),), {}),
        ((_well(rng, 1, 1),), {}),
        ((np.array([[1.0, 2.0], [2.0, 4.0]]),), {}),  # singular: the cofactor matrix
        ((np.outer([1.0, 2.0, -1.0], [0.5, 1.0, 3.0]),), {}),  # rank 1
    ],
)


def _slogdet_abstract_eval(a: ShapedArray) -> list[ShapedArray]:
    _check_float("slogdet", a)
    _check_matrix("slogdet", a, square=True)
    return [ShapedArray(a.shape[:-2], a.dtype), ShapedArray(a.shape[:-2], ew.real_dtype(a.dtype))]


# Complex a: sign = det / |det| is complex, logabsdet real; with
# tau = d log det = <a^-T, da>: d logabsdet = Re tau, d sign = sign i Im tau,
# and the vjp sends (ct_log + i Im(ct_sign sign)) a^-T.


def _log_grad(a: Array, sign: Array) -> Array:
    """a^-T, the gradient of log|det a|: NaN for the matrices whose sign is 0
    (numpy's LU found them exactly singular: no derivative exists there). The
    NaN is a factor, so derivatives of every order stay NaN there."""
    nan_if_singular = ew.select(ew.eq(sign, 0.0), np.nan, 1.0)
    return ew.mul(
        cofactor(a, normalized=True), _as_mat(ew.convert(nan_if_singular, aval_of(a).dtype))
    )


def _slogdet_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any) -> list[Any]:
    tau = _inner(_log_grad(primals[0], out[0]), tangents[0])  # d log det
    if not _is_c(tau):
        return [Zero(aval_of(out[0])), tau]
    return [ew.mul(out[0], _i_im(tau)), ew.real(tau)]


def _slogdet_vjp(ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool]) -> list[Any]:
    ct_sign, ct_log = _nz(ct[0]), _nz(ct[1])
    dt = aval_of(primals[0]).dtype
    h = None if ct_log is None else ew.convert(ct_log, dt)
    if ct_sign is not None and dt.kind == "c":
        h = _plus(h, _i_im(ew.mul(ct_sign, out[0])))
    if h is None:
        return [zero_of(primals[0])]
    return [ew.mul(_as_mat(h), _log_grad(primals[0], out[0]))]


def _slogdet_taylor(primals: Sequence[Any], series: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """``(log|det A|)' = tr(W)`` with ``A W = A'``: ``W_k = A_0^-1 ((k + 1) A_(k+1) -
    sum_{j=1..k} A_j W_(k-j))``, so ``l_k = tr(W_(k-1)) / k``; the sign is
    locally constant. Complex: the same recurrence gives the series ``c_k`` of
    the complex ``log det``; ``l_k = Re c_k`` and ``sign(t) = sign_0 exp(u(t))``
    with ``u_k = i Im c_k``, whose exponential has the series ``e_0 = 1``,
    ``e_k = sum_{j=1..k} j u_j e_(k-j) / k``."""
    (a,), (sa,) = primals, series
    sign, logdet = bind(slogdet_p, a)
    n = aval_of(a).shape[-1]
    eye = np.eye(n, dtype=aval_of(a).dtype)
    k = len(sa)
    ws: list[Any] = []
    for i in range(k):
        rhs = ew.mul(float(i + 1), sa[i])
        for j in range(1, i + 1):
            rhs = ew.sub(rhs, _mm(sa[j - 1], ws[i - j]))
        ws.append(solve(a, rhs))
    coeffs = [ew.mul(1.0 / (i + 1), _inner(eye, w)) for i, w in enumerate(ws)]
    if not _is_c(a):
        return [sign, logdet], [Zero(aval_of(sign)), coeffs]
    us = [_i_im(c) for c in coeffs]
    es: list[Any] = []
    for i in range(1, k + 1):
        e = us[i - 1]  # j = i: i u_i e_0 / i
        for j in range(1, i):
            e = ew.add(e, ew.mul(float(j) / i, ew.mul(us[j - 1], es[i - j - 1])))
        es.append(e)
    return [sign, logdet], [[ew.mul(sign, e) for e in es], [ew.real(c) for c in coeffs]]


slogdet_p = Primitive(
    "slogdet",
    multiple_results=True,
    impl=lambda a: list(np.linalg.slogdet(a)),
    abstract_eval=_slogdet_abstract_eval,
    lower_jax=lambda ctx, a: list(ctx.jnp.linalg.slogdet(a)),
    jvp=_slogdet_jvp,
    vjp=_slogdet_vjp,
    taylor=_slogdet_taylor,
    batch=vectorized_batch,
    sparsity=spd.per_matrix,
    samples=lambda rng: [
        ((_well(rng, 3, 3),), {}),
        ((-_well(rng, 3, 3),), {}),
        ((_well(rng, 2, 2, 2),), {}),
    ],
)

# ---------------------------------------------------------------------------
# eigh(a) = [w, V]: A = V diag(w) V^T for the symmetric A that the lower
# (upper, lower=False) triangle of a stands for; w ascending.
# With P = V^T sym(da) V and F_ij = 1/(w_j - w_i) (0 on the diagonal):
#   jvp:  dw = diag(P),  dV = V (F * P)
#   vjp:  G = V (diag(ct_w) + F * (V^T ct_V)) V^T,  ct_a = fold(G)
# Singular case: repeated eigenvalues make F infinite: eigenvector derivatives
# (and second derivatives of eigenvalues) are inf/NaN there, as in JAX; the
# eigenvalue gradient alone stays finite.
# Complex (Hermitian) a: w real, V unitary; ^T -> ^H, dw = Re diag(P), and
# the phase of each eigenvector is fixed: the impl (and the lowering) scale
# each column so that its entry of largest modulus is real and positive, and
# the jvp adds i theta_j v_j to dV so that this entry's phase stays put
# (``_phase_gauge``). So finite differences of V agree with the jvp, and
# phase-invariant functions (|V|, V diag(f(w)) V^H...) have the derivatives
# of every other convention (JAX's included). Taylor: via the jvp.
# ---------------------------------------------------------------------------


def _eigh_impl(a: Array, *, lower: bool) -> list[Array]:
    w, v = _lapack(
        "eigh",
        "the eigenvalue iteration did not converge",
        np.linalg.eigh,
        a,
        UPLO="L" if lower else "U",
    )
    if np.iscomplexobj(v):
        v = v * _unit_phases(np, v)[..., None, :]
    return [w, v]


def _eigh_lower(ctx: Any, a: Any, *, lower: bool) -> list[Any]:
    # one triangle read, as numpy; each real eigenvector's sign is XLA's choice
    w, v = ctx.jnp.linalg.eigh(a, UPLO="L" if lower else "U", symmetrize_input=False)
    if ctx.jnp.iscomplexobj(v):
        v = v * _unit_phases(ctx.jnp, v)[..., None, :]
    return [w, v]


def _eigh_abstract_eval(a: ShapedArray, *, lower: bool) -> list[ShapedArray]:
    _check_float("eigh", a)
    _check_matrix("eigh", a, square=True)
    return [ShapedArray(a.shape[:-1], ew.real_dtype(a.dtype)), a]


def _eigh_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any, *, lower: bool) -> Any:
    w, v = out
    p = _mm(_mH(v), _mm(_sym(tangents[0], lower), v))
    dv = _mm(v, ew.mul(ew.convert(_inv_gaps(w), aval_of(v).dtype), p))
    if not _is_c(v):
        return [_diag(p), dv]
    theta = _phase_gauge(v, dv, _largest_mask(v))
    return [ew.real(_diag(p)), ew.add(dv, ew.mul(v, _row(theta)))]


def _eigh_vjp(
    ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool], *, lower: bool
) -> list[Any]:
    w, v = out
    ct_w, ct_v = _nz(ct[0]), _nz(ct[1])
    dt = aval_of(v).dtype
    inner = None if ct_w is None else _diag_embed(ew.convert(ct_w, dt))
    if ct_v is not None:
        if _is_c(v):  # transpose of the phase gauge
            g_theta = sh.reduce_sum(ew.mul(ct_v, v), (_nd(v) - 2,))
            ct_v = ew.add(ct_v, _phase_gauge_t(v, g_theta, _largest_mask(v)))
        f = ew.convert(_inv_gaps(w), dt)
        inner = _plus(inner, ew.mul(f, _mm(_mT(v), ct_v)))
    assert inner is not None
    return [_fold(_mm(_cj(v), _mm(inner, _mT(v))), lower)]


def _sym_distinct(rng: np.random.Generator, n: int, lower: bool) -> np.ndarray:
    """Symmetric with well-separated eigenvalues, garbage in the unread triangle."""
    q = _orthogonal(rng, n)
    a = (q * np.linspace(-1.0, 2.0, n)) @ q.T
    noise = rng.normal(size=(n, n))
    out: np.ndarray = a + (np.triu(noise, 1) if lower else np.tril(noise, -1))
    return out


def _eigh_taylor(
    primals: Sequence[Any], series: Sequence[Any], *, lower: bool
) -> tuple[list[Any], list[Any]]:
    """``A V = V diag(w)`` and ``V^T V = I`` order by order, in the eigenbasis
    ``V_k = V_0 C_k``: with ``R = V_0^T (sum_{j=1..k} A_j V_(k-j) - sum_{j=1..k-1}
    V_j diag(w_(k-j)))``, ``w_k = diag(R)``, ``C_k = F o R`` off the diagonal
    (``F`` the inverse gaps, as the jvp: distinct eigenvalues) and
    ``-diag(sum_{j=1..k-1} V_j^T V_(k-j)) / 2`` on it. Complex: ``^H`` for ``^T``,
    ``w_k = Re diag(R)``, and ``i theta_j`` times ``V_0``'s columns added so
    that each column's largest entry stays real (``_phase_gauge``: the
    constraint is linear, so it holds order by order)."""
    (a,), (sa,) = primals, series
    w0, v0 = bind(eigh_p, a, lower=lower)
    cplx = _is_c(v0)
    dt = aval_of(v0).dtype
    gaps = ew.convert(_inv_gaps(w0), dt)
    mask = _largest_mask(v0) if cplx else None
    mats = [_sym(s, lower) for s in sa]
    ws, vs = [w0], [v0]
    for k in range(1, len(sa) + 1):
        m = _mm(mats[0], vs[k - 1])
        for j in range(2, k + 1):
            m = ew.add(m, _mm(mats[j - 1], vs[k - j]))
        for j in range(1, k):
            m = ew.sub(m, ew.mul(vs[j], sh.expand_dims(ew.convert(ws[k - j], dt), -2)))
        r = _mm(_mH(v0), m)
        c = ew.mul(gaps, r)
        if k > 1:
            s_sum = _mm(_mH(vs[1]), vs[k - 1])
            for j in range(2, k):
                s_sum = ew.add(s_sum, _mm(_mH(vs[j]), vs[k - j]))
            c = ew.add(c, _diag_embed(ew.mul(-0.5, _re_c(_diag(s_sum)))))
        ws.append(ew.real(_diag(r)) if cplx else _diag(r))
        v_k = _mm(v0, c)
        if mask is not None:
            v_k = ew.add(v_k, ew.mul(v0, _row(_phase_gauge(v0, v_k, mask))))
        vs.append(v_k)
    return [w0, v0], [ws[1:], vs[1:]]


eigh_p = Primitive(
    "eigh",
    multiple_results=True,
    impl=_eigh_impl,
    abstract_eval=_eigh_abstract_eval,
    lower_jax=_eigh_lower,
    jvp=_eigh_jvp,
    vjp=_eigh_vjp,
    taylor=_eigh_taylor,
    batch=vectorized_batch,
    sparsity=spd.per_matrix,
    samples=lambda rng: [
        ((_sym_distinct(rng, 3, True),), {"lower": True}),
        ((_sym_distinct(rng, 3, False),), {"lower": False}),
        ((np.stack([_sym_distinct(rng, 2, True) for _ in range(2)]),), {"lower": True}),
        ((np.array([[1.5]]),), {"lower": True}),
    ],
)

# ---------------------------------------------------------------------------
# eig(a) = [w, V]: a V = V diag(w) for a general square a (LAPACK geev, in
# numpy), w and V complex also for real a (JAX's convention; numpy returns
# real arrays when every eigenvalue is real). Each eigenvector has unit norm
# and its entry of largest modulus is real and positive (LAPACK's zgeev
# normalization, which the impl and the lowering enforce for real a too).
# With P = V^-1 da V and F_ij = 1/(w_j - w_i) (0 on the diagonal):
#   jvp:  dw = diag(P),  dV0 = V (F * P),  dV = dV0 + V diag(c), where
#         c_j = -Re(v_j^H dv0_j) + i theta_j keeps |v_j| = 1 and the phase of
#         v_j's largest entry (``_phase_gauge``)
#   vjp:  the transpose for the pairing Re(sum(g * t)):
#         G0 = ct_V - conj(V) diag(Re(sum_k ct_V * V)) + (phase transpose),
#         ct_a = V^-T (diag(ct_w) + F * (V^T G0)) V^T   (its real part for real a)
# Singular cases: repeated eigenvalues (F infinite) and defective matrices
# (V singular): derivatives inf/NaN or a LinAlgError from the solve with V.
# Taylor: via the jvp.
# ---------------------------------------------------------------------------


def _eig_impl(a: Array) -> list[Array]:
    w, v = _lapack("eig", "the eigenvalue iteration did not converge", np.linalg.eig, a)
    dt = ew.complex_dtype(np.asarray(a).dtype)
    w, v = np.asarray(w, dt), np.asarray(v, dt)
    return [w, v * _unit_phases(np, v)[..., None, :]]


def _eig_lower(ctx: Any, a: Any) -> list[Any]:
    w, v = ctx.jnp.linalg.eig(a)
    return [w, v * _unit_phases(ctx.jnp, v)[..., None, :]]


def _eig_abstract_eval(a: ShapedArray) -> list[ShapedArray]:
    _check_float("eig", a)
    _check_matrix("eig", a, square=True)
    dt = ew.complex_dtype(a.dtype)
    return [ShapedArray(a.shape[:-1], dt), ShapedArray(a.shape, dt)]


def _eig_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any) -> list[Any]:
    w, v = out
    da = ew.convert(tangents[0], aval_of(v).dtype)
    p = solve(v, _mm(da, v))
    dv = _mm(v, ew.mul(_inv_gaps(w), p))
    nd = _nd(v)
    norm = ew.neg(_re_c(sh.reduce_sum(ew.mul(ew.conj(v), dv), (nd - 2,))))
    c = ew.add(norm, _phase_gauge(v, dv, _largest_mask(v)))
    return [_diag(p), ew.add(dv, ew.mul(v, _row(c)))]


def _eig_vjp(ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool]) -> list[Any]:
    w, v = out
    ct_w, ct_v = _nz(ct[0]), _nz(ct[1])
    inner = None if ct_w is None else _diag_embed(ct_w)
    if ct_v is not None:
        nd = _nd(v)
        beta = sh.reduce_sum(ew.mul(ct_v, v), (nd - 2,))
        g0 = ew.sub(ct_v, ew.mul(ew.conj(v), _row(_re_c(beta))))
        g0 = ew.add(g0, _phase_gauge_t(v, beta, _largest_mask(v)))
        inner = _plus(inner, ew.mul(_inv_gaps(w), _mm(_mT(v), g0)))
    assert inner is not None
    ct_a = solve(_mT(v), _mm(inner, _mT(v)))
    return [ct_a if _is_c(primals[0]) else ew.real(ct_a)]


def _nonsymmetric(rng: np.random.Generator, n: int) -> np.ndarray:
    """A real matrix with well-separated eigenvalues (a complex pair when n > 2)."""
    x = rng.normal(size=(n, n)) + np.eye(n)
    d = np.diag(np.linspace(-1.5, 2.0, n))
    if n >= 3:
        d[:2, :2] = [[0.5, 1.0], [-1.0, 0.5]]  # eigenvalues 0.5 +- 1i
    out: np.ndarray = x @ d @ np.linalg.inv(x)
    return out


eig_p = Primitive(
    "eig",
    multiple_results=True,
    impl=_eig_impl,
    abstract_eval=_eig_abstract_eval,
    lower_jax=_eig_lower,
    jvp=_eig_jvp,
    vjp=_eig_vjp,
    taylor=TAYLOR_VIA_JVP,
    batch=vectorized_batch,
    sparsity=spd.per_matrix,
    # complex samples only: the sweeps' finite differences compare real
    # outputs (eig's are complex); tests/primitives/test_complex_linalg.py
    # checks real and complex inputs against finite differences and JAX
    samples=lambda rng: [
        ((_nonsymmetric(rng, 3) + 0.5j * _nonsymmetric(rng, 3),), {}),
        ((_nonsymmetric(rng, 3).astype(complex),), {}),
        ((_nonsymmetric(rng, 2) + 0.3j * rng.normal(size=(2, 2)),), {}),
        ((np.stack([_nonsymmetric(rng, 3) + 0.2j * np.eye(3) for _ in range(2)]),), {}),
        ((np.array([[1.5 - 0.5j]]),), {}),
    ],
)

# ---------------------------------------------------------------------------
# qr(a) = [Q, R], reduced: a (..., m, n) -> Q (..., m, k), R (..., k, n),
# k = min(m, n) (Householder, in numpy; R's diagonal may be negative).
# m >= n, with C = Q^T da R^-1 and B = triu(C) + tril(C, -1)^T
# (Q^T dQ = C - B is antisymmetric, dR R^-1 = B is upper triangular):
#   jvp:  dR = B R,  dQ = da R^-1 - Q B
#   vjp:  G = ct_R R^T - Q^T ct_Q,  H = triu(G) + triu(G, 1)^T,
#         ct_a = (ct_Q + Q H) R^-T
# m < n: a = [X | Y] with X square: (Q, R1) = qr(X) by the rule above and
# R2 = Q^T Y, so dR2 = Q^T (dY - dQ R2); the vjp sends ct_Y = Q ct_R2 and
# adds Y ct_R2^T to ct_Q. Singular case: rank-deficient a (R not invertible).
# Complex a: LAPACK's R has a real diagonal (of either sign), so Q^H dQ is
# anti-Hermitian with an imaginary diagonal and dR R^-1 upper triangular with
# a real one: C = Q^H da R^-1, B = triu(C, 1) + Re diag(C) + tril(C, -1)^H;
# the vjp is the transpose (conj(Q) where Q^T stood in the jvp), and the
# wide case adds -conj(Q) ct_R2 R2^T to ct_Q.
# ---------------------------------------------------------------------------


def _qr_abstract_eval(a: ShapedArray) -> list[ShapedArray]:
    _check_float("qr", a)
    _check_matrix("qr", a, square=False)
    m, n = a.shape[-2:]
    k = min(m, n)
    return [
        ShapedArray((*a.shape[:-2], m, k), a.dtype),
        ShapedArray((*a.shape[:-2], k, n), a.dtype),
    ]


def _upper_solve(r: Array, b: Array, transpose_a: bool) -> Array:
    """b R^-1, or b R^-T, for upper triangular R."""
    return triangular_solve(r, b, left_side=False, lower=False, transpose_a=transpose_a)


def _qr_tall_jvp(q: Array, r: Array, da: Array) -> tuple[Array, Array]:
    dar = _upper_solve(r, da, False)
    c = _mm(_mH(q), dar)
    b = ew.add(
        _triangle(c, lower=False, strict=True),
        ew.add(_re_c(_diag_part(c)), _mH(_triangle(c, lower=True, strict=True))),
    )
    return ew.sub(dar, _mm(q, b)), _mm(b, r)


def _qr_tall_vjp(q: Array, r: Array, ct_q: Array | None, ct_r: Array | None) -> Array:
    g = None if ct_r is None else _mm(ct_r, _mT(r))
    if ct_q is not None:
        qtc = _mm(_mT(q), ct_q)
        g = ew.neg(qtc) if g is None else ew.sub(g, qtc)
    assert g is not None
    h = ew.add(
        _triangle(g, lower=False, strict=True),
        ew.add(_re_c(_diag_part(g)), _mH(_triangle(g, lower=False, strict=True))),
    )
    y = _mm(_cj(q), h)
    if ct_q is not None:
        y = ew.add(ct_q, y)
    return _upper_solve(r, y, True)


def _qr_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any) -> list[Any]:
    q, r = out
    da = tangents[0]
    m, n = aval_of(da).shape[-2:]
    if m >= n:
        return list(_qr_tall_jvp(q, r, da))
    r1, r2 = ix.slice_axis(r, 0, m, -1), ix.slice_axis(r, m, n, -1)
    dq, dr1 = _qr_tall_jvp(q, r1, ix.slice_axis(da, 0, m, -1))
    dr2 = _mm(_mH(q), ew.sub(ix.slice_axis(da, m, n, -1), _mm(dq, r2)))
    return [dq, ix.concatenate([dr1, dr2], _nd(r) - 1)]


def _qr_vjp(ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool]) -> list[Any]:
    q, r = out
    ct_q, ct_r = _nz(ct[0]), _nz(ct[1])
    a = primals[0]
    m, n = aval_of(a).shape[-2:]
    if m >= n:
        return [_qr_tall_vjp(q, r, ct_q, ct_r)]
    r1 = ix.slice_axis(r, 0, m, -1)
    if ct_r is None:
        a_aval = aval_of(a)
        return [
            ix.concatenate(
                [
                    _qr_tall_vjp(q, r1, ct_q, None),
                    np.zeros((*a_aval.shape[:-1], n - m), a_aval.dtype),
                ],
                _nd(a) - 1,
            )
        ]
    ct_r1, ct_r2 = ix.slice_axis(ct_r, 0, m, -1), ix.slice_axis(ct_r, m, n, -1)
    if _is_c(a):  # the transpose of dQ -> -Q^H dQ R2
        r2 = ix.slice_axis(r, m, n, -1)
        ct_q = _plus(ct_q, ew.neg(_mm(_cj(q), _mm(ct_r2, _mT(r2)))))
    else:  # (the same on the tangents Q Omega, Omega antisymmetric, that dQ is)
        ct_q = _plus(ct_q, _mm(ix.slice_axis(a, m, n, -1), _mT(ct_r2)))
    ct_x = _qr_tall_vjp(q, r1, ct_q, ct_r1)
    return [ix.concatenate([ct_x, _mm(_cj(q), ct_r2)], _nd(a) - 1)]


qr_p = Primitive(
    "qr",
    multiple_results=True,
    impl=lambda a: list(np.linalg.qr(a)),
    abstract_eval=_qr_abstract_eval,
    lower_jax=lambda ctx, a: list(ctx.jnp.linalg.qr(a)),
    jvp=_qr_jvp,
    vjp=_qr_vjp,
    taylor=TAYLOR_VIA_JVP,
    batch=vectorized_batch,
    sparsity=spd.per_matrix,
    samples=lambda rng: [
        ((_well(rng, 3, 3),), {}),
        ((rng.normal(size=(4, 2)),), {}),
        ((rng.normal(size=(2, 4)),), {}),
        ((rng.normal(size=(2, 3, 2)),), {}),
    ],
)

# ---------------------------------------------------------------------------
# svd(a) = [U, s, Vh] (compute_uv) or [s]: a (..., m, n) = U diag(s) Vh,
# reduced: U (..., m, k), s (..., k) descending, Vh (..., k, n), k = min(m, n).
# With V = Vh^T, dP = U^T da V, S = diag(s), F_ij = 1/(s_j^2 - s_i^2):
#   jvp:  ds = diag(dP)
#         dU = U (F * (dP S + S dP^T)) + (I - U U^T) da V S^-1
#         dV = V (F * (S dP + dP^T S)) + (I - V V^T) da^T U S^-1
#   vjp:  ct_a = U [diag(ct_s) + (F * (U^T ct_U - ct_U^T U)) S
#                   + S (F * (V^T ct_V - ct_V^T V))] V^T
#                + (I - U U^T) ct_U S^-1 V^T + U S^-1 ct_V^T (I - V V^T)
# (the (I - ...) terms only when m > k, resp. n > k). Singular values only
# (compute_uv=False): ds_i = u_i^T da v_i, ct_a = U diag(ct_s) Vh, with U, V
# from a second SVD inside the rule. Singular cases: repeated singular values
# (F infinite: U, V derivatives inf/NaN) and, for non-square a, zero singular
# values (S^-1). full_matrices=True with m != n: the extra columns U_p of U
# (rows Vh_p of Vh) are any orthonormal basis of the complement, not unique;
# the rules differentiate the minimal-rotation choice, dU_p = -U_k dU_k^T U_p
# (dVh_p = -Vh_p dVh_k^T Vh_k), which keeps U orthogonal and is exact for
# every function that does not depend on which basis was chosen (e.g. the
# projector U_p U_p^T), but not for numpy's particular choice.
# Complex a (s real): ^T -> ^H in the jvp (V = Vh^H, dP = U^H da V, ds =
# Re diag(dP)); U^H dU gets the diagonal i Im(dP_ii) / s_i, and the joint
# phase of (u_i, v_i) is fixed as eigh's: the impl and the lowering scale
# u_i and v_i by the phase that makes v_i's entry of largest modulus real
# and positive, and the jvp adds i theta_i (u_i, v_i) to keep it so. The vjp
# is the transpose of all that for the pairing Re(sum(g * t)) (conj(U),
# conj(Vh) where U^T, V stood).
# ---------------------------------------------------------------------------


def _svd_impl(a: Array, *, full_matrices: bool, compute_uv: bool) -> list[Array]:
    np_svd: Any = np.linalg.svd
    try:
        res = np_svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    except np.linalg.LinAlgError as err:
        if np.all(np.isfinite(a)):
            raise np.linalg.LinAlgError(f"svd: did not converge (numpy says: {err})") from None
        # NaN in, NaN out (numpy raises instead): the members of a stack that
        # hold a NaN or inf get NaN outputs, the others their SVD
        a = np.asarray(a)
        avals = _svd_abstract_eval(aval_of(a), full_matrices=full_matrices, compute_uv=compute_uv)
        outs = [np.full(o.shape, np.nan, o.dtype) for o in avals]
        for idx in np.ndindex(a.shape[:-2]):
            if np.all(np.isfinite(a[idx])):
                one = _svd_impl(a[idx], full_matrices=full_matrices, compute_uv=compute_uv)
                for o, r in zip(outs, one, strict=True):
                    o[idx] = r
        return outs
    if not compute_uv:
        return [res]
    u, s, vh = res
    if np.iscomplexobj(u):
        u, vh = _svd_phases(np, u, vh)
    return [u, s, vh]


def _svd_phases(xp: Any, u: Any, vh: Any) -> tuple[Any, Any]:
    """The gauge of complex singular vectors: v_i's largest entry real positive."""
    k = min(u.shape[-2], vh.shape[-1])
    p = _unit_phases(xp, xp.conj(xp.swapaxes(vh[..., :k, :], -1, -2)))
    if u.shape[-1] > k:
        p_u = xp.concatenate([p, xp.ones_like(u[..., 0, k:])], axis=-1)
    else:
        p_u = p
    if vh.shape[-2] > k:
        p_v = xp.concatenate([p, xp.ones_like(vh[..., k:, 0])], axis=-1)
    else:
        p_v = p
    return u * p_u[..., None, :], vh * xp.conj(p_v)[..., :, None]


def _svd_lower(ctx: Any, a: Any, *, full_matrices: bool, compute_uv: bool) -> list[Any]:
    jnp = ctx.jnp
    if not compute_uv:
        return [jnp.linalg.svd(a, compute_uv=False)]
    u, s, vh = jnp.linalg.svd(a, full_matrices=full_matrices)
    if jnp.iscomplexobj(u):
        u, vh = _svd_phases(jnp, u, vh)
    return [u, s, vh]


def _svd_abstract_eval(
    a: ShapedArray, *, full_matrices: bool, compute_uv: bool
) -> list[ShapedArray]:
    _check_float("svd", a)
    _check_matrix("svd", a, square=False)
    lead = a.shape[:-2]
    m, n = a.shape[-2:]
    k = min(m, n)
    s = ShapedArray((*lead, k), ew.real_dtype(a.dtype))
    if not compute_uv:
        return [s]
    ku, kv = (m, n) if full_matrices else (k, k)
    return [ShapedArray((*lead, m, ku), a.dtype), s, ShapedArray((*lead, kv, n), a.dtype)]


def _svd_jvp(
    primals: Sequence[Any],
    tangents: Sequence[Any],
    out: Any,
    *,
    full_matrices: bool,
    compute_uv: bool,
) -> list[Any]:
    a = primals[0]
    da = tangents[0]
    if not compute_uv:
        u, _, vh = svd(a, full_matrices=False, compute_uv=True)
        ds = sh.reduce_sum(ew.mul(_cj(u), _mm(da, _mH(vh))), (_nd(u) - 2,))
        return [ew.real(ds) if _is_c(ds) else ds]
    u, s, vh = out
    cplx = _is_c(u)
    dt = aval_of(u).dtype
    m, n = aval_of(a).shape[-2:]
    k = min(m, n)
    u_k = ix.slice_axis(u, 0, k, -1)
    vh_k = ix.slice_axis(vh, 0, k, -2)
    v = _mH(vh_k)
    sc = ew.convert(s, dt)
    dav = _mm(da, v)
    dp = _mm(_mH(u_k), dav)
    f = ew.convert(_inv_gaps(ew.mul(s, s)), dt)
    dps = ew.mul(dp, _row(sc))
    sdp = ew.mul(_col(sc), dp)
    xu = ew.mul(f, ew.add(dps, _mH(dps)))
    if cplx:  # U^H dU - V^H dV has the diagonal i Im(dP_ii) / s_i
        xu = ew.add(xu, _diag_embed(ew.div(_i_im(_diag(dp)), sc)))
    du = _mm(u_k, xu)
    dv = _mm(v, ew.mul(f, ew.add(sdp, _mH(sdp))))
    if m > k:
        du = ew.add(du, ew.div(ew.sub(dav, _mm(u_k, dp)), _row(sc)))
    if n > k:
        datu = _mm(_mH(da), u_k)
        dv = ew.add(dv, ew.div(ew.sub(datu, _mm(v, _mH(dp))), _row(sc)))
    if cplx:  # the joint phase of u_i, v_i: v_i's largest entry stays real
        theta = _row(_phase_gauge(v, dv, _largest_mask(v)))
        du = ew.add(du, ew.mul(u_k, theta))
        dv = ew.add(dv, ew.mul(v, theta))
    dvh = _mH(dv)
    if full_matrices and m > k:  # extra columns U_p: dU_p = -U_k dU_k^H U_p
        u_p = ix.slice_axis(u, k, m, -1)
        du = ix.concatenate([du, ew.neg(_mm(u_k, _mm(_mH(du), u_p)))], _nd(u) - 1)
    if full_matrices and n > k:  # extra rows Vh_p: dVh_p = -Vh_p dVh_k^H Vh_k
        vh_p = ix.slice_axis(vh, k, n, -2)
        dvh = ix.concatenate([dvh, ew.neg(_mm(_mm(vh_p, _mH(dvh)), vh_k))], _nd(vh) - 2)
    ds = _diag(dp)
    return [du, ew.real(ds) if cplx else ds, dvh]


def _svd_vjp(
    ct: Any,
    primals: Sequence[Any],
    out: Any,
    needs: Sequence[bool],
    *,
    full_matrices: bool,
    compute_uv: bool,
) -> list[Any]:
    a = primals[0]
    if not compute_uv:
        u, _, vh = svd(a, full_matrices=False, compute_uv=True)
        ct_s = ew.convert(ct[0], aval_of(u).dtype)
        return [_cj(_mm(ew.mul(u, _row(ct_s)), vh))]
    u, s, vh = out
    cplx = _is_c(u)
    dt = aval_of(u).dtype
    ct_u, ct_s, ct_vh = (_nz(c) for c in ct)
    m, n = aval_of(a).shape[-2:]
    k = min(m, n)
    u_k = ix.slice_axis(u, 0, k, -1)
    vh_k = ix.slice_axis(vh, 0, k, -2)
    sc = ew.convert(s, dt)
    if full_matrices and m > k and ct_u is not None:  # transpose of dU_p = -U_k dU_k^H U_p
        ct_p = ix.slice_axis(ct_u, k, m, -1)
        u_p = ix.slice_axis(u, k, m, -1)
        ct_u = ew.sub(ix.slice_axis(ct_u, 0, k, -1), _cj(_mm(_mm(u_p, _mT(ct_p)), u_k)))
    if full_matrices and n > k and ct_vh is not None:  # of dVh_p = -Vh_p dVh_k^H Vh_k
        ct_p = ix.slice_axis(ct_vh, k, n, -2)
        vh_p = ix.slice_axis(vh, k, n, -2)
        ct_vh = ew.sub(ix.slice_axis(ct_vh, 0, k, -2), _cj(_mm(_mm(vh_k, _mT(ct_p)), vh_p)))
    v = _mH(vh_k)
    ct_v = None if ct_vh is None else _mH(ct_vh)
    if cplx and (ct_u is not None or ct_v is not None):  # transpose of the phase gauge
        g_theta = None
        if ct_u is not None:
            g_theta = sh.reduce_sum(ew.mul(ct_u, u_k), (_nd(u) - 2,))
        if ct_v is not None:
            g_theta = _plus(g_theta, sh.reduce_sum(ew.mul(ct_v, v), (_nd(v) - 2,)))
        assert g_theta is not None
        ct_v = _plus(ct_v, _phase_gauge_t(v, g_theta, _largest_mask(v)))
    f = ew.convert(_inv_gaps(ew.mul(s, s)), dt)
    inner = None if ct_s is None else _diag_embed(ew.convert(ct_s, dt))
    extra = None
    if ct_u is not None:
        gx = _mm(_mT(u_k), ct_u)
        gy = ew.mul(f, gx)
        inner = _plus(inner, ew.mul(ew.add(gy, _mH(gy)), _row(sc)))
        if cplx:
            inner = _plus(inner, _diag_embed(ew.div(_i_im(_diag(gx)), sc)))
        if m > k:
            resid = ew.sub(ct_u, _mm(_cj(u_k), _mm(_mT(u_k), ct_u)))
            extra = _mm(ew.div(resid, _row(sc)), _cj(vh_k))
    if ct_v is not None:
        gy = ew.mul(f, _mm(_mT(v), ct_v))
        inner = _plus(inner, ew.mul(_col(sc), ew.add(gy, _mH(gy))))
        if n > k:
            resid = ew.sub(ct_v, _mm(_cj(v), _mm(_mT(v), ct_v)))
            extra = _plus(extra, _cj(_mm(ew.div(u_k, _row(sc)), _mT(resid))))
    assert inner is not None
    ct_a = _mm(_cj(u_k), _mm(inner, _cj(vh_k)))
    return [ct_a if extra is None else ew.add(ct_a, extra)]


def _svd_samples(rng: np.random.Generator) -> Samples:
    reduced = {"full_matrices": False, "compute_uv": True}
    return [
        ((_spread(rng, 3, 3, [3.0, 2.0, 0.5]),), reduced),
        ((_spread(rng, 4, 2, [2.5, 1.0]),), reduced),
        ((_spread(rng, 2, 3, [2.0, 0.7]),), reduced),
        ((np.stack([_spread(rng, 3, 2, [2.0, 1.0]) for _ in range(2)]),), reduced),
        ((_spread(rng, 2, 2, [2.0, 1.0]),), {"full_matrices": True, "compute_uv": True}),
        # (non-square full_matrices=True is checked on basis-independent functions
        # in tests/primitives/test_linalg.py: its extra columns are not unique)
        ((_spread(rng, 3, 2, [2.0, 1.0]),), {"full_matrices": False, "compute_uv": False}),
        ((_spread(rng, 2, 3, [2.0, 1.0]),), {"full_matrices": True, "compute_uv": False}),
    ]


svd_p = Primitive(
    "svd",
    multiple_results=True,
    impl=_svd_impl,
    abstract_eval=_svd_abstract_eval,
    lower_jax=_svd_lower,
    jvp=_svd_jvp,
    vjp=_svd_vjp,
    taylor=TAYLOR_VIA_JVP,
    batch=vectorized_batch,
    sparsity=spd.per_matrix,
    samples=_svd_samples,
)

# ---------------------------------------------------------------------------
# pinv(a) = X, the Moore-Penrose pseudo-inverse (numpy: SVD, singular values
# <= rcond * max(s) dropped). Where the rank is locally constant (always, for
# full-rank a) (Golub & Pereyra):
#   jvp:  dX = -X da X + X X^T da^T (I - a X) + (I - X a) da^T X^T X
#   vjp:  ct_a = -X^T ct X^T + (I - a X) ct^T X X^T + X^T X ct^T (I - X a)
# Singular case: a perturbation that changes the rank (pinv jumps there).
# Complex a: ^T -> ^H in the jvp; the vjp is its transpose for the pairing
# Re(sum(g * t)), in which t -> M t^H N has the transpose g -> conj(N g^T M).
# ---------------------------------------------------------------------------


def _pinv_abstract_eval(a: ShapedArray, *, rcond: float) -> ShapedArray:
    _check_float("pinv", a)
    _check_matrix("pinv", a, square=False)
    return ShapedArray((*a.shape[:-2], a.shape[-1], a.shape[-2]), a.dtype)


def _pinv_residual_projectors(a: Array, x: Array) -> tuple[Array, Array]:
    """``I - a X`` (m, m) and ``I - X a`` (n, n)."""
    ax, xa = _mm(a, x), _mm(x, a)
    return ew.sub(_eye_like(ax), ax), ew.sub(_eye_like(xa), xa)


def _pinv_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any, *, rcond: float) -> Any:
    a, da, x = primals[0], tangents[0], out
    dat = _mH(da)
    xt = _mH(x)
    res_m, res_n = _pinv_residual_projectors(a, x)
    t = ew.neg(_mm(x, _mm(da, x)))
    t = ew.add(t, _mm(_mm(x, xt), _mm(dat, res_m)))
    return ew.add(t, _mm(res_n, _mm(dat, _mm(xt, x))))


def _pinv_vjp(
    ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool], *, rcond: float
) -> list[Any]:
    # the transpose of t -> M t^H N is g -> conj(N g^T M)
    a, x = primals[0], out
    xh, ctt = _mH(x), _mT(ct)
    res_m, res_n = _pinv_residual_projectors(a, x)
    g = ew.neg(_mm(_mT(x), _mm(ct, _mT(x))))
    g = ew.add(g, _cj(_mm(res_m, _mm(ctt, _mm(x, xh)))))
    return [ew.add(g, _cj(_mm(_mm(xh, x), _mm(ctt, res_n))))]


pinv_p = Primitive(
    "pinv",
    impl=lambda a, *, rcond: np.linalg.pinv(a, rcond=rcond),
    abstract_eval=_pinv_abstract_eval,
    lower_jax=lambda ctx, a, *, rcond: ctx.jnp.linalg.pinv(a, rtol=rcond),
    jvp=_pinv_jvp,
    vjp=_pinv_vjp,
    taylor=TAYLOR_VIA_JVP,
    batch=vectorized_batch,
    sparsity=spd.per_matrix,
    samples=lambda rng: [
        ((rng.normal(size=(3, 2)),), {"rcond": 1e-15}),
        ((rng.normal(size=(2, 3)),), {"rcond": 1e-15}),
        ((_well(rng, 3, 3),), {"rcond": 1e-15}),
        ((rng.normal(size=(2, 4, 3)),), {"rcond": 1e-10}),
    ],
)

# ---------------------------------------------------------------------------
# wrappers
# ---------------------------------------------------------------------------


def solve(a: Array, b: Array) -> Array:
    """x with a @ x = b; a (..., n, n), b (..., n, k), same batch shape."""
    return bind(solve_p, a, b)


def triangular_solve(
    a: Array,
    b: Array,
    *,
    left_side: bool = True,
    lower: bool = True,
    transpose_a: bool = False,
    unit_diagonal: bool = False,
) -> Array:
    """x with op(T) @ x = b (or x @ op(T) = b); see the primitive's paragraph."""
    return bind(
        triangular_solve_p,
        a,
        b,
        left_side=bool(left_side),
        lower=bool(lower),
        transpose_a=bool(transpose_a),
        unit_diagonal=bool(unit_diagonal),
    )


def cholesky(a: Array) -> Array:
    """Lower Cholesky factor of the matrix the lower triangle of ``a`` stands for."""
    return bind(cholesky_p, a)


def det(a: Array) -> Array:
    return bind(det_p, a)


def slogdet(a: Array) -> list[Array]:
    """[sign, log|det|]."""
    return bind(slogdet_p, a)  # type: ignore[no-any-return]


def eigh(a: Array, lower: bool = True) -> list[Array]:
    """[w, V] of the symmetric matrix the ``lower`` (upper) triangle of ``a`` stands for."""
    return bind(eigh_p, a, lower=bool(lower))  # type: ignore[no-any-return]


def eig(a: Array) -> list[Array]:
    """[w, V] (complex) of a general square matrix; see the primitive's paragraph."""
    return bind(eig_p, a)  # type: ignore[no-any-return]


def qr(a: Array) -> list[Array]:
    """[Q, R], reduced."""
    return bind(qr_p, a)  # type: ignore[no-any-return]


def svd(a: Array, full_matrices: bool = False, compute_uv: bool = True) -> list[Array]:
    """[U, s, Vh] (compute_uv) or [s]."""
    return bind(  # type: ignore[no-any-return]
        svd_p, a, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv)
    )


def pinv(a: Array, rcond: float) -> Array:
    return bind(pinv_p, a, rcond=float(rcond))
