"""Sparse Jacobians and Hessians by coloring and compressed evaluation.

``sparse_jacobian(f)(x)`` and ``sparse_hessian(f)(x)`` return
``scipy.sparse.csr_array`` derivatives. For each input signature (shapes and
dtypes of the arguments) they prepare a *plan* once: the sparsity pattern
(given, or detected from the jaxpr), a coloring of it, the seed matrix (one
column per color) and the index array that decompresses. Every later call
with that signature runs one vmapped jvp / vjp / hvp over the color seeds
(under ``fd.jit`` by default) and one gather into the CSR data array; the
result shares the plan's (read-only) ``indices`` and ``indptr``.

The API follows ``fd.jit``: the returned object is called like ``f`` and
caches its plans per signature, so ``H = fd.sparse_hessian(f)`` then
``H(x)`` in a loop colors once. ``H.prepare(x)`` returns the plan itself
(``.sparsity``, ``.colors``, ``.ncolors``, ``.mode``) to inspect it or to
call it directly (``plan(x)``, ``plan.values(x)`` for the data array alone),
like SparseDiffTools' color caches or DifferentiationInterface's ``prepare``.

Every stored entry is one entry of the compressed product, copied, never a
difference or a sum, so the values equal the dense derivative's exactly up
to the summation order inside one jvp (1e-12 in the tests). The pattern is
structural: entries that happen to be zero at this ``x`` are stored zeros.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from funcdiff import numpy as fnp
from funcdiff.api import grad, jvp, make_jaxpr, vjp, vmap
from funcdiff.api_util import has_tracer
from funcdiff.core.trace import Tracer
from funcdiff.errors import DTypeError, ShapeError
from funcdiff.jit import jit as _jit
from funcdiff.sparse._coloring import (
    Order,
    as_pattern,
    check_symmetric,
    column_coloring,
    ncolors,
    row_coloring,
    seed_matrix,
    star_recovery,
)
from funcdiff.sparse._detect import hessian_sparsity, jacobian_sparsity
from funcdiff.tree import tree_flatten, tree_structure

Fun = Callable[..., Any]
Mode = Literal["auto", "forward", "reverse"]
_LEAF = tree_structure(0)


def _scipy_sparse() -> Any:
    try:
        import scipy.sparse as sp
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "sparse_jacobian and sparse_hessian return scipy.sparse matrices and need "
            "scipy: pip install 'funcdiff[scipy]' (or pip install scipy)"
        ) from err
    return sp


def _leaf_key(x: Any) -> Any:
    if type(x) is np.ndarray:
        return (x.shape, x.dtype)
    a = np.asarray(x)
    return (a.shape, a.dtype)


def _signature(args: tuple[Any, ...]) -> Any:
    if len(args) == 1 and type(args[0]) is np.ndarray:
        return (args[0].shape, args[0].dtype)
    leaves, tree = tree_flatten(args)
    return (tree, tuple(_leaf_key(x) for x in leaves))


def _diff_arg(args: tuple[Any, ...], argnums: int, name: str) -> tuple[int, np.ndarray]:
    if not isinstance(argnums, int) or isinstance(argnums, bool):
        raise TypeError(f"{name}: argnums must be an int (one array argument), got {argnums!r}")
    if not -len(args) <= argnums < len(args):
        raise ValueError(
            f"{name}: argnums={argnums} is out of range for a call with {len(args)} arguments"
        )
    k = argnums % len(args)
    x = args[k]
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        x = np.asarray(x, dtype=np.float64)
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except Exception as err:
            raise TypeError(f"{name}: argument {k} must be an array, got {type(x)}") from err
    if x.dtype.kind != "f":
        raise DTypeError(
            f"{name} differentiates with respect to a real floating-point array, but "
            f"argument {k} has dtype {x.dtype} (shape {x.shape}); convert it, e.g. "
            "x.astype(float)"
        )
    return k, x


def _with_arg(args: tuple[Any, ...], k: int, x: Any) -> tuple[Any, ...]:
    return (*args[:k], x, *args[k + 1 :])


def _traced_output(f: Fun, k: int, x: np.ndarray, args: tuple[Any, ...]) -> tuple[Fun, Any, Any]:
    """``g(x, *others)``, f with its argument ``k`` moved to the front, and
    the avals and tree structure of its output at ``x``'s signature."""
    out_box: list[Any] = []

    def g(xa: Any, *rest: Any) -> Any:
        out = f(*rest[:k], xa, *rest[k:])
        out_box.append(tree_structure(out))
        return out

    others = args[:k] + args[k + 1 :]
    avals = make_jaxpr(g)(x, *others).out_avals
    return g, avals, out_box[-1]


