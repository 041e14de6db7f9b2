"""The Hessian's diagonal and trace without forming the Hessian.

``hessian_diag(f)(x)`` is exact: Hessian-vector products with seed vectors,
either one per group of a coloring of the Hessian's sparsity pattern (a
tridiagonal Hessian needs 2 products at any n) or, without a pattern, the
unit vectors in chunks (n products, ``chunk_size`` of them at a time).

``hessian_trace_estimate`` and ``hessian_diag_estimate`` are stochastic
(Hutchinson; Bekas, Kokiopoulou and Saad for the diagonal): the mean of
``v @ H v`` (trace) or ``v * (H v)`` (diagonal) over random probes ``v``, for
Hessians too big for n products (Hutch++ for the trace, when a few
eigenvalues dominate). They return an :class:`Estimate`, the value with its
standard error, reproducible from ``seed``.

All products are forward-over-reverse: the gradient's pass runs once at
``x``; only the linear map ``v -> H v`` is recorded, and each chunk of seeds is
pushed through it in one vectorized (``vmap``) evaluation, compiled (``jit``)
once per chunk shape. Under a trace (``hessian_diag`` inside ``jit`` or
``grad``) the products are traced instead, so the diagonal differentiates.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import numpy as np

from funcdiff.api import grad, jvp, make_jaxpr, value_and_grad, vmap
from funcdiff.api_util import has_tracer
from funcdiff.interpreters.eval import eval_jaxpr
from funcdiff.jit import jit
from funcdiff.tree import ravel_pytree, tree_flatten

#: the largest number of floats one chunk of seeds holds when ``chunk_size`` is None
_CHUNK_FLOATS = 1 << 24

_METHODS = ("auto", "coloring", "hvp")
_PROBES = ("rademacher", "gaussian")
_TRACE_METHODS = ("hutchinson", "hutch++")


class Estimate(NamedTuple):
    """A stochastic estimate and its standard error.

    ``value`` is the mean over ``num_samples`` independent probes and
    ``stderr`` the sample standard deviation divided by ``sqrt(num_samples)``
    (NaN for a single sample), of the same shape as ``value``. A named tuple:
    ``value, stderr, num_samples = hessian_trace_estimate(...)(x)``.
    """

    value: Any
    stderr: Any
    num_samples: int


# ---------------------------------------------------------------------------
# Hessian-vector products of a flat function, batched
# ---------------------------------------------------------------------------


class _Products:
    """``V -> V @ H`` (rows are seeds) for ``f``'s Hessian at ``x``, argument
    ``argnums`` flattened; ``H`` is symmetric, so row k is ``H @ V[k]``."""

    def __init__(self, f: Callable[..., Any], argnums: int, args: tuple[Any, ...], name: str):
        if not isinstance(argnums, int) or isinstance(argnums, bool):
            raise TypeError(f"{name}: argnums must be an int, got {argnums!r}")
        if not -len(args) <= argnums < len(args):
            raise ValueError(f"{name}: argnums={argnums} but the function got {len(args)} args")
        argnums %= len(args)
        self.traced = has_tracer(tree_flatten(args)[0])
        flat, self.unravel = _ravel(args[argnums], self.traced, name)
        if not self.traced:
            flat = np.asarray(flat)
        self.x = flat
        self.n = int(np.shape(flat)[0])
        self.dtype = np.dtype(flat.dtype)
        unravel = self.unravel

        @functools.wraps(f)
        def flat_f(z: Any) -> Any:
            return f(*args[:argnums], unravel(z), *args[argnums + 1 :])

        self.flat_f = flat_f
        self._g = grad(flat_f)
        self._lin: Any = None
        self._batched: Callable[[np.ndarray], Any] | None = None
        if not self.traced:
            x = self.x

            def tangent_map(v: Any) -> Any:
                # the primal (value and gradient) runs now, in numpy; only the
                # linear map v -> H v is recorded
                return jvp(value_and_grad(flat_f), (x,), (v,))[1][1]

            self._lin = make_jaxpr(tangent_map)(x)

    def __call__(self, V: np.ndarray) -> Any:
        if self._lin is not None:
            if self._batched is None:
                jaxpr, consts = self._lin.jaxpr, self._lin.consts

                def one(v: Any) -> Any:
                    return eval_jaxpr(jaxpr, consts, [v])[0]

                # compiled once per chunk shape: 2-10x faster than the
                # interpreted vmap (n = 1e6, 2 seeds: 0.19 s against 2 s)
                self._batched = jit(vmap(one))
            return np.asarray(self._batched(V))
        g, x = self._g, self.x
        return vmap(lambda v: jvp(g, (x,), (v,))[1])(V)

    def chunk(self, chunk_size: int | None, name: str) -> int:
        if chunk_size is None:
            return max(1, min(self.n, _CHUNK_FLOATS // max(self.n, 1)))
        if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
            raise ValueError(f"{name}: chunk_size must be a positive int, got {chunk_size!r}")
        return int(chunk_size)


def _ravel(arg: Any, traced: bool, name: str) -> tuple[Any, Callable[[Any], Any]]:
    """``(flat, unravel)``; under a trace only for an array (ravel_pytree is numpy's)."""
    leaves = tree_flatten(arg)[0]
    if traced and not (len(leaves) == 1 and leaves[0] is arg):
        raise TypeError(f"{name}: under a trace the argument must be one array, not a pytree")
    if not traced:
        return ravel_pytree(arg)
    import funcdiff.numpy as fnp

    shape = tuple(arg.shape)
    return fnp.ravel(arg), lambda z: fnp.reshape(z, shape)


def _concat(parts: list[Any], traced: bool, axis: int = 0) -> Any:
    if traced:
        import funcdiff.numpy as fnp

        return fnp.concatenate(parts, axis=axis)
    return np.concatenate(parts, axis=axis)


# ---------------------------------------------------------------------------
# coloring for the diagonal
# ---------------------------------------------------------------------------


def _off_diagonal_edges(pattern: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both directions of every off-diagonal nonzero of ``pattern``, without repeats."""
    try:
        import scipy.sparse as sp
    except ImportError as exc:  # pragma: no cover - scipy is a test dependency
        raise ImportError("hessian_diag(sparsity=...) needs scipy (pip install scipy)") from exc
    a = sp.csr_matrix(pattern, dtype=bool)
    a.eliminate_zeros()  # stored zeros are no edges
    sym = (a + a.T).tocoo()  # scipy sums the duplicates (in C)
    keep = sym.row != sym.col
    return sym.row[keep].astype(np.int64), sym.col[keep].astype(np.int64)


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    a = np.sort(a)
    keep = np.ones(a.size, dtype=bool)
    keep[1:] = a[1:] != a[:-1]
    return a[keep]


def diagonal_coloring(pattern: Any) -> np.ndarray:
    """Colors of the columns of a symmetric sparsity pattern such that no two
    columns of one color share a row off the diagonal: then the product of the
    Hessian with the sum of one color's unit vectors holds, at each of those
    columns' indices, that column's diagonal entry.

    This is a proper coloring of the graph with an edge ``i - j`` wherever
    ``pattern[i, j]`` (``i != j``; the pattern is symmetrized). Returns an int
    array of length n, colors ``0 .. k-1``. Two candidates, the one with fewer
    colors wins: ``i mod (bandwidth + 1)`` (optimal for a band: 2 colors for a
    tridiagonal pattern) and a greedy coloring in rounds (Jones-Plassmann with
    seeded random priorities, each vertex taking the smallest color its
    neighbors lack), vectorized over the edges: O(nnz log nnz) per round, a
    few dozen rounds for patterns of bounded degree.

    >>> import numpy as np, scipy.sparse as sp
    >>> diagonal_coloring(sp.eye(5, k=1) + sp.eye(5, k=-1))  # tridiagonal
    array([0, 1, 0, 1, 0])
    """
    shape = getattr(pattern, "shape", np.shape(pattern))
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"diagonal_coloring: the pattern must be square, got shape {shape}")
    n = int(shape[0])
    rows, cols = _off_diagonal_edges(pattern)
    band = int(np.abs(rows - cols).max()) if rows.size else 0
    by_band = np.arange(n, dtype=np.int64) % (band + 1)
    if band <= 1:
        return by_band  # no coloring of a graph with an edge has fewer than 2 colors
    greedy = _greedy_coloring(n, rows, cols)
    return greedy if greedy.max() < by_band.max() else by_band


def _greedy_coloring(n: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Jones-Plassmann: each round, the uncolored vertices whose priority beats
    every uncolored neighbor's (an independent set) take the smallest color
    none of their colored neighbors has."""
    priority = np.random.default_rng(0).permutation(n)
    color = np.full(n, -1, dtype=np.int64)
    while True:
        free = color < 0
        if not free.any():
            return color
        live = free[rows]  # edges out of colored vertices matter no more
        rows, cols = rows[live], cols[live]
        # 1. the round's winners: no uncolored neighbor with a higher priority
        both = free[rows] & free[cols]
        beaten = np.zeros(n, dtype=bool)
        r, c = rows[both], cols[both]
        beaten[r[priority[c] > priority[r]]] = True
        win = free & ~beaten
        # 2. each winner's smallest color missing among its colored neighbors
        sel = win[rows] & ~free[cols]  # (rows are all uncolored now)
        pair = _sorted_unique(rows[sel] * (n + 1) + color[cols[sel]])
        v, used = pair // (n + 1), pair % (n + 1)
        first = np.ones(v.size, dtype=bool)
        first[1:] = v[1:] != v[:-1]
        start = np.flatnonzero(first)
        rank = np.arange(v.size) - np.repeat(start, np.diff(np.append(start, v.size)))
        gap = used != rank  # the first gap of a winner's sorted colors is its color
        smallest = np.zeros(n, dtype=np.int64)
        has_gap = np.zeros(n, dtype=bool)
        gv, gr = v[gap], rank[gap]
        lead = np.ones(gv.size, dtype=bool)  # each vertex's first gap (sorted by vertex)
        lead[1:] = gv[1:] != gv[:-1]
        smallest[gv[lead]] = gr[lead]
        has_gap[gv] = True
        counts = np.bincount(v, minlength=n)
        out = np.where(has_gap, smallest, counts)
        color[win] = out[win]


def _seeds(colors: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    k = int(colors.max()) + 1 if colors.size else 0
    seeds = np.zeros((k, colors.size), dtype=dtype)
    seeds[colors, np.arange(colors.size)] = 1
    return seeds


# ---------------------------------------------------------------------------
# the exact diagonal
# ---------------------------------------------------------------------------


def _detect(prods: _Products) -> Any:
    """The Hessian pattern over the flattened argument, detected from the program."""
    from funcdiff.sparse import hessian_sparsity

    # the pattern holds for every input of the shape and dtype: a concrete one serves
    x = np.zeros(prods.n, dtype=prods.dtype) if prods.traced else prods.x
    return hessian_sparsity(prods.flat_f)(x)


def hessian_diag(
    f: Callable[..., Any],
    argnums: int = 0,
    *,
    sparsity: Any = None,
    chunk_size: int | None = None,
    method: Literal["auto", "coloring", "hvp"] = "auto",
) -> Callable[..., Any]:
    """The diagonal of ``f``'s Hessian, exact, from Hessian-vector products.

    ``f`` is scalar; the diagonal is taken over argument ``argnums`` flattened
    (any array or pytree) and returned in its shape. Two ways, both exact:

    - ``method="coloring"``: the columns are colored so that no two of one
      color share a row of the pattern off the diagonal
      (:func:`diagonal_coloring`); one product per color (2 for a tridiagonal
      Hessian, at any n). The pattern is ``sparsity`` (any ``scipy.sparse``
      matrix or dense boolean array, n x n for n elements of the argument) or,
      if None, the one detected from the program (``fd.hessian_sparsity``,
      which needs scipy; without it an error names the extra). A pattern that
      misses a nonzero of the Hessian gives wrong entries: it must hold every
      entry that can be nonzero.
    - ``method="hvp"``: the unit vectors, n products, ``chunk_size`` at a time.
    - ``method="auto"`` (default): coloring, with ``sparsity`` if given,
      else with the detected pattern. The unit vectors are never a silent
      fallback: ask for them with ``method="hvp"``.

    ``chunk_size`` bounds how many seeds go through one vectorized product
    (memory ~ chunk_size x n); None takes as many as fit in 2**24 floats.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> f = lambda x: fnp.sum(x[1:] * x[:-1] ** 2)
    >>> hessian_diag(f, method="hvp")(np.array([1.0, 2.0, 3.0]))
    array([4., 6., 0.])
    """
    if method not in _METHODS:
        raise ValueError(f"hessian_diag: method must be one of {_METHODS}, got {method!r}")
    name = "hessian_diag"

    @functools.wraps(f)
    def hessian_diag_f(*args: Any) -> Any:
        prods = _Products(f, argnums, args, name)
        chunk = prods.chunk(chunk_size, name)
        n = prods.n
        pattern = sparsity
        if pattern is None and method != "hvp":
            pattern = _detect(prods)
        if n == 0:
            return prods.unravel(np.zeros(0, dtype=prods.dtype))
        if pattern is not None and method != "hvp":
            shape = tuple(getattr(pattern, "shape", np.shape(pattern)))
            if shape != (n, n):
                raise ValueError(
                    f"{name}: sparsity has shape {shape}, the Hessian has shape {(n, n)}"
                )
            colors = diagonal_coloring(pattern)
            seeds = _seeds(colors, prods.dtype)
            if prods.traced:  # entry i of the product with i's color, as a masked sum
                total: Any = 0
                for start in range(0, seeds.shape[0], chunk):
                    s = seeds[start : start + chunk]
                    total = total + (prods(s) * s).sum(axis=0)
                return prods.unravel(total)
            diag = np.empty(n, dtype=prods.dtype)
            for start in range(0, seeds.shape[0], chunk):
                hs = prods(seeds[start : start + chunk])
                idx = np.flatnonzero((colors >= start) & (colors < start + chunk))
                diag[idx] = hs[colors[idx] - start, idx]
            return prods.unravel(diag)
        parts: list[Any] = []
        eye = np.eye(n, dtype=prods.dtype) if n * n <= _CHUNK_FLOATS else None
        for start in range(0, n, chunk):
            k = min(chunk, n - start)
            if eye is not None:
                basis = eye[start : start + k]
            else:
                basis = np.zeros((k, n), dtype=prods.dtype)
                basis[np.arange(k), start + np.arange(k)] = 1
            hb = prods(basis)
            if prods.traced:
                parts.append((hb * basis).sum(axis=1))
            else:
                parts.append(hb[np.arange(k), start + np.arange(k)])
        return prods.unravel(_concat(parts, prods.traced))

    return hessian_diag_f


# ---------------------------------------------------------------------------
# stochastic estimators
# ---------------------------------------------------------------------------


def _check_samples(num_samples: Any, name: str) -> int:
    if not isinstance(num_samples, (int, np.integer)) or isinstance(num_samples, bool):
        raise TypeError(f"{name}: num_samples must be an int, got {num_samples!r}")
    if num_samples < 1:
        raise ValueError(f"{name}: num_samples must be at least 1, got {num_samples}")
    return int(num_samples)


def _probes(rng: np.random.Generator, k: int, n: int, kind: str, dtype: Any) -> np.ndarray:
    """k probes of length n; drawn from doubles in row order, so the stream does
    not depend on how the samples are chunked."""
    if kind == "rademacher":
        return np.where(rng.random((k, n)) < 0.5, -1.0, 1.0).astype(dtype)
    return rng.standard_normal((k, n)).astype(dtype)


def _sample_mean(
    prods: _Products,
    rng: np.random.Generator,
    num: int,
    chunk: int,
    probes: str,
    trace: bool,
    basis: np.ndarray | None = None,
) -> tuple[Any, Any]:
    """Mean and standard error of ``v @ H v`` (trace) or ``v * (H v)`` over
    ``num`` probes, each projected off the columns of ``basis`` if given."""
    n = prods.n
    # running mean and sum of squared deviations, merged chunk by chunk
    # (Chan et al.): no cancellation when the samples nearly agree
    count = 0
    mean: Any = np.zeros(() if trace else n)
    m2: Any = np.zeros(() if trace else n)
    for start in range(0, num, chunk):
        k = min(chunk, num - start)
        V = _probes(rng, k, n, probes, prods.dtype)
        if basis is not None:
            V = V - (V @ basis) @ basis.T
        samples = np.asarray(prods(V)) * V
        if trace:
            samples = samples.sum(axis=1)
        c_mean = samples.mean(axis=0)
        c_m2 = ((samples - c_mean) ** 2).sum(axis=0)
        delta = c_mean - mean
        total = count + k
        mean = mean + delta * (k / total)
        m2 = m2 + c_m2 + delta * delta * (count * k / total)
        count = total
    if num > 1:
        return mean, np.sqrt(m2 / (num - 1) / num)
    return mean, np.full_like(mean, math.nan)


def _products_chunked(prods: _Products, V: np.ndarray, chunk: int) -> np.ndarray:
    return np.concatenate(
        [np.asarray(prods(V[s : s + chunk])) for s in range(0, V.shape[0], chunk)], axis=0
    )


def _estimate(
    f: Callable[..., Any],
    argnums: int,
    num_samples: int,
    seed: int | np.random.Generator | None,
    probes: str,
    chunk_size: int | None,
    name: str,
    trace: bool,
    method: str = "hutchinson",
) -> Callable[..., Estimate]:
    num = _check_samples(num_samples, name)
    if probes not in _PROBES:
        raise ValueError(f"{name}: probes must be one of {_PROBES}, got {probes!r}")
    if method not in _TRACE_METHODS:
        raise ValueError(f"{name}: method must be one of {_TRACE_METHODS}, got {method!r}")
    if method == "hutch++" and num < 3:
        raise ValueError(f"{name}: method='hutch++' needs num_samples >= 3, got {num}")

    @functools.wraps(f)
    def estimate_f(*args: Any) -> Estimate:
        prods = _Products(f, argnums, args, name)
        if prods.traced:
            raise TypeError(f"{name}: the estimate is taken at concrete inputs, not under a trace")
        rng = np.random.default_rng(seed)
        chunk = prods.chunk(chunk_size, name)
        if method == "hutch++":
            # a third of the products sketch H's range, a third take the trace
            # on it exactly, the rest estimate the remainder (Meyer et al. 2021)
            k = min(num // 3, prods.n)
            sketch = _products_chunked(prods, _probes(rng, k, prods.n, probes, prods.dtype), chunk)
            q = np.linalg.qr(sketch.T)[0]
            exact = float(np.sum(_products_chunked(prods, np.ascontiguousarray(q.T), chunk) * q.T))
            mean, stderr = _sample_mean(prods, rng, num - 2 * k, chunk, probes, trace, q)
            return Estimate(exact + float(mean), float(stderr), num)
        mean, stderr = _sample_mean(prods, rng, num, chunk, probes, trace)
        if trace:
            return Estimate(float(mean), float(stderr), num)
        return Estimate(prods.unravel(mean), prods.unravel(stderr), num)

    return estimate_f


def hessian_trace_estimate(
    f: Callable[..., Any],
    argnums: int = 0,
    *,
    num_samples: int,
    seed: int | np.random.Generator | None,
    probes: Literal["rademacher", "gaussian"] = "rademacher",
    chunk_size: int | None = None,
    method: Literal["hutchinson", "hutch++"] = "hutchinson",
) -> Callable[..., Estimate]:
    """Hutchinson's estimate of the trace of ``f``'s Hessian: the mean of
    ``v @ H v`` over ``num_samples`` random probes ``v``.

    Unbiased for either kind of probe; Rademacher probes (entries +-1, the
    default) have the smaller variance (exact for a diagonal Hessian),
    Gaussian ones are rotation-invariant. ``seed`` (an int, a
    ``numpy.random.Generator``, or None for fresh entropy) makes the result
    reproducible, independent of ``chunk_size`` (how many probes go through
    one vectorized Hessian-vector product). Returns an :class:`Estimate`
    ``(value, stderr, num_samples)`` with floats; the error falls as
    ``1/sqrt(num_samples)``.

    ``method="hutch++"`` (Meyer, Musco, Musco and Woodruff) spends a third of
    the ``num_samples`` products on a sketch of H's range, a third on the
    trace over that range (exact), and the rest on Hutchinson's estimate of
    the remainder: far smaller errors when a few eigenvalues dominate
    (``stderr`` is the remainder's).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> est = hessian_trace_estimate(lambda x: fnp.sum(x ** 4), num_samples=10, seed=0)
    >>> value, stderr, _ = est(np.array([1.0, 2.0]))
    >>> value, stderr  # a diagonal Hessian: exact with Rademacher probes
    (60.0, 0.0)
    """
    return _estimate(
        f, argnums, num_samples, seed, probes, chunk_size, "hessian_trace_estimate", True, method
    )


def hessian_diag_estimate(
    f: Callable[..., Any],
    argnums: int = 0,
    *,
    num_samples: int,
    seed: int | np.random.Generator | None,
    probes: Literal["rademacher", "gaussian"] = "rademacher",
    chunk_size: int | None = None,
) -> Callable[..., Estimate]:
    """The estimate of Bekas, Kokiopoulou and Saad of the diagonal of ``f``'s
    Hessian: the mean of ``v * (H v)`` over ``num_samples`` random probes.

    Entry i is ``H_ii`` plus noise from row i's off-diagonal entries (exact for
    a diagonal Hessian with Rademacher probes). Arguments as in
    :func:`hessian_trace_estimate`; ``value`` and ``stderr`` of the returned
    :class:`Estimate` have the shape of argument ``argnums``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> est = hessian_diag_estimate(lambda x: fnp.sum(x ** 4), num_samples=4, seed=0)
    >>> est(np.array([1.0, 2.0])).value
    array([12., 48.])
    """
    return _estimate(
        f, argnums, num_samples, seed, probes, chunk_size, "hessian_diag_estimate", False
    )


__all__ = [
    "Estimate",
    "diagonal_coloring",
    "hessian_diag",
    "hessian_diag_estimate",
    "hessian_trace_estimate",
]
