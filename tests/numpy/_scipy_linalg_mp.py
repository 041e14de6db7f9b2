"""mpmath references (50 digits) for the primitives of
``funcdiff.scipy.linalg``: ``MP_SCIPY_LINALG[name](*args, **params)`` takes
object arrays of mpf (stacks of matrices) and returns the list of outputs
(the form of ``tests/transforms/test_higher_order.py``'s ``MP_LINALG``
table)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mpmath as mp
import numpy as np


def _M(a: np.ndarray) -> Any:
    return mp.matrix(a.tolist())


def _A(m: Any) -> np.ndarray:
    return np.array(m.tolist(), dtype=object)


def _per_matrix(fn: Callable[..., list[np.ndarray]]) -> Callable[..., list[Any]]:
    """Apply ``fn`` over the leading batch axes of its operands."""

    def apply(*args: Any, **params: Any) -> list[Any]:
        args = tuple(np.asarray(a, dtype=object) for a in args)
        batch = np.shape(args[0])[:-2]
        results = [fn(*(a[i] for a in args), **params) for i in np.ndindex(batch)]
        outs = []
        for k in range(len(results[0])):
            parts = [np.asarray(r[k], dtype=object) for r in results]
            outs.append(np.stack(parts).reshape(batch + parts[0].shape))
        return outs

    return apply


def _sylvester(a: np.ndarray, b: np.ndarray, q: np.ndarray) -> list[np.ndarray]:
    """a x + x b = q through the Kronecker form (I kron a + b^T kron I) vec(x) = vec(q)."""
    n, m = q.shape
    k = np.zeros((n * m, n * m), dtype=object)
    k[:] = mp.mpf(0)
    for j in range(m):  # column-major vec: x[:, j] is block j
        for i in range(n):
            for r in range(n):
                k[j * n + i, j * n + r] += a[i, r]
            for c in range(m):
                k[j * n + i, c * n + i] += b[c, j]
    vec = _M(q.T.reshape(-1, 1))
    x = _A(mp.lu_solve(_M(k), vec)).reshape(m, n).T
    return [x]


def _lu(a: np.ndarray) -> list[np.ndarray]:
    """Doolittle elimination with the pivots chosen on float64 values (the
    pivots are piecewise constant, so the derivative is that of the
    unpivoted factorization of the permuted matrix)."""
    m, n = a.shape
    k = min(m, n)
    w = a.copy()
    perm = list(range(m))
    for j in range(k):
        p = j + int(np.argmax(np.abs(w[j:, j].astype(float))))
        w[[j, p]] = w[[p, j]]
        perm[j], perm[p] = perm[p], perm[j]
        if w[j, j] != 0:
            for i in range(j + 1, m):
                w[i, j] = w[i, j] / w[j, j]
        for i in range(j + 1, m):
            for c in range(j + 1, n):
                w[i, c] = w[i, c] - w[i, j] * w[j, c]
    zero, one = mp.mpf(0), mp.mpf(1)
    lower = np.array(
        [[w[i, c] if c < i else (one if c == i else zero) for c in range(k)] for i in range(m)],
        dtype=object,
    ).reshape(m, k)
    upper = np.array(
        [[w[i, c] if c >= i else zero for c in range(n)] for i in range(k)], dtype=object
    ).reshape(k, n)
    pmat = np.full((m, m), zero, dtype=object)
    for i, r in enumerate(perm):
        pmat[r, i] = one
    return [pmat, lower, upper]


MP_SCIPY_LINALG: dict[str, Callable[..., list[Any]]] = {
    "expm": _per_matrix(lambda a: [_A(mp.expm(_M(a)))]),
    "logm": _per_matrix(lambda a: [_A(mp.logm(_M(a)))]),
    "sqrtm": _per_matrix(lambda a: [_A(mp.sqrtm(_M(a)))]),
    "solve_sylvester": _per_matrix(_sylvester),
    "lu": _per_matrix(_lu),
}