class _Plan:
    """What one input signature needs: pattern, colors, seeds, gather indices."""

    sparsity: Any
    colors: np.ndarray
    shape: tuple[int, int]
    _seeds: np.ndarray
    _gather: np.ndarray
    _fn: Fun

    def __init__(self, name: str, argnums: int, x: np.ndarray) -> None:
        self._name = name
        self._argnums = argnums
        self._in_shape = x.shape
        self._in_dtype = x.dtype

    @property
    def ncolors(self) -> int:
        """The number of colors: how many jvps / vjps / hvps one evaluation runs."""
        return ncolors(self.colors)

    def _finish(self, fn: Fun, use_jit: bool) -> None:
        p = self.sparsity
        p.indices.setflags(write=False)
        p.indptr.setflags(write=False)
        self._fn = _jit(fn) if use_jit else fn
        self._gather.setflags(write=False)

    def values(self, *args: Any) -> Any:
        """The stored entries of the derivative at ``args``, in CSR order
        (the ``data`` of ``self(*args)``). Traceable: under ``fd.jit``,
        ``grad`` or ``vmap`` it returns a traced array (the gather is then
        ``funcdiff.numpy.take``)."""
        k = self._argnums % len(args)
        x = args[k]
        if not isinstance(x, (np.ndarray, Tracer)):
            x = np.asarray(x, dtype=self._in_dtype)  # a list or a Python number
        shape = np.shape(x)
        if shape != self._in_shape:
            raise ShapeError(
                f"{self._name}: this plan was prepared for argument {k} of shape "
                f"{self._in_shape}, called with shape {shape}; prepare a new one (calling "
                "the sparse_jacobian / sparse_hessian function itself does)"
            )
        traced = has_tracer(tree_flatten(args)[0])
        if self._gather.size == 0 and not traced:
            return np.zeros(0, dtype=np.asarray(x).dtype)
        out = self._fn(x, self._seeds, *args[:k], *args[k + 1 :])
        if traced:
            return fnp.take(fnp.reshape(out, (-1,)), self._gather)
        return np.take(np.asarray(out).reshape(-1), self._gather)

    def __call__(self, *args: Any) -> Any:
        """The derivative at ``args`` as a ``scipy.sparse.csr_array``."""
        sp = _scipy_sparse()
        if has_tracer(tree_flatten(args)[0]):
            raise TypeError(
                f"{self._name}: a scipy.sparse matrix cannot hold traced values (this call "
                "is under jit, grad or vmap); call plan.values(...) there for the entries "
                "in CSR order, and build the matrix outside"
            )
        p = self.sparsity
        out = sp.csr_array((self.values(*args), p.indices, p.indptr), shape=p.shape, copy=False)
        out.has_sorted_indices = True
        out.has_canonical_format = True
        return out

    def __repr__(self) -> str:
        extra = f", mode={self.mode!r}" if isinstance(self, JacobianPlan) else ""
        return (
            f"{type(self).__name__}(shape={self.shape}, nnz={self.sparsity.nnz}, "
            f"ncolors={self.ncolors}{extra})"
        )


