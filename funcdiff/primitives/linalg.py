"""Linear algebra primitives. ``dot_general`` is every product: dot, matmul,
tensordot, einsum pairs and batched matrix products.

``dot_general(x, y, dimension_numbers=((x_contract, y_contract), (x_batch,
y_batch)))`` contracts the paired axes, keeps the paired batch axes, and
orders the output as (batch axes, free axes of x, free axes of y).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcdiff.core.ir import ShapedArray, aval_of
from funcdiff.core.primitive import Primitive
from funcdiff.core.trace import bind
from funcdiff.errors import DTypeError, ShapeError
from funcdiff.primitives import shape as S

Array = Any
DimNums = tuple[tuple[tuple[int, ...], tuple[int, ...]], tuple[tuple[int, ...], tuple[int, ...]]]

dot_general_p = Primitive("dot_general")


def _free(ndim: int, contract: Sequence[int], batch: Sequence[int]) -> list[int]:
    return [d for d in range(ndim) if d not in contract and d not in batch]


def _dot_general_impl(x: Array, y: Array, *, dimension_numbers: DimNums) -> Array:
    (xc, yc), (xb, yb) = dimension_numbers
    x = np.asarray(x)
    y = np.asarray(y)
    if not xb:
        if x.ndim <= 2 and y.ndim <= 2 and xc == (x.ndim - 1,) and yc == ((0,) if y.ndim else ()):
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
    return S.transpose(out, _perm_back(dims))


def _dot_transpose_y(ct: Array, x: Array, y: Array, *, dimension_numbers: DimNums) -> Array:
    (xc, yc), (xb, yb) = dimension_numbers
    xnd, ynd = aval_of(x).ndim, aval_of(y).ndim
    xf, yf = _free(xnd, xc, xb), _free(ynd, yc, yb)
    nb = len(xb)
    ct_xfree = tuple(range(nb, nb + len(xf)))
    out = dot_general(x, ct, ((tuple(xf), ct_xfree), (xb, tuple(range(nb)))))
    dims = [*yb, *(yc[xc.index(c)] for c in sorted(xc)), *yf]
    return S.transpose(out, _perm_back(dims))


def _dot_general_jvp(
    primals: Sequence[Any], tangents: Sequence[Any], out: Any, *, dimension_numbers: DimNums
) -> Any:
    from funcdiff.core.primitive import Zero
    from funcdiff.primitives.elementwise import add

    x, y = primals
    tx, ty = tangents
    terms = []
    if not isinstance(tx, Zero):
        terms.append(dot_general(tx, y, dimension_numbers))
    if not isinstance(ty, Zero):
        terms.append(dot_general(x, ty, dimension_numbers))
    return terms[0] if len(terms) == 1 else add(terms[0], terms[1])


def _dot_general_vjp(
    ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool], *, dimension_numbers: DimNums
) -> list[Any]:
    x, y = primals
    return [
        _dot_transpose_x(ct, x, y, dimension_numbers=dimension_numbers) if needs[0] else None,
        _dot_transpose_y(ct, x, y, dimension_numbers=dimension_numbers) if needs[1] else None,
    ]


def _shift(dims: Sequence[int]) -> tuple[int, ...]:
    # per-example axis numbers, once the batch axis is in front
    return tuple(d + 1 for d in dims)


def _dot_general_batch(
    args: Sequence[Array], dims: Sequence[int | None], *, dimension_numbers: DimNums
) -> tuple[Array, int]:
    (xc, yc), (xb, yb) = dimension_numbers
    x, y = args
    dx, dy = dims
    if dx is not None:
        x = S.moveaxis(x, dx, 0)
        xc, xb = _shift(xc), _shift(xb)
    if dy is not None:
        y = S.moveaxis(y, dy, 0)
        yc, yb = _shift(yc), _shift(yb)
    if dx is not None and dy is not None:
        return dot_general(x, y, ((xc, yc), ((0, *xb), (0, *yb)))), 0
    out = dot_general(x, y, ((xc, yc), (xb, yb)))
    if dx is not None:
        return out, len(xb)
    xnd = aval_of(x).ndim
    return out, len(xb) + len(_free(xnd, xc, xb))


dot_general_p.impl = _dot_general_impl
dot_general_p.abstract_eval = _dot_general_abstract_eval
dot_general_p.jvp = _dot_general_jvp
dot_general_p.vjp = _dot_general_vjp
dot_general_p.batch = _dot_general_batch
dot_general_p.samples = lambda rng: [
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
    ((rng.normal(size=(2,)), rng.normal(size=(3,))), {"dimension_numbers": (((), ()), ((), ()))}),
]


def dot_general(x: Array, y: Array, dimension_numbers: DimNums) -> Array:
    (xc, yc), (xb, yb) = dimension_numbers
    dn = (
        (tuple(int(d) for d in xc), tuple(int(d) for d in yc)),
        (tuple(int(d) for d in xb), tuple(int(d) for d in yb)),
    )
    return bind(dot_general_p, x, y, dimension_numbers=dn)
