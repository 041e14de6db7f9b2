"""Products: matmul, dot, einsum, tensordot, ... and diagonals.

Every product is one ``dot_general`` (contracted axes, batch axes) plus shape
ops; ``einsum`` contracts its operands pairwise, left to right. Diagonals are
a reshape and a strided slice (the element ``(i, i + k)`` of an ``(n, m)``
matrix sits at flat position ``k + i * (m + 1)``), so they cost no gather and
their transpose is a pad.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from funcdiff.core.typing import ArrayLike
from funcdiff.errors import ShapeError
from funcdiff.numpy._core import (
    Array,
    asarray_arg,
    dtype_of,
    normalize_axis,
    promote,
    shape_of,
)
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import shape as sh
from funcdiff.primitives.linalg import dot_general

if TYPE_CHECKING:
    from funcdiff.core.typing import DTypeLike

Label = str | int


def _operands(*args: Any) -> list[Array]:
    """Promote to a common dtype and make every operand an array."""
    first = args[0]
    if all(type(x) is np.ndarray and x.dtype == first.dtype for x in args):
        return list(args)
    return [asarray_arg(x) for x in promote(*args)]


def _ravel(x: Array) -> Array:
    return sh.reshape(x, (int(np.prod(shape_of(x), dtype=np.int64)),))


def _squeeze_axes(x: Array, axes: Sequence[int]) -> Array:
    shape = shape_of(x)
    return sh.reshape(x, tuple(n for i, n in enumerate(shape) if i not in set(axes)))


# ---------------------------------------------------------------------------
# matmul and friends
# ---------------------------------------------------------------------------


def matmul(a: ArrayLike, b: ArrayLike) -> Array:
    """Matrix product with numpy's broadcasting of the leading (batch) axes.

    1-D operands are promoted to a row (``a``) or a column (``b``) and that
    axis is removed from the result. Size-1 batch axes broadcast without being
    materialized.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.matmul(np.ones((4, 2, 3)), np.ones((3, 5))).shape
    (4, 2, 5)
    >>> fnp.matmul(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 1.0]))
    array([3., 7.])
    """
    a, b = _operands(a, b)
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        raise ShapeError(
            f"matmul: operands must be at least 1-D, got a with shape {sa} and b with shape "
            f"{sb}; use multiply (*) to scale by a scalar"
        )
    b_k = len(sb) - 2 if len(sb) >= 2 else 0
    if sa[-1] != sb[b_k]:
        where = "-2" if len(sb) >= 2 else "0"
        raise ShapeError(
            f"matmul: contraction size mismatch: a has shape {sa}, b has shape {sb}; "
            f"a.shape[-1] ({sa[-1]}) must equal b.shape[{where}] ({sb[b_k]})"
        )
    if len(sb) <= 2:  # b has no batch axes: a's batch axes are free axes of one product
        return dot_general(a, b, (((len(sa) - 1,), (b_k,)), ((), ())))
    na_b = max(len(sa) - 2, 0)
    nb_b = max(len(sb) - 2, 0)
    rank = max(na_b, nb_b)
    a_sq: list[int] = []
    b_sq: list[int] = []
    pairs: list[tuple[int, int, int]] = []  # (a axis, b axis, output position)
    a_free: list[tuple[int, int]] = []
    b_free: list[tuple[int, int]] = []
    for r in range(rank):
        ia, ib = r - (rank - na_b), r - (rank - nb_b)
        da = sa[ia] if ia >= 0 else None
        db = sb[ib] if ib >= 0 else None
        if da is not None and db is not None and da == db:
            pairs.append((ia, ib, r))
        elif da is None or (da == 1 and db is not None):
            if da is not None:
                a_sq.append(ia)
            b_free.append((ib, r))
        elif db is None or db == 1:
            if db is not None:
                b_sq.append(ib)
            a_free.append((ia, r))
        else:
            raise ShapeError(
                f"matmul: batch dimensions do not broadcast: a has shape {sa}, b has shape "
                f"{sb}; a.shape[{ia}] ({da}) and b.shape[{ib}] ({db}) differ and neither is 1"
            )

    def new_index(i: int, squeezed: list[int]) -> int:
        return i - sum(1 for s in squeezed if s < i)

    a2 = _squeeze_axes(a, a_sq) if a_sq else a
    b2 = _squeeze_axes(b, b_sq) if b_sq else b
    ca = (len(sa) - 1 - len(a_sq),)
    cb = (new_index(b_k, b_sq),)
    batch_a = tuple(new_index(i, a_sq) for i, _, _ in pairs)
    batch_b = tuple(new_index(i, b_sq) for _, i, _ in pairs)
    out = dot_general(a2, b2, ((ca, cb), (batch_a, batch_b)))
    labels: list[Any] = [r for _, _, r in pairs] + [r for _, r in sorted(a_free)]
    if len(sa) >= 2:
        labels.append("n")
    labels += [r for _, r in sorted(b_free)]
    if len(sb) >= 2:
        labels.append("k")
    target = [*range(rank), *(["n"] if len(sa) >= 2 else []), *(["k"] if len(sb) >= 2 else [])]
    return sh.transpose(out, tuple(labels.index(t) for t in target))


def matrix_transpose(x: ArrayLike) -> Array:
    """Swap the last two axes (``x.mT``).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.matrix_transpose(np.ones((5, 2, 3))).shape
    (5, 3, 2)
    """
    x = asarray_arg(x)
    nd = len(shape_of(x))
    if nd < 2:
        raise ValueError(
            f"matrix_transpose: the input must be at least 2-D, got shape {shape_of(x)}"
        )
    return sh.transpose(x, (*range(nd - 2), nd - 1, nd - 2))


def dot(a: ArrayLike, b: ArrayLike) -> Array:
    """``numpy.dot``: sum over the last axis of ``a`` and the second-to-last
    of ``b`` (the only axis of a 1-D ``b``); scalars multiply.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.dot(np.array([1.0, 2.0]), np.array([3.0, 4.0])))
    11.0
    >>> fnp.dot(np.ones((2, 3, 4)), np.ones((5, 4, 6))).shape
    (2, 3, 5, 6)
    """
    a, b = _operands(a, b)
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        return ew.mul(a, b)
    kb = len(sb) - 2 if len(sb) >= 2 else 0
    if sa[-1] != sb[kb]:
        raise ShapeError(
            f"dot: shapes {sa} and {sb} not aligned: a.shape[-1] ({sa[-1]}) must equal "
            f"b.shape[{kb}] ({sb[kb]})"
        )
    return dot_general(a, b, (((len(sa) - 1,), (kb,)), ((), ())))


def vdot(a: ArrayLike, b: ArrayLike) -> Array:
    """Dot product of the flattened arrays (the first one conjugated).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.vdot(np.ones((2, 2)), np.arange(4.0).reshape(2, 2)))
    6.0
    """
    a, b = _operands(a, b)
    a, b = _ravel(a), _ravel(b)
    if shape_of(a) != shape_of(b):
        raise ShapeError(
            f"vdot: the operands have {shape_of(a)[0]} and {shape_of(b)[0]} elements; "
            "they must have the same number"
        )
    if dtype_of(a).kind == "c":
        import funcdiff.numpy as fnp

        conj = getattr(fnp, "conj", None)
        if conj is None:
            raise NotImplementedError("vdot: complex operands need funcdiff.numpy.conj")
        a = conj(a)
    return dot_general(a, b, (((0,), (0,)), ((), ())))


def inner(a: ArrayLike, b: ArrayLike) -> Array:
    """Sum of products over the last axes of ``a`` and ``b``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.inner(np.ones((2, 3)), np.ones((4, 3))).shape
    (2, 4)
    """
    a, b = _operands(a, b)
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        return ew.mul(a, b)
    if sa[-1] != sb[-1]:
        raise ShapeError(
            f"inner: shapes {sa} and {sb}: the last axes ({sa[-1]} and {sb[-1]}) must match"
        )
    return dot_general(a, b, (((len(sa) - 1,), (len(sb) - 1,)), ((), ())))


def outer(a: ArrayLike, b: ArrayLike) -> Array:
    """``outer(a, b)[i, j] = a.ravel()[i] * b.ravel()[j]``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.outer(np.array([1.0, 2.0]), np.array([1.0, 10.0, 100.0]))
    array([[  1.,  10., 100.],
           [  2.,  20., 200.]])
    """
    a, b = _operands(a, b)
    a, b = _ravel(a), _ravel(b)
    n, m = shape_of(a)[0], shape_of(b)[0]
    return ew.mul(sh.reshape(a, (n, 1)), sh.reshape(b, (1, m)))


def tensordot(
    a: ArrayLike, b: ArrayLike, axes: int | Sequence[int] | Sequence[Sequence[int]] = 2
) -> Array:
    """Sum products over the given axes: ``axes=N`` pairs the last N axes of
    ``a`` with the first N of ``b``; ``axes=(a_axes, b_axes)`` pairs them
    explicitly. The result has the free axes of ``a``, then those of ``b``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.tensordot(np.ones((3, 4, 5)), np.ones((4, 3, 2)), axes=([1, 0], [0, 1])).shape
    (5, 2)
    """
    a, b = _operands(a, b)
    sa, sb = shape_of(a), shape_of(b)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > len(sa) or n > len(sb):
            raise ValueError(f"tensordot: axes={n} does not fit operands of shapes {sa} and {sb}")
        ax_a: tuple[int, ...] = tuple(range(len(sa) - n, len(sa)))
        ax_b: tuple[int, ...] = tuple(range(n))
    else:
        try:
            xa, xb = axes
        except (TypeError, ValueError):
            raise ValueError(
                f"tensordot: axes must be an int or a pair of sequences, got {axes!r}"
            ) from None
        xa = [xa] if isinstance(xa, (int, np.integer)) else list(xa)
        xb = [xb] if isinstance(xb, (int, np.integer)) else list(xb)
        if len(xa) != len(xb):
            raise ValueError(
                f"tensordot: axes {axes!r} pair {len(xa)} axes of a with {len(xb)} axes of b"
            )
        ax_a = tuple(normalize_axis(int(i), len(sa)) for i in xa)
        ax_b = tuple(normalize_axis(int(i), len(sb)) for i in xb)
    for i, j in zip(ax_a, ax_b, strict=True):
        if sa[i] != sb[j]:
            raise ShapeError(
                f"tensordot: shape mismatch for sum: a has shape {sa}, b has shape {sb}; "
                f"a.shape[{i}] ({sa[i]}) must equal b.shape[{j}] ({sb[j]})"
            )
    return dot_general(a, b, ((ax_a, ax_b), ((), ())))


def kron(a: ArrayLike, b: ArrayLike) -> Array:
    """Kronecker product: blocks ``a[i, j] * b``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.kron(np.eye(2), np.ones((2, 3))).shape
    (4, 6)
    """
    a, b = _operands(a, b)
    sa, sb = shape_of(a), shape_of(b)
    nd = max(len(sa), len(sb))
    sa = (1,) * (nd - len(sa)) + sa
    sb = (1,) * (nd - len(sb)) + sb
    a2 = sh.reshape(a, tuple(v for n in sa for v in (n, 1)))
    b2 = sh.reshape(b, tuple(v for n in sb for v in (1, n)))
    return sh.reshape(ew.mul(a2, b2), tuple(p * q for p, q in zip(sa, sb, strict=True)))


def cross(
    a: ArrayLike,
    b: ArrayLike,
    axisa: int = -1,
    axisb: int = -1,
    axisc: int = -1,
    axis: int | None = None,
) -> Array:
    """Cross product of (broadcast) 3-vectors along ``axis`` (2-vectors give
    the z component, as numpy does).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.cross(np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    array([0., 0., 1.])
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _operands(a, b)
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        raise ValueError(f"cross: operands must be at least 1-D, got shapes {sa} and {sb}")
    a = sh.moveaxis(a, normalize_axis(axisa, len(sa), "axisa"), -1)
    b = sh.moveaxis(b, normalize_axis(axisb, len(sb), "axisb"), -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(
            f"cross: incompatible dimensions for cross product (dimension must be 2 or 3), "
            f"got a with shape {sa} and b with shape {sb}"
        )
    ac = [ix.slice_axis(a, i, i + 1, -1) for i in range(na)]
    bc = [ix.slice_axis(b, i, i + 1, -1) for i in range(nb)]
    a0, a1, b0, b1 = ac[0], ac[1], bc[0], bc[1]
    z = ew.sub(ew.mul(a0, b1), ew.mul(a1, b0))
    if na == 2 and nb == 2:
        return sh.reshape(z, shape_of(z)[:-1])
    a2 = ac[2] if na == 3 else None
    b2 = bc[2] if nb == 3 else None
    if a2 is None:
        x = ew.mul(a1, b2)
        y = ew.neg(ew.mul(a0, b2))
    elif b2 is None:
        x = ew.neg(ew.mul(a2, b1))
        y = ew.mul(a2, b0)
    else:
        x = ew.sub(ew.mul(a1, b2), ew.mul(a2, b1))
        y = ew.sub(ew.mul(a2, b0), ew.mul(a0, b2))
    shape = np.broadcast_shapes(shape_of(x), shape_of(y), shape_of(z))
    out = ix.concatenate([sh.broadcast_to(c, shape) for c in (x, y, z)], len(shape) - 1)
    return sh.moveaxis(out, -1, normalize_axis(axisc, len(shape), "axisc"))


# ---------------------------------------------------------------------------
# diagonals
# ---------------------------------------------------------------------------


def _diagonal_last2(x: Array, offset: int) -> Array:
    """The ``offset`` diagonal of the last two axes, as a new last axis."""
    shape = shape_of(x)
    n, m = shape[-2], shape[-1]
    if offset >= 0:
        length = max(0, min(n, m - offset))
        start = offset
    else:
        length = max(0, min(n + offset, m))
        start = -offset * m
    lead = shape[:-2]
    if length == 0:
        return np.zeros((*lead, 0), dtype_of(x))
    flat = sh.reshape(x, (*lead, n * m))
    return ix.slice_axis(flat, start, start + (length - 1) * (m + 1) + 1, -1, m + 1)


def diagonal(a: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Array:
    """Diagonal of the ``(axis1, axis2)`` planes, appended as the last axis.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.diagonal(np.arange(9.0).reshape(3, 3), offset=1)
    array([1., 5.])
    """
    a = asarray_arg(a)
    nd = len(shape_of(a))
    if nd < 2:
        raise ValueError(f"diagonal: the array must be at least 2-D, got shape {shape_of(a)}")
    ax1 = normalize_axis(axis1, nd, "axis1")
    ax2 = normalize_axis(axis2, nd, "axis2")
    if ax1 == ax2:
        raise ValueError(f"diagonal: axis1 and axis2 cannot be the same ({axis1}, {axis2})")
    perm = (*(i for i in range(nd) if i not in (ax1, ax2)), ax1, ax2)
    return _diagonal_last2(sh.transpose(a, perm), int(offset))


def trace(
    a: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: DTypeLike | None = None
) -> Array:
    """Sum along a diagonal (``numpy.trace``).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.trace(np.arange(9.0).reshape(3, 3)))
    12.0
    """
    d = diagonal(a, offset, axis1, axis2)
    dt = dtype_of(d)
    if dtype is None and (dt.kind == "b" or (dt.kind in "iu" and dt.itemsize < 8)):
        dtype = np.uint64 if dt.kind == "u" else np.int64
    if dtype is not None:
        d = ew.convert(d, dtype)
    return sh.reduce_sum(d, (len(shape_of(d)) - 1,))


def diag(v: ArrayLike, k: int = 0) -> Array:
    """A 1-D ``v`` placed on the ``k``-th diagonal of a square matrix, or the
    ``k``-th diagonal of a 2-D ``v``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.diag(np.array([1.0, 2.0]), k=1)
    array([[0., 1., 0.],
           [0., 0., 2.],
           [0., 0., 0.]])
    """
    v = asarray_arg(v)
    shape = shape_of(v)
    k = int(k)
    if len(shape) == 2:
        return _diagonal_last2(v, k)
    if len(shape) != 1:
        raise ValueError(f"diag: input must be 1-D or 2-D, got shape {shape}")
    n = shape[0]
    size = n + abs(k)
    dt = dtype_of(v)
    if n == 0:
        return np.zeros((size, size), dt)
    start = k if k >= 0 else -k * size
    used = start + (n - 1) * (size + 1) + 1
    flat = ix.pad(v, np.zeros((), dt), ((start, size * size - used, size),))
    return sh.reshape(flat, (size, size))


# ---------------------------------------------------------------------------
# einsum
# ---------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _sublist_to_str(sub: Any) -> str:
    out = []
    for s in sub:
        if s is Ellipsis:
            out.append("...")
        elif isinstance(s, (int, np.integer)) and 0 <= int(s) < len(_LETTERS):
            out.append(_LETTERS[int(s)])
        else:
            raise ValueError(f"einsum: subscript {s!r} in a sublist must be an int in [0, 52)")
    return "".join(out)


def _einsum_args(args: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """The subscripts string and the operands, from either calling form."""
    if not args:
        raise ValueError("einsum: no subscripts given")
    if isinstance(args[0], str):
        return args[0], list(args[1:])
    ops = list(args[0::2])
    subs = [_sublist_to_str(s) for s in args[1::2]]
    if len(args) % 2 == 1:
        out = _sublist_to_str(args[-1])
        ops = ops[:-1]
        return ",".join(subs) + "->" + out, ops
    return ",".join(subs), ops


def _parse_term(term: str, ndim: int, n_ell: int | None, where: str) -> list[Label]:
    """Labels of one operand: letters, and ints for the ellipsis axes (which
    are numbered from the right so they align across operands)."""
    if term.count("...") > 1 or "." in term.replace("...", ""):
        raise ValueError(f"einsum: invalid subscripts {term!r} for {where}")
    for c in term.replace("...", ""):
        if not c.isalpha() or not c.isascii():
            raise ValueError(f"einsum: invalid subscript {c!r} for {where} (use letters)")
    if "..." in term:
        left, right = term.split("...")
        k = ndim - len(left) - len(right) if n_ell is None else n_ell
        if k < 0:
            raise ValueError(
                f"einsum: {where} has {ndim} axes, fewer than the subscripts {term!r} name"
            )
        return [*left, *range(k - 1, -1, -1), *right]
    if n_ell is None and len(term) != ndim:
        raise ValueError(
            f"einsum: {where} has {ndim} axes but its subscripts {term!r} name {len(term)}"
        )
    return list(term)


def _diag_repeated(x: Array, labels: list[Label]) -> tuple[Array, list[Label]]:
    """Take the diagonal over each label repeated within one operand."""
    while len(set(labels)) != len(labels):
        lab = next(lb for lb in labels if labels.count(lb) > 1)
        pos = [i for i, lb in enumerate(labels) if lb == lab]
        rest = [i for i in range(len(labels)) if i not in pos]
        shape = shape_of(x)
        sizes = {shape[i] for i in pos}
        if len(sizes) != 1:
            listed = " != ".join(str(shape[i]) for i in pos)
            raise ShapeError(
                f"einsum: the axes of one operand labeled {lab!r} have different sizes "
                f"({listed}); a repeated label takes a diagonal and needs equal sizes"
            )
        n, k = shape[pos[0]], len(pos)
        x = sh.transpose(x, (*rest, *pos))
        lead = tuple(shape[i] for i in rest)
        x = sh.reshape(x, (*lead, n**k))
        stride = sum(n**j for j in range(k))
        if n > 0:
            x = ix.slice_axis(x, 0, n**k, -1, stride)
        labels = [labels[i] for i in rest] + [lab]
    return x, labels


def einsum(*operands: ArrayLike | str, optimize: Any = None, **kwargs: Any) -> Array:
    """Einstein summation, ``numpy.einsum`` semantics: explicit (``'ij,jk->ik'``)
    and implicit (``'ij,jk'``) output, ``...`` broadcasting, repeated labels
    within an operand (diagonals: ``'ii->i'``, ``'ii'``) and the interleaved
    ``einsum(a, [0, 1], b, [1, 2])`` form. Operands are contracted pairwise,
    left to right, each pair one ``dot_general``; ``optimize`` is ignored.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((3, 4))).shape
    (2, 4)
    >>> float(fnp.einsum("ii", np.arange(9.0).reshape(3, 3)))
    12.0
    """
    del optimize
    if kwargs:
        raise TypeError(f"einsum: unsupported keyword arguments {sorted(kwargs)}")
    subscripts, ops = _einsum_args(operands)
    subscripts = subscripts.replace(" ", "")
    if subscripts.count("->") > 1:
        raise ValueError(f"einsum: subscripts {subscripts!r} have more than one '->'")
    lhs, _, rhs = subscripts.partition("->")
    explicit = "->" in subscripts
    terms = lhs.split(",")
    if len(terms) != len(ops):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} describe {len(terms)} operands, "
            f"but {len(ops)} were given"
        )
    if not ops:
        raise ValueError("einsum: at least one operand is needed")
    xs = _operands(*ops)
    labels = [
        _parse_term(t, len(shape_of(x)), None, f"operand {i}")
        for i, (t, x) in enumerate(zip(terms, xs, strict=True))
    ]
    n_ell = max((sum(1 for lb in ls if isinstance(lb, int)) for ls in labels), default=0)
    ell_labels: list[Label] = list(range(n_ell - 1, -1, -1))
    if explicit:
        if "..." in rhs:
            out_labels = _parse_term(rhs, 0, n_ell, "the output")
        else:
            out_labels = _parse_term(rhs, len(rhs), None, "the output")
            if n_ell:
                raise ValueError(
                    "einsum: the output has no '...' but the operands have axes matched by "
                    "'...'; add '...' to the output to keep them"
                )
        for lb in out_labels:
            if out_labels.count(lb) > 1:
                raise ValueError(f"einsum: output label {lb!r} appears more than once")
            if not any(lb in ls for ls in labels):
                raise ValueError(f"einsum: output label {lb!r} does not appear in any operand")
    else:
        letters = [lb for ls in labels for lb in ls if isinstance(lb, str)]
        out_labels = ell_labels + sorted({lb for lb in letters if letters.count(lb) == 1})

    # diagonals of labels repeated within an operand, then sizes (size-1 axes
    # broadcast across operands)
    diags = [_diag_repeated(x, ls) for x, ls in zip(xs, labels, strict=True)]
    sizes: dict[Label, int] = {}
    for i, (x, ls) in enumerate(diags):
        for lb, n in zip(ls, shape_of(x), strict=True):
            m = sizes.get(lb, 1)
            if n != m and 1 not in (n, m):
                raise ShapeError(
                    f"einsum: label {lb!r} has size {m} in one operand and {n} in operand "
                    f"{i} (shape {shape_of(xs[i])}); sizes must match or be 1"
                )
            sizes[lb] = max(n, m)
    ops2: list[Array] = []
    labels2: list[list[Label]] = []
    for x, ls in diags:
        shape = shape_of(x)
        drop = [i for i, lb in enumerate(ls) if shape[i] == 1 and sizes[lb] != 1]
        if drop:  # a size-1 axis broadcasts: the same as not having it
            x = _squeeze_axes(x, drop)
            ls = [lb for i, lb in enumerate(ls) if i not in drop]
        ops2.append(x)
        labels2.append(ls)
    # sum out labels that occur in one operand only and not in the output
    keep = set(out_labels)
    for j, ls in enumerate(labels2):
        others = {lb for k, o in enumerate(labels2) if k != j for lb in o}
        axes = tuple(i for i, lb in enumerate(ls) if lb not in keep and lb not in others)
        if axes:
            ops2[j] = sh.reduce_sum(ops2[j], axes)
            labels2[j] = [lb for i, lb in enumerate(ls) if i not in axes]
    # contract pairwise, left to right
    res, rl = ops2[0], labels2[0]
    for j in range(1, len(ops2)):
        op, ol = ops2[j], labels2[j]
        later = keep | {lb for o in labels2[j + 1 :] for lb in o}
        shared = [lb for lb in rl if lb in ol]
        contract = [lb for lb in shared if lb not in later]
        batch = [lb for lb in shared if lb in later]
        dn = (
            (tuple(rl.index(lb) for lb in contract), tuple(ol.index(lb) for lb in contract)),
            (tuple(rl.index(lb) for lb in batch), tuple(ol.index(lb) for lb in batch)),
        )
        res = dot_general(res, op, dn)
        rl = batch + [lb for lb in rl if lb not in shared] + [lb for lb in ol if lb not in shared]
        stale = tuple(i for i, lb in enumerate(rl) if lb not in later)
        if stale:
            res = sh.reduce_sum(res, stale)
            rl = [lb for i, lb in enumerate(rl) if i not in stale]
    missing = [lb for lb in out_labels if lb not in rl]
    if missing:  # only size-1 labels can go missing (all their axes broadcast)
        res = sh.reshape(res, (*shape_of(res), *(1 for _ in missing)))
        rl = rl + missing
    return sh.transpose(res, tuple(rl.index(lb) for lb in out_labels))


__all__ = [
    "cross",
    "diag",
    "diagonal",
    "dot",
    "einsum",
    "inner",
    "kron",
    "matmul",
    "matrix_transpose",
    "outer",
    "tensordot",
    "trace",
    "vdot",
]