class JacobianPlan(_Plan):
    """A sparse Jacobian prepared for one input signature (see ``sparse_jacobian``).

    Attributes: ``sparsity`` (boolean ``csr_array`` of shape (out.size,
    x.size)), ``mode`` ("forward" colors columns and runs jvps, "reverse"
    colors rows and runs vjps), ``colors`` (one per column, or per row in
    reverse mode), ``ncolors``.
    """

    mode: Literal["forward", "reverse"]

    def __init__(
        self,
        f: Fun,
        args: tuple[Any, ...],
        argnums: int = 0,
        *,
        sparsity: Any = None,
        mode: Mode = "auto",
        order: Order = "auto",
        use_jit: bool = True,
    ) -> None:
        name = "sparse_jacobian"
        k, x = _diff_arg(args, argnums, name)
        super().__init__(name, k, x)
        if mode not in ("auto", "forward", "reverse"):
            raise ValueError(f"{name}: mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
        g, (out_aval, *more), out_tree = _traced_output(f, k, x, args)
        if more or out_tree != _LEAF:
            raise TypeError(f"{name}: the function must return one array, got a pytree {out_tree}")
        if out_aval.dtype.kind != "f":
            raise DTypeError(
                f"{name}: the function's output has dtype {out_aval.dtype}; its Jacobian "
                "needs a real floating-point output"
            )
        m, n = int(np.prod(out_aval.shape, dtype=np.int64)), x.size
        self.shape = (m, n)
        if sparsity is None:
            sparsity = jacobian_sparsity(f, argnums=k)(*args)
        self.sparsity = p = as_pattern(sparsity, self.shape, f"{name}: the sparsity pattern")
        rows = np.repeat(np.arange(m), np.diff(p.indptr))
        cols = p.indices.astype(np.int64)
        if mode in ("auto", "forward"):
            fwd = column_coloring(p, order)
        if mode in ("auto", "reverse"):
            rev = row_coloring(p, order)
        if mode == "forward" or (mode == "auto" and ncolors(fwd) <= ncolors(rev)):
            self.mode, self.colors = "forward", fwd
            self._seeds = seed_matrix(fwd, x.dtype)
            self._gather = fwd[cols] * m + rows
            in_shape = x.shape

            def compressed(xa: Any, seeds: Any, *rest: Any) -> Any:
                def one(s: Any) -> Any:
                    return jvp(lambda z: g(z, *rest), (xa,), (s.reshape(in_shape),))[1].reshape(-1)

                return vmap(one)(seeds)
        else:
            self.mode, self.colors = "reverse", rev
            self._seeds = seed_matrix(rev, out_aval.dtype)
            self._gather = rev[rows] * n + cols
            out_shape = out_aval.shape

            def compressed(xa: Any, seeds: Any, *rest: Any) -> Any:
                _, pullback = vjp(lambda z: g(z, *rest), xa)

                def one(c: Any) -> Any:
                    return pullback(c.reshape(out_shape))[0].reshape(-1)

                return vmap(one)(seeds)

        self._finish(compressed, use_jit)


class HessianPlan(_Plan):
    """A sparse Hessian prepared for one input signature (see ``sparse_hessian``).

    Attributes: ``sparsity`` (symmetric boolean ``csr_array`` (n, n)),
    ``colors`` (a star coloring, one color per variable), ``ncolors``.
    """

    def __init__(
        self,
        f: Fun,
        args: tuple[Any, ...],
        argnums: int = 0,
        *,
        sparsity: Any = None,
        order: Order = "auto",
        use_jit: bool = True,
    ) -> None:
        name = "sparse_hessian"
        k, x = _diff_arg(args, argnums, name)
        super().__init__(name, k, x)
        g, outs, out_tree = _traced_output(f, k, x, args)
        if len(outs) != 1 or out_tree != _LEAF or outs[0].shape != ():
            got = f"shape {outs[0].shape}" if len(outs) == 1 else f"a pytree {out_tree}"
            raise ShapeError(
                f"{name}: the function must return a scalar (its Hessian is taken), "
                f"but it returns {got}"
            )
        n = x.size
        self.shape = (n, n)
        if sparsity is None:
            sparsity = hessian_sparsity(f, argnums=k)(*args)
        self.sparsity = p = as_pattern(sparsity, self.shape, f"{name}: the sparsity pattern")
        check_symmetric(p)
        self.colors, self._seeds, self._gather = star_recovery(p, x.dtype, order)
        in_shape = x.shape

        def compressed(xa: Any, seeds: Any, *rest: Any) -> Any:
            grad_g = grad(lambda z: g(z, *rest))

            def one(s: Any) -> Any:
                return jvp(grad_g, (xa,), (s.reshape(in_shape),))[1].reshape(-1)

            return vmap(one)(seeds)

        self._finish(compressed, use_jit)


class _Sparse:
    """Plans cached per input signature, like ``fd.jit``'s compilations."""

    _name: str

    def __init__(self, f: Fun, argnums: int, sparsity: Any, order: Order, use_jit: bool) -> None:
        self.f = f
        self.argnums = argnums
        self.sparsity = sparsity
        self.order = order
        self.jit = use_jit
        self._plans: dict[Any, _Plan] = {}

    def _make(self, args: tuple[Any, ...]) -> _Plan:
        raise NotImplementedError

    def prepare(self, *args: Any) -> Any:
        """Detect (unless a pattern was given), color and set up the
        evaluation for the signature of ``args``; cached."""
        key = _signature(args)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._make(args)
        return plan

    def __call__(self, *args: Any) -> Any:
        plan = self._plans.get(_signature(args))
        if plan is None:
            plan = self.prepare(*args)
        return plan(*args)


class SparseJacobian(_Sparse):
    """``sparse_jacobian(f)``: call it like ``f`` for the Jacobian as a CSR
    array; ``.prepare(*args)`` gives the :class:`JacobianPlan`."""

    def __init__(
        self,
        f: Fun,
        argnums: int = 0,
        *,
        sparsity: Any = None,
        mode: Mode = "auto",
        order: Order = "auto",
        jit: bool = True,
    ) -> None:
        super().__init__(f, argnums, sparsity, order, jit)
        self.mode = mode

    def _make(self, args: tuple[Any, ...]) -> JacobianPlan:
        return JacobianPlan(
            self.f,
            args,
            self.argnums,
            sparsity=self.sparsity,
            mode=self.mode,
            order=self.order,
            use_jit=self.jit,
        )

    def prepare(self, *args: Any) -> JacobianPlan:
        plan: JacobianPlan = super().prepare(*args)
        return plan


class SparseHessian(_Sparse):
    """``sparse_hessian(f)``: call it like ``f`` for the Hessian as a CSR
    array; ``.prepare(*args)`` gives the :class:`HessianPlan`."""

    def __init__(
        self,
        f: Fun,
        argnums: int = 0,
        *,
        sparsity: Any = None,
        order: Order = "auto",
        jit: bool = True,
    ) -> None:
        super().__init__(f, argnums, sparsity, order, jit)

    def _make(self, args: tuple[Any, ...]) -> HessianPlan:
        return HessianPlan(
            self.f, args, self.argnums, sparsity=self.sparsity, order=self.order, use_jit=self.jit
        )

    def prepare(self, *args: Any) -> HessianPlan:
        plan: HessianPlan = super().prepare(*args)
        return plan


def sparse_jacobian(
    f: Fun,
    argnums: int = 0,
    *,
    sparsity: Any = None,
    mode: Mode = "auto",
    order: Order = "auto",
    jit: bool = True,
) -> SparseJacobian:
    """The Jacobian of ``f`` with respect to argument ``argnums`` as a
    ``scipy.sparse.csr_array`` of shape (out.size, x.size) (both flattened in
    C order), computed by coloring.

    Args:
      f: a function returning one floating-point array.
      argnums: the argument to differentiate (one array).
      sparsity: the pattern (a scipy.sparse matrix or a boolean array of
        that shape); by default it is detected from f's jaxpr, once per
        input signature.
      mode: "forward" (column coloring, one jvp per color), "reverse" (row
        coloring, one vjp per color), or "auto": whichever needs fewer
        colors (forward on ties).
      order: vertex order of the greedy coloring: "largest_first",
        "natural", "smallest_last", "banded" (vectorized, by index residues:
        fast for a small bandwidth), or "auto": "banded" when the bandwidth
        is small next to n, else "largest_first".
      jit: run the compressed product under ``fd.jit``.

    >>> import funcdiff as fd, numpy as np
    >>> from funcdiff.sparse._eval import sparse_jacobian
    >>> pattern = np.eye(4, 5, dtype=bool) | np.eye(4, 5, k=1, dtype=bool)
    >>> jac = sparse_jacobian(lambda x: x[:4] * x[1:] ** 2, sparsity=pattern)
    >>> x = np.arange(1.0, 6.0)
    >>> J = jac(x)  # 2 colors: two jvps
    >>> J.shape, J.nnz, jac.prepare(x).ncolors
    ((4, 5), 8, 2)
    >>> J.toarray()[0, :2].tolist()
    [4.0, 4.0]
    """
    return SparseJacobian(f, argnums, sparsity=sparsity, mode=mode, order=order, jit=jit)


def sparse_hessian(
    f: Fun,
    argnums: int = 0,
    *,
    sparsity: Any = None,
    order: Order = "auto",
    jit: bool = True,
) -> SparseHessian:
    """The Hessian of the scalar ``f`` with respect to argument ``argnums``
    (x flattened in C order) as a symmetric ``scipy.sparse.csr_array``,
    computed by star coloring: one vmapped Hessian-vector product
    (forward-over-reverse) per color, each entry read back directly.

    ``sparsity``, ``order`` and ``jit`` are as in :func:`sparse_jacobian`;
    a given pattern must be symmetric.

    >>> import funcdiff as fd, numpy as np, scipy.sparse as sp
    >>> from funcdiff.sparse._eval import sparse_hessian
    >>> def rosen(x):
    ...     return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
    >>> n = 1000
    >>> tri = sp.diags([np.ones(n - 1), np.ones(n), np.ones(n - 1)], [-1, 0, 1])
    >>> hess = sparse_hessian(rosen, sparsity=tri)
    >>> H = hess(np.zeros(n))
    >>> H.shape, H.nnz, hess.prepare(np.zeros(n)).ncolors
    ((1000, 1000), 2998, 3)
    >>> H[:2, :2].toarray().tolist()
    [[2.0, 0.0], [0.0, 202.0]]
    """
    return SparseHessian(f, argnums, sparsity=sparsity, order=order, jit=jit)


__all__ = [
    "HessianPlan",
    "JacobianPlan",
    "SparseHessian",
    "SparseJacobian",
    "sparse_hessian",
    "sparse_jacobian",
]
