"""Derivatives of order 1 to 4, in every mode, against mpmath.

Every case is a scalar function ``F`` of an array ``z``, a point ``z0`` and a
direction ``v``. The k-th derivative of ``g(t) = F(z0 + t v)`` at ``t = 0`` is
the k-th directional derivative of ``F``; funcdiff computes it four ways, so
a rule that is wrong in one mode only shows:

- ``rev``: ``grad`` nested k times;
- ``fwd``: ``jvp`` of ``jvp`` ... (k nested forward passes);
- ``fwdrev``: ``jacrev`` then ``jacfwd`` alternately (``jacfwd(jacrev(...))``,
  the composition ``hessian`` uses), k levels;
- ``hessian``: on ``z`` itself: ``grad(F).v`` (order 1), ``v^T hessian(F) v``
  (order 2), the ``jvp`` along ``v`` of that contraction (order 3), and
  ``v^T hessian(z -> v^T hessian(F)(z) v) v`` (order 4).

The reference is mpmath: an mpmath re-implementation of each function (a
table below), evaluated on ``z0 + t v`` in 50-digit arithmetic, expanded by
``mpmath.taylor`` (numerical differentiation at ~1000 bits with steps of
2**-180, so it is exact to far more digits than float64 has, even 1e-10 from
a singularity). The value (order 0) is compared too, which checks each
reference implementation against funcdiff's numpy value.

Cases:

- ``REG/...``: every primitive in the registry (every family imported), on
  the sweep's own samples (``prim.samples``), through
  ``F(args) = sum_k sum(w_k * sin(out_k))`` so linear primitives are
  differentiated through a non-linearity at every order. Gauge-dependent
  outputs (eigenvectors, singular vectors, QR factors) are read out through
  gauge-invariant products. Piecewise-constant primitives must give exact
  zeros at every order, in every mode.
- ``SP/...``: ``funcdiff.numpy`` / ``funcdiff.nn`` functions at special points:
  0, +-1, ties and equal arguments, integer and zero exponents, near domain
  edges, large and small magnitudes; plus generic points.
- ``test_kink_conventions``: where the derivative does not exist, the value
  documented in ``docs/conventions.md`` (one table), and smooth compositions
  through the kink.

Tolerance (float64): ``|got - ref| <= rtol_k * max(|ref_k|, S)`` with
``S = max_j |g^(j)(0)|`` over orders 0..4 (the scale of the Taylor data of
``g``: derivatives that are 0, or tiny next to the value as for ``tanh`` at
10, cannot be computed to better relative accuracy than the value).
``rtol`` is 1e-9 for orders 1-2 and 1e-8 / 1e-7 for orders 3 / 4: each
nesting differentiates rules that already carry rounding error, and the
k-th derivative of a composition is a sum of Faa di Bruno products whose
terms can be much larger than their sum (e.g. ``sin(u)/u`` near 0, ``x**y``
with both moving). Every failure below 1e-7 that was looked at was a real
bug, not rounding. Float32 samples use 2e-5 throughout.
"""

from __future__ import annotations

import functools
import itertools
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest

import funcdiff as fd
import funcdiff.nn as nn
import funcdiff.numpy as fnp
from funcdiff.core.ir import ClosedJaxpr, Jaxpr, Literal
from funcdiff.core.primitive import REGISTRY, Primitive, load_families
from funcdiff.core.trace import bind

load_families()  # every family registers its primitives

mpmath.mp.dps = 50
MPF = mpmath.mpf
MODES = ("rev", "fwd", "fwdrev", "hessian")
RTOL = {0: 1e-12, 1: 1e-9, 2: 1e-9, 3: 1e-8, 4: 1e-7}
RTOL32 = 2e-5

HARNESS_RANGE = (
    "the test's own contraction sum(H * outer(v, v)) overflows (v ~ 1e200: 1e400) or "
    "underflows (1e-400) in float64; funcdiff's Hessian itself is right there"
)


# ---------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------


@dataclass(eq=False)
class Case:
    """``F`` (funcdiff) and ``F_mp`` (mpmath) of ``z``; derivatives of
    ``t -> F(z0 + t v)`` at 0. A 0-d ``z0`` with ``v = 1`` differentiates ``F``
    itself at ``z0`` (no ``z0 + t`` in between), as a user would."""

    id: str
    fd_fun: Callable[[Any], Any]
    mp_fun: Callable[[Any], Any]
    z0: np.ndarray
    v: np.ndarray
    rtol32: bool = False
    #: mode (or "*") -> reason, for known bugs (strict xfail)
    xfail: dict[str, str] = field(default_factory=dict)
    #: orders checked (a C^2 function at a point is checked to order 2 only)
    orders: tuple[int, ...] = (0, 1, 2, 3, 4)

    @property
    def direct(self) -> bool:
        return self.z0.ndim == 0 and float(self.v) == 1.0


def _mp_obj(x: Any) -> np.ndarray:
    """A float array as an object array of exact mpf (ints, bools unchanged)."""
    a = np.asarray(x)
    if a.dtype.kind != "f":
        return a
    out = np.empty(a.shape, dtype=object)
    for i in np.ndindex(a.shape):
        out[i] = MPF(float(a[i]))
    return out


_REFERENCES: dict[str, tuple[float, ...]] = {}


def reference(case: Case) -> tuple[float, ...]:
    """g(0), g'(0), ..., g''''(0) from mpmath (cached per case: modes share it)."""
    if case.id in _REFERENCES:
        return _REFERENCES[case.id]
    if case.direct:
        x0 = MPF(float(case.z0))

        def g(t: Any) -> Any:
            return case.mp_fun(x0 + t)
    else:
        z0, v = _mp_obj(case.z0), _mp_obj(case.v)

        def g(t: Any) -> Any:
            return case.mp_fun(z0 + v * t)

    coeffs = mpmath.taylor(g, 0, 4, chop=False)
    _REFERENCES[case.id] = tuple(float(c * math.factorial(k)) for k, c in enumerate(coeffs))
    return _REFERENCES[case.id]


def _contract(h: Any, v: np.ndarray) -> Any:
    """``v^T H v`` for ``H`` of shape ``v.shape + v.shape`` (funcdiff ops)."""
    return fnp.sum(h * np.multiply.outer(v, v))


def derivatives(case: Case, mode: str) -> list[float]:
    """g(0), g'(0), ..., g''''(0) computed by funcdiff in ``mode``."""
    F, z0, v = case.fd_fun, case.z0, case.v
    out = [float(F(z0))]
    if mode == "hessian":
        vv = v.astype(z0.dtype)
        first = lambda z: fnp.sum(fd.grad(F)(z) * vv)  # noqa: E731
        second = lambda z: _contract(fd.hessian(F)(z), vv)  # noqa: E731
        third = lambda z: fd.jvp(second, (z,), (vv,))[1]  # noqa: E731
        fourth = lambda z: _contract(fd.hessian(second)(z), vv)  # noqa: E731
        return out + [float(d(z0)) for d in (first, second, third, fourth)]
    if case.direct:
        g: Callable[[Any], Any] = F
        t0: Any = z0
    else:
        g = lambda t: F(fnp.add(z0, fnp.multiply(t, v.astype(z0.dtype))))  # noqa: E731
        t0 = np.zeros((), z0.dtype)
    for k in range(1, 5):
        if mode == "rev":
            g = fd.grad(g)
        elif mode == "fwd":
            g = functools.partial(_fwd_derivative, g)
        else:  # fwdrev: jacrev innermost, then jacfwd, ...
            g = (fd.jacrev if k % 2 else fd.jacfwd)(g)
        out.append(float(g(t0)))
    return out


def _fwd_derivative(g: Callable[[Any], Any], t: Any) -> Any:
    return fd.jvp(g, (t,), (fnp.ones_like(t),))[1]


def check_case(case: Case, mode: str) -> None:
    ref = reference(case)
    with np.errstate(all="ignore"):
        got = derivatives(case, mode)
    scale = max(abs(r) for r in ref)
    bad = []
    for k in case.orders:
        tol = (RTOL32 if case.rtol32 else RTOL[k]) * max(abs(ref[k]), scale)
        if not abs(got[k] - ref[k]) <= tol:
            bad.append(f"order {k}: funcdiff {got[k]!r}, mpmath {ref[k]!r} (tol {tol:.2g})")
    assert not bad, f"{case.id} [{mode}]:\n  " + "\n  ".join(bad)


def _params(cases: list[Case]) -> list[Any]:
    out = []
    for case in cases:
        for mode in MODES:
            reason = case.xfail.get(mode, case.xfail.get("*"))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(case, mode, id=f"{case.id}-{mode}", marks=marks))
    return out


# ---------------------------------------------------------------------------
# mpmath versions of the primitives (the registry sweep's reference)
# ---------------------------------------------------------------------------


def _vec(fn: Callable[..., Any], nin: int = 1) -> Callable[..., Any]:
    uf = np.frompyfunc(fn, nin, 1)

    def apply(*xs: Any, **_: Any) -> Any:
        return np.asarray(uf(*xs), dtype=object)

    return apply


def _mp_cbrt(x: Any) -> Any:
    return mpmath.sign(x) * mpmath.cbrt(abs(x))


MP_ELEMENTWISE: dict[str, Callable[..., Any]] = {
    "neg": _vec(lambda x: -x),
    "exp": _vec(mpmath.exp),
    "log": _vec(mpmath.log),
    "log1p": _vec(mpmath.log1p),
    "expm1": _vec(mpmath.expm1),
    "sqrt": _vec(mpmath.sqrt),
    "cbrt": _vec(_mp_cbrt),
    "sin": _vec(mpmath.sin),
    "cos": _vec(mpmath.cos),
    "tan": _vec(mpmath.tan),
    "asin": _vec(mpmath.asin),
    "acos": _vec(mpmath.acos),
    "atan": _vec(mpmath.atan),
    "sinh": _vec(mpmath.sinh),
    "cosh": _vec(mpmath.cosh),
    "tanh": _vec(mpmath.tanh),
    "asinh": _vec(mpmath.asinh),
    "acosh": _vec(mpmath.acosh),
    "atanh": _vec(mpmath.atanh),
    "abs": _vec(abs),
    "logistic": _vec(lambda x: 1 / (1 + mpmath.exp(-x))),
    "add": _vec(lambda x, y: x + y, 2),
    "sub": _vec(lambda x, y: x - y, 2),
    "mul": _vec(lambda x, y: x * y, 2),
    "div": _vec(lambda x, y: x / y, 2),
    "pow": _vec(lambda x, y: mpmath.power(x, y), 2),
    "max": _vec(max, 2),
    "min": _vec(min, 2),
    "atan2": _vec(mpmath.atan2, 2),
    "rem": _vec(lambda x, y: x - y * mpmath.floor(x / y), 2),
}

# funcdiff.scipy.special's primitives: their mpmath references live beside their tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "numpy"))
from _special_mp import MP_SPECIAL, mp_vec  # noqa: E402

MP_ELEMENTWISE.update({n: mp_vec(n) for n in MP_SPECIAL})

#: linear / structural primitives: numpy's own impl is exact on object arrays
#: of mpf (it only moves, sums and multiplies entries)
MP_BY_IMPL = {
    "add_into_slice",
    "broadcast_in_dim",
    "concatenate",
    "cumsum",
    "dot_general",
    "gather",
    "integer_pow",
    "pad",
    "reduce_max",
    "reduce_min",
    "reduce_sum",
    "reshape",
    "rev",
    "scatter_add",
    "select",
    "slice",
    "transpose",
}


def _matrices(fn: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    """Apply ``fn`` (mpmath matrices in, object arrays out) over leading batch axes."""

    def apply(*args: Any, **params: Any) -> list[Any]:
        batch = np.shape(args[0])[:-2]
        results = [fn(*(a[i] for a in args), **params) for i in np.ndindex(batch)]
        outs = []
        for k in range(len(results[0])):
            parts = [np.asarray(r[k], dtype=object) for r in results]
            outs.append(np.stack(parts).reshape(batch + parts[0].shape))
        return outs

    return apply


def _M(a: np.ndarray) -> Any:
    return mpmath.matrix(a.tolist())


def _A(m: Any) -> np.ndarray:
    return np.array(m.tolist(), dtype=object)


def _mp_det(a: Any) -> list[Any]:
    return [mpmath.det(_M(a))]


def _mp_slogdet(a: Any) -> list[Any]:
    d = mpmath.det(_M(a))
    return [mpmath.sign(d), mpmath.log(abs(d))]


def _mp_solve(a: Any, b: Any) -> list[Any]:
    return [_A(mpmath.inverse(_M(a)) * _M(b))]


def _mp_triangular_solve(
    a: Any, b: Any, *, left_side: bool, lower: bool, transpose_a: bool, unit_diagonal: bool
) -> list[Any]:
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        t = t.copy()
        for i in range(t.shape[0]):
            t[i, i] = MPF(1)
    if transpose_a:
        t = t.T
    inv = mpmath.inverse(_M(t))
    return [_A(inv * _M(b) if left_side else _M(b) * inv)]


def _mp_cholesky(a: Any) -> list[Any]:
    return [_A(mpmath.cholesky(_M(a)))]


def _mp_eigh(a: Any, *, lower: bool) -> list[Any]:
    t = np.tril(a) if lower else np.triu(a)  # eigh reads one triangle
    w, q = mpmath.eigsy(_M(t + np.triu(t.T, 1) if lower else t + np.tril(t.T, -1)))
    w, q = _A(w).reshape(-1), _A(q)
    order = np.argsort(w.astype(float))
    return [w[order], q[:, order]]


def _mp_svd(a: Any, *, full_matrices: bool, compute_uv: bool) -> list[Any]:
    u, s, vt = mpmath.svd_r(_M(a))
    u, s, vt = _A(u), _A(s).reshape(-1), _A(vt)
    order = np.argsort(-s.astype(float))
    s, u, vt = s[order], u[:, order], vt[order, :]
    return [u, s, vt] if compute_uv else [s]


def _mp_qr(a: Any) -> list[Any]:
    """Gram-Schmidt (twice) in 50 digits; signs differ from LAPACK's, so the
    test reads Q and R out through sign-invariant products."""
    m, n = a.shape
    k = min(m, n)
    q = np.empty((m, k), dtype=object)
    for j in range(k):
        col = a[:, j].copy()
        for _ in range(2):
            for i in range(j):
                col = col - q[:, i] * np.dot(q[:, i], col)
        q[:, j] = col / mpmath.sqrt(np.dot(col, col))
    return [q, q.T @ a]


def _mp_pinv(a: Any, *, rcond: float) -> list[Any]:
    m, n = a.shape
    A = _M(a)
    if m >= n:
        return [_A(mpmath.inverse(A.T * A) * A.T)]
    return [_A(A.T * mpmath.inverse(A * A.T))]


def _mp_cofactor(*args: Any, normalized: bool) -> list[Any]:
    """d^(k+1) det(a)[e_1..e_k, x] as a matrix G (<G, x>), exactly: det is
    multilinear in the columns, so the mixed derivative is the sum, over
    ordered choices of k + 1 distinct columns, of det(a) with column c_l taken
    from the l-th direction. Leading axes broadcast."""
    batch = np.broadcast_shapes(*(np.shape(x)[:-2] for x in args))
    args = tuple(
        np.broadcast_to(np.asarray(x, dtype=object), batch + np.shape(x)[-2:]) for x in args
    )
    out = np.empty(batch + np.shape(args[0])[-2:], dtype=object)
    for b in np.ndindex(batch):
        a, *dirs = (x[b] for x in args)
        n = a.shape[-1]
        for i in range(n):
            for j in range(n):
                e = np.full((n, n), MPF(0), dtype=object)
                e[i, j] = MPF(1)
                total = MPF(0)
                for cols in itertools.permutations(range(n), len(dirs) + 1):
                    m = a.copy()
                    for x, c in zip([*dirs, e], cols, strict=True):
                        m[:, c] = x[:, c]
                    total += mpmath.det(_M(m))
                out[(*b, i, j)] = total / mpmath.det(_M(a)) if normalized else total
    return [out]


def _mp_sparse_solve(data: Any, b: Any, *, pattern: Any, transpose: bool) -> list[Any]:
    """The dense matrix of the pattern in 50 digits, solved (leading axes broadcast)."""
    batch = np.broadcast_shapes(np.shape(data)[:-1], np.shape(b)[:-1])
    data = np.broadcast_to(np.asarray(data, dtype=object), (*batch, np.shape(data)[-1]))
    b = np.broadcast_to(np.asarray(b, dtype=object), (*batch, np.shape(b)[-1]))
    out = np.empty((*batch, pattern.n), dtype=object)
    for i in np.ndindex(batch):
        a = np.full((pattern.n, pattern.n), MPF(0), dtype=object)
        for k, (r, c) in enumerate(zip(pattern.rows, pattern.cols, strict=True)):
            a[r, c] += data[i][k]
        if transpose:
            a = a.T
        out[i] = _A(mpmath.inverse(_M(a)) * _M(b[i].reshape(-1, 1))).reshape(-1)
    return [out]


MP_LINALG: dict[str, Callable[..., list[Any]]] = {
    "sparse_solve": _mp_sparse_solve,
    "cofactor": _mp_cofactor,
    "det": _matrices(_mp_det),
    "slogdet": _matrices(_mp_slogdet),
    "solve": _matrices(_mp_solve),
    "triangular_solve": _matrices(_mp_triangular_solve),
    "cholesky": _matrices(_mp_cholesky),
    "eigh": _matrices(_mp_eigh),
    "svd": _matrices(_mp_svd),
    "qr": _matrices(_mp_qr),
    "pinv": _matrices(_mp_pinv),
}

# funcdiff.scipy.linalg's primitives: their mpmath references live beside their tests
from _scipy_linalg_mp import MP_SCIPY_LINALG  # noqa: E402

MP_LINALG.update(MP_SCIPY_LINALG)


def _mp_eval_jaxpr(jaxpr: Jaxpr, consts: list[Any], args: list[Any]) -> list[Any]:
    """Evaluate a jaxpr on object arrays of mpf, one equation at a time."""
    env: dict[Any, Any] = dict(zip(jaxpr.constvars, [_mp_obj(c) for c in consts], strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))

    def read(x: Any) -> Any:
        return _mp_obj(x.val) if isinstance(x, Literal) else env[x]

    for eqn in jaxpr.eqns:
        outs = mp_bind(eqn.primitive, [read(x) for x in eqn.invars], eqn.params)
        for var, val in zip(eqn.outvars, outs, strict=True):
            dt = var.aval.dtype
            env[var] = val if dt.kind == "f" else np.asarray(val).astype(dt)
    return [read(x) for x in jaxpr.outvars]


def _closed(c: ClosedJaxpr, args: list[Any]) -> list[Any]:
    return _mp_eval_jaxpr(c.jaxpr, list(c.consts), args)


def _mp_cond(index: Any, *args: Any, branches: tuple[ClosedJaxpr, ...]) -> list[Any]:
    i = min(max(int(index), 0), len(branches) - 1)
    return _closed(branches[i], list(args))


def _mp_scan(
    *args: Any, jaxpr: ClosedJaxpr, num_consts: int, num_carry: int, length: int, reverse: bool
) -> list[Any]:
    consts = list(args[:num_consts])
    carry = list(args[num_consts : num_consts + num_carry])
    xs = list(args[num_consts + num_carry :])
    ys: list[list[Any]] = []
    for i in range(length - 1, -1, -1) if reverse else range(length):
        outs = _closed(jaxpr, [*consts, *carry, *[np.asarray(x)[i] for x in xs]])
        carry, y = outs[:num_carry], outs[num_carry:]
        ys.append(y)
    if reverse:
        ys.reverse()
    stacked = [np.stack([np.asarray(y[k]) for y in ys]) for k in range(len(ys[0]))]
    return carry + stacked


def _mp_while(
    *args: Any,
    cond_jaxpr: ClosedJaxpr,
    body_jaxpr: ClosedJaxpr,
    cond_nconsts: int,
    body_nconsts: int,
) -> list[Any]:
    cc = list(args[:cond_nconsts])
    bc = list(args[cond_nconsts : cond_nconsts + body_nconsts])
    carry = list(args[cond_nconsts + body_nconsts :])
    while bool(_closed(cond_jaxpr, [*cc, *carry])[0]):
        carry = _closed(body_jaxpr, [*bc, *carry])
    return carry


def _mp_custom_jvp(
    *ops: Any, call_jaxpr: ClosedJaxpr, num_consts: int, num_jvp_consts: int, **_: Any
) -> list[Any]:
    xs = list(ops[num_consts + num_jvp_consts :])
    return _closed(call_jaxpr, [*ops[:num_consts], *xs])


def _mp_custom_vjp(
    *ops: Any, fwd_jaxpr: ClosedJaxpr, num_consts: int, num_bwd_consts: int, **_: Any
) -> list[Any]:
    xs = list(ops[num_consts + num_bwd_consts :])
    return _closed(fwd_jaxpr, [*ops[:num_consts], *xs])


def _mp_checkpoint(*args: Any, jaxpr: ClosedJaxpr, name: str) -> list[Any]:
    return _closed(jaxpr, list(args))


MP_CONTROL: dict[str, Callable[..., list[Any]]] = {
    "cond": _mp_cond,
    "scan": _mp_scan,
    "while": _mp_while,
    "custom_jvp_call": _mp_custom_jvp,
    "custom_vjp_call": _mp_custom_vjp,
    "checkpoint_call": _mp_checkpoint,
}


def _to_float(x: Any) -> Any:
    a = np.asarray(x)
    return a.astype(np.float64) if a.dtype == object else a


def mp_bind(prim: Primitive, args: list[Any], params: dict[str, Any]) -> list[Any]:
    """The mpmath value of ``prim`` on ``args``, as a list of outputs."""
    name = prim.name
    if name in MP_ELEMENTWISE:
        return [MP_ELEMENTWISE[name](*args)]
    if name in MP_BY_IMPL:
        out = prim.impl(*args, **params)
        return list(out) if prim.multiple_results else [out]
    if name in MP_LINALG:
        return MP_LINALG[name](*args, **params)
    if name in MP_CONTROL:
        return MP_CONTROL[name](*args, **params)
    if name == "convert_element_type":  # rounding to float32 is not differentiated
        return [args[0]]
    if prim.zero_derivative:  # piecewise constant: the float64 value is exact nearby
        out = prim.impl(*[_to_float(a) for a in args], **params)
        return list(out) if prim.multiple_results else [out]
    raise KeyError(f"no mpmath reference for primitive {name!r}: add one to this table")


# ---------------------------------------------------------------------------
# REG: every primitive on its sweep samples
# ---------------------------------------------------------------------------

#: inputs that must stay symmetric along the path (the rule reads one triangle)
SYMMETRIC_INPUT = {"cholesky", "eigh"}


def _readout_fd(name: str, params: dict[str, Any], outs: list[Any]) -> list[Any]:
    """Gauge-invariant functions of the outputs (funcdiff or object arrays alike)."""
    if name == "eigh":
        w, q = outs
        return [w, q[..., :, None, :] * q[..., None, :, :]]
    if name == "svd" and params["compute_uv"]:
        u, s, vt = outs
        k = s.shape[-1]
        return [s, u[..., :, :k, None] * vt[..., None, :k, :]]
    if name == "qr":
        q, r = outs
        k = min(q.shape[-1], r.shape[-2])
        return [
            q[..., :, :k, None] * r[..., None, :k, :],
            r[..., :k, :, None] * r[..., :k, None, :],
        ]
    return outs


def _tied(name: str, args: tuple[Any, ...], params: dict[str, Any]) -> list[tuple[int, int]]:
    """Operand pairs that are one value: a custom rule's copy of a closed-over
    constant (``cj``/``cb``) is the function's copy (``cf``) and moves with it;
    perturbing one alone is no function of anything."""
    if name not in ("custom_jvp_call", "custom_vjp_call"):
        return []
    n = params["num_consts"]
    m = params["num_jvp_consts" if name == "custom_jvp_call" else "num_bwd_consts"]
    pairs = []
    for j in range(n, n + m):
        same = [i for i in range(n) if np.array_equal(args[i], args[j])]
        assert same, f"{name}: rule constant {j} is not one of the function's constants"
        pairs.append((same[0], j))
    return pairs


def _registry_case(name: str, s: int, args: tuple[Any, ...], params: dict[str, Any]) -> Case:
    prim = REGISTRY[name]
    rng = np.random.default_rng([s, *name.encode()])
    pos = [i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f"]
    shapes = [np.shape(args[i]) for i in pos]
    dtypes = [np.asarray(args[i]).dtype for i in pos]
    z0 = np.concatenate([np.asarray(args[i], np.float64).reshape(-1) for i in pos])
    dirs: dict[int, np.ndarray] = {}
    for i in pos:
        d = rng.normal(size=np.shape(args[i]))
        if name in SYMMETRIC_INPUT:
            d = d + np.swapaxes(d, -1, -2)
        dirs[i] = d.reshape(-1)
    for i, j in _tied(name, args, params):
        dirs[j] = dirs[i]
    v = np.concatenate([dirs[i] for i in pos])
    raw = prim.impl(*args, **params)
    outs = list(raw) if prim.multiple_results else [raw]
    f32 = any(np.asarray(o).dtype == np.float32 for o in outs) or np.float32 in dtypes
    weights = [
        rng.uniform(0.5, 1.5, np.shape(o))
        for o in _readout_fd(name, params, [_mp_obj(o) for o in outs])
    ]

    def fd_fun(z: Any) -> Any:
        full, start = list(args), 0
        for i, shape, dt in zip(pos, shapes, dtypes, strict=True):
            n = math.prod(shape)
            piece = fnp.reshape(z[start : start + n], shape)
            full[i] = piece.astype(dt) if dt != np.float64 else piece
            start += n
        out = bind(prim, *full, **params)
        outs = _readout_fd(name, params, list(out) if prim.multiple_results else [out])
        total: Any = 0.0
        for o, w in zip(outs, weights, strict=True):
            total = total + fnp.sum(fnp.multiply(w, fnp.sin(fnp.asarray(o).astype(np.float64))))
        return total

    def mp_fun(z: Any) -> Any:
        full, start = list(args), 0
        for i, shape in zip(pos, shapes, strict=True):
            n = math.prod(shape)
            full[i] = np.asarray(z[start : start + n]).reshape(shape)
            start += n
        outs = _readout_fd(name, params, mp_bind(prim, full, params))
        total = MPF(0)
        for o, w in zip(outs, weights, strict=True):
            o = np.asarray(o)
            flat = o.reshape(-1) if o.dtype == object else o.astype(float).reshape(-1)
            total += mpmath.fsum(
                MPF(float(wi)) * mpmath.sin(oi) for wi, oi in zip(w.reshape(-1), flat, strict=True)
            )
        return total

    return Case(f"REG/{name}/{s}", fd_fun, mp_fun, z0, v, rtol32=f32)


def _registry_cases() -> tuple[list[Case], list[tuple[str, Case]]]:
    smooth: list[Case] = []
    zero: list[tuple[str, Case]] = []
    for name in sorted(REGISTRY):
        prim = REGISTRY[name]
        for s, (args, params) in enumerate(prim.samples(np.random.default_rng(0))):
            if not any(np.asarray(a).dtype.kind == "f" for a in args):
                continue
            case = _registry_case(name, s, args, params)
            (zero.append((name, case)) if prim.zero_derivative else smooth.append(case))
    return smooth, zero


LIBRARY_PRIMITIVES = dict(REGISTRY)
REG_CASES, ZERO_CASES = _registry_cases()


def test_every_primitive_is_covered() -> None:
    covered = {c.id.split("/")[1] for c in REG_CASES} | {n for n, _ in ZERO_CASES}
    # the library's primitives (other tests may register more, later)
    with_float_samples = {
        n
        for n, p in LIBRARY_PRIMITIVES.items()
        if any(
            np.asarray(a).dtype.kind == "f"
            for args, _ in p.samples(np.random.default_rng(0))
            for a in args
        )
    }
    assert with_float_samples <= covered, sorted(with_float_samples - covered)
    assert len(with_float_samples) > 60


@pytest.mark.parametrize(("case", "mode"), _params(REG_CASES))
def test_registry_higher_order(case: Case, mode: str) -> None:
    check_case(case, mode)


@pytest.mark.parametrize("case", [c for _, c in ZERO_CASES], ids=lambda c: c.id)
def test_piecewise_constant_primitives_have_zero_derivatives(case: Case) -> None:
    for mode in MODES:
        got = derivatives(case, mode)
        assert got[1:] == [0.0, 0.0, 0.0, 0.0], f"{case.id} [{mode}]: {got[1:]}"


# ---------------------------------------------------------------------------
# SP: funcdiff.numpy / funcdiff.nn functions at special and generic points
# ---------------------------------------------------------------------------

mp = mpmath


def _xfail_for(table: dict[Any, Any] | None, key: Any) -> dict[str, str]:
    """``table[key]`` is a reason (every mode) or ``(reason, modes)``."""
    if not table or key not in table:
        return {}
    entry = table[key]
    if entry is None:
        return {}
    if isinstance(entry, str):
        return {"*": entry}
    reason, modes = entry
    return {m: reason for m in modes}


def _scalar(
    name: str,
    fd_f: Callable[[Any], Any],
    mp_f: Callable[[Any], Any],
    points: list[float],
    xfail: dict[Any, Any] | None = None,
) -> list[Case]:
    return [
        Case(
            f"SP/{name}@{x!r}",
            fd_f,
            mp_f,
            np.asarray(x, dtype=np.float64),
            np.asarray(1.0),
            xfail=_xfail_for(xfail, x),
        )
        for x in points
    ]


def _binary(
    name: str,
    fd_f: Callable[[Any, Any], Any],
    mp_f: Callable[[Any, Any], Any],
    points: list[tuple[tuple[float, float], tuple[float, float]]],
    xfail: dict[Any, Any] | None = None,
) -> list[Case]:
    """Directional derivatives of f(x, y) at (x, y) along (vx, vy)."""
    return [
        Case(
            f"SP/{name}@{p!r}+t{d!r}",
            lambda z, f=fd_f: f(z[0], z[1]),
            lambda z, f=mp_f: f(z[0], z[1]),
            np.asarray(p, dtype=np.float64),
            np.asarray(d, dtype=np.float64),
            xfail=_xfail_for(xfail, (p, d)),
        )
        for p, d in points
    ]


_W = np.array([0.7, -1.3, 0.4, 1.1, -0.6, 0.9])


def _weighted(f: Callable[[Any], Any], z: Any) -> Any:
    y = f(z)
    return fnp.sum(fnp.multiply(_W[: y.shape[0]], y))


def _array(
    name: str,
    fd_f: Callable[[Any], Any],
    mp_f: Callable[[Any], Any],
    points: list[list[float]],
    *,
    weighted: bool = False,
    xfail: dict[int, str] | None = None,
) -> list[Case]:
    """Directional derivatives of ``F(z) = f(z)`` (scalar f) or ``w . f(z)``."""
    out = []
    for k, p in enumerate(points):
        z0 = np.asarray(p, dtype=np.float64)
        v = np.random.default_rng([k, *name.encode()]).normal(size=z0.shape)
        if weighted:
            fd_fun = functools.partial(_weighted, fd_f)
            mp_fun = lambda z, f=mp_f: mp.fsum(  # noqa: E731
                MPF(float(w)) * y for w, y in zip(_W, f(z), strict=False)
            )
        else:
            fd_fun, mp_fun = fd_f, mp_f
        out.append(Case(f"SP/{name}@{p!r}", fd_fun, mp_fun, z0, v, xfail=_xfail_for(xfail, k)))
    return out


def _softplus(x: Any) -> Any:
    return mp.log1p(mp.exp(x))


def _mp_vec(f: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    return lambda z: [f(zi) for zi in z]


def _mp_logsumexp(z: Any) -> Any:
    return mp.log(mp.fsum(mp.exp(zi) for zi in z))


def _mp_var(z: Any) -> Any:
    m = mp.fsum(z) / len(z)
    return mp.fsum((zi - m) ** 2 for zi in z) / len(z)


def _mp_cumprod(z: Any) -> list[Any]:
    out, acc = [], MPF(1)
    for zi in z:
        acc = acc * zi
        out.append(acc)
    return out


SQ2PI = math.sqrt(2.0 / math.pi)  # the float constant funcdiff.nn uses

SP_CASES: list[Case] = [
    # -- elementwise, unary ---------------------------------------------------
    *_scalar("exp", fnp.exp, mp.exp, [0.0, 1.0, -1.0, 50.0, -50.0, 1e-8]),
    *_scalar("log", fnp.log, mp.log, [1.0, 0.5, 1e-8, 1e3, 1e100]),
    *_scalar("log1p", fnp.log1p, mp.log1p, [0.0, 1e-10, -0.5, -1 + 1e-6, 1e3]),
    *_scalar("expm1", fnp.expm1, mp.expm1, [0.0, 1e-10, -20.0, 5.0]),
    *_scalar("sqrt", fnp.sqrt, mp.sqrt, [1.0, 4.0, 1e-10, 1e6]),
    *_scalar("cbrt", fnp.cbrt, _mp_cbrt, [1.0, -1.0, 1e-9, -8.0]),
    *_scalar("sin", fnp.sin, mp.sin, [0.0, 1.0, -1.0, math.pi / 2, 100.0]),
    *_scalar("cos", fnp.cos, mp.cos, [0.0, 1.0, -1.0, math.pi / 2, 100.0]),
    *_scalar("tan", fnp.tan, mp.tan, [0.0, 1.0, -1.5]),
    *_scalar("arcsin", fnp.arcsin, mp.asin, [0.0, 0.5, -0.5, 1 - 1e-6]),
    *_scalar("arccos", fnp.arccos, mp.acos, [0.0, 0.5, -1 + 1e-6]),
    *_scalar("arctan", fnp.arctan, mp.atan, [0.0, 1.0, -1.0, 1e3]),
    *_scalar("sinh", fnp.sinh, mp.sinh, [0.0, 1.0, -1.0, 20.0]),
    *_scalar("cosh", fnp.cosh, mp.cosh, [0.0, 1.0, -1.0, 20.0]),
    *_scalar("tanh", fnp.tanh, mp.tanh, [0.0, 1.0, -1.0, 10.0, -10.0]),
    *_scalar("arcsinh", fnp.arcsinh, mp.asinh, [0.0, 1.0, -1.0, 1e4]),
    *_scalar("arccosh", fnp.arccosh, mp.acosh, [2.0, 1 + 1e-6, 1e4]),
    *_scalar("arctanh", fnp.arctanh, mp.atanh, [0.0, 0.5, 1 - 1e-6]),
    *_scalar("abs", fnp.abs, abs, [1.0, -1.0, 1e-30, -2.5]),
    *_scalar("square", fnp.square, lambda x: x * x, [0.0, -1.0, 1e150]),
    *_scalar("reciprocal", fnp.reciprocal, lambda x: 1 / x, [1.0, -1.0, 1e-5]),
    *_scalar("exp2", fnp.exp2, lambda x: mp.power(2, x), [0.0, 1.0, -3.5]),
    *_scalar("log2", fnp.log2, lambda x: mp.log(x, 2), [1.0, 0.25, 1e-20]),
    *_scalar("log10", fnp.log10, mp.log10, [1.0, 1e-20, 1e5]),
    *_scalar(
        "sigmoid",
        nn.sigmoid,
        lambda x: 1 / (1 + mp.exp(-x)),
        [0.0, 1.0, -1.0, 30.0, -30.0],
    ),
    *_scalar(
        "sinc",
        fnp.sinc,
        lambda x: mp.sinc(mp.pi * x),
        [0.0, 1.0, -1.0, 0.5, 2.5, 1e-3, 1e-8],
    ),
    # -- powers: integer and zero exponents, 0 and negative bases --------------
    *[
        c
        for n in (0, 1, 2, 3, -1, -2)
        for c in _scalar(
            f"power(x,{n})",
            lambda x, n=n: fnp.power(x, n),
            lambda x, n=n: x**n,
            [0.0, 1.0, -1.5, 2.0] if n >= 0 else [1.0, -1.5, 1e-3],
        )
    ],
    *[
        c
        for y in (0.0, 1.0, 2.0, 3.0, 4.0, 0.5, -1.0, 2.5)
        for c in _scalar(
            f"x**{y}",
            lambda x, y=y: x**y,
            lambda x, y=y: mp.power(x, y),
            # a float exponent: x ** y with the pow primitive; 0 where it is smooth
            [1.0, 2.0, 0.3] + ([0.0] if y in (0.0, 1.0, 2.0, 3.0, 4.0) else []),
        )
    ],
    *_scalar(
        "x**x",
        lambda x: x**x,
        lambda x: x**x,
        [1.0, 0.5, 2.0],
    ),
    *_scalar("2**x", lambda x: 2.0**x, lambda x: mp.power(2, x), [0.0, 1.0, -2.0]),
    *_scalar("0**x", lambda x: 0.0**x, lambda x: mp.power(0, x), [1.0, 2.5]),
    *_binary(
        "pow",
        lambda x, y: x**y,
        mp.power,
        [
            ((2.0, 0.0), (1.0, 1.0)),
            ((2.0, 0.0), (0.0, 1.0)),
            ((2.0, 0.0), (1.0, 0.0)),
            ((1.0, 1.0), (1.0, 1.0)),
            ((0.5, 2.5), (0.3, -0.7)),
            ((3.0, -1.5), (1.0, 0.5)),
            ((1.0, 0.0), (0.5, 1.0)),
            ((2.0, 3.0), (1.0, -1.0)),
        ],
    ),
    # -- binary -----------------------------------------------------------------
    *_binary(
        "arctan2",
        fnp.arctan2,
        mp.atan2,
        [
            ((1.0, 1.0), (1.0, -0.5)),
            ((0.0, 1.0), (1.0, 0.3)),
            ((1.0, 0.0), (0.3, 1.0)),
            ((1e-8, 1e-8), (1.0, 2.0)),
            ((-1.0, -2.0), (0.5, 0.5)),
        ],
    ),
    *_binary(
        "hypot",
        fnp.hypot,
        mp.hypot,
        [
            ((3.0, 4.0), (1.0, -0.5)),
            ((1.0, 1.0), (1.0, 0.3)),  # a tie inside its max / min
            ((1.0, 1.0), (1.0, 1.0)),
            ((-2.0, 1.0), (0.4, 1.0)),
            ((1e200, 1e200), (1e200, -3e199)),
            ((1e200, 3e200), (1e200, -3e199)),
            ((1e-200, 2e-200), (1e-200, 0.0)),
        ],
        xfail={
            ((1e200, 1e200), (1e200, -3e199)): (HARNESS_RANGE, ("hessian",)),
            ((1e200, 3e200), (1e200, -3e199)): (HARNESS_RANGE, ("hessian",)),
            ((1e-200, 2e-200), (1e-200, 0.0)): (HARNESS_RANGE, ("hessian",)),
        },
    ),
    *_binary(
        "logaddexp",
        fnp.logaddexp,
        lambda x, y: mp.log(mp.exp(x) + mp.exp(y)),
        [
            ((0.0, 0.0), (1.0, -1.0)),  # equal arguments
            ((0.0, 0.0), (1.0, 1.0)),
            ((1.0, 2.0), (0.5, 1.0)),
            ((1000.0, 1000.0), (1.0, -0.5)),
            ((-1000.0, 0.0), (1.0, 1.0)),
        ],
    ),
    *_binary(
        "logaddexp2",
        fnp.logaddexp2,
        lambda x, y: mp.log(mp.power(2, x) + mp.power(2, y), 2),
        [((0.0, 0.0), (1.0, -1.0)), ((3.0, -1.0), (0.5, 1.0))],
    ),
    *_binary(
        "divide",
        fnp.divide,
        lambda x, y: x / y,
        [((1.0, 3.0), (1.0, 1.0)), ((0.0, 1.0), (1.0, -1.0)), ((1.0, 1e-8), (1.0, 1e-9))],
    ),
    *_binary(
        "maximum",
        fnp.maximum,
        max,
        [((1.0, 2.0), (1.0, 0.5)), ((3.0, -1.0), (0.2, 1.0))],
    ),
    *_binary(
        "minimum",
        fnp.minimum,
        min,
        [((1.0, 2.0), (1.0, 0.5)), ((3.0, -1.0), (0.2, 1.0))],
    ),
    *_binary(
        "mod",
        fnp.mod,
        lambda x, y: x - y * mp.floor(x / y),
        [((2.5, 1.0), (1.0, 0.3)), ((-2.5, 1.5), (0.4, 1.0))],
    ),
    *_binary(
        "fmod",
        fnp.fmod,
        lambda x, y: x - y * (mp.floor(x / y) if x / y >= 0 else mp.ceil(x / y)),
        [((2.5, 1.0), (1.0, 0.3)), ((-2.5, 1.5), (0.4, 1.0))],
    ),
    *_binary(
        "multiply",
        fnp.multiply,
        lambda x, y: x * y,
        [((0.0, 0.0), (1.0, 1.0)), ((1e150, 1e-150), (1e150, 1e-150))],
    ),
    # -- funcdiff.nn -----------------------------------------------------------
    *_scalar(
        "softplus",
        nn.softplus,
        _softplus,
        [0.0, 1.0, -1.0, 50.0, -50.0],
    ),
    *_scalar("log_sigmoid", nn.log_sigmoid, lambda x: -_softplus(-x), [0.0, 2.0, -40.0]),
    *_scalar("silu", nn.silu, lambda x: x / (1 + mp.exp(-x)), [0.0, 1.0, -1.0, 20.0]),
    *_scalar(
        "gelu",
        nn.gelu,
        lambda x: x / 2 * (1 + mp.tanh(SQ2PI * (x + 0.044715 * x**3))),
        [0.0, 1.0, -1.0, 3.0],
    ),
    *_scalar(
        "gelu_exact",
        lambda x: nn.gelu(x, approximate=False),
        lambda x: x / 2 * mp.erfc(-x / mp.sqrt(2)),
        [0.0, 1.0, -1.0, 3.0],
    ),
    *_scalar("mish", nn.mish, lambda x: x * mp.tanh(_softplus(x)), [0.0, 1.0, -2.0]),
    *_scalar("elu", nn.elu, lambda x: x if x > 0 else mp.expm1(x), [1.0, -1.0, -30.0]),
    *_scalar("celu", nn.celu, lambda x: x if x > 0 else mp.expm1(x), [1.0, -1.0]),
    *_scalar(
        "selu",
        nn.selu,
        lambda x: 1.0507009873554805 * (x if x > 0 else 1.6732632423543772 * mp.expm1(x)),
        [1.0, -1.0],
    ),
    *_scalar("softsign", nn.softsign, lambda x: x / (1 + abs(x)), [1.0, -1.0, 1e3]),
    *_scalar("relu", nn.relu, lambda x: max(x, 0), [1.0, -1.0]),
    *_scalar("leaky_relu", nn.leaky_relu, lambda x: x if x > 0 else 0.01 * x, [1.0, -1.0]),
    *_scalar("hard_tanh", nn.hard_tanh, lambda x: min(max(x, -1), 1), [0.5, 2.0, -2.0]),
    *_array(
        "logsumexp",
        nn.logsumexp,
        _mp_logsumexp,
        [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0], [5.0, 5.0, 1.0]],
    ),
    *_array(
        "softmax",
        nn.softmax,
        lambda z: [mp.exp(zi - _mp_logsumexp(z)) for zi in z],
        [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [300.0, 300.0, -5.0]],
        weighted=True,
    ),
    *_array(
        "log_softmax",
        nn.log_softmax,
        lambda z: [zi - _mp_logsumexp(z) for zi in z],
        [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]],
        weighted=True,
    ),
    *_array(
        "glu",
        nn.glu,
        lambda z: [z[0] / (1 + mp.exp(-z[2])), z[1] / (1 + mp.exp(-z[3]))],
        [[1.0, -2.0, 0.0, 0.5]],
        weighted=True,
    ),
    # -- funcdiff.numpy reductions and friends --------------------------------
    *_array(
        "norm",
        fnp.linalg.norm,
        lambda z: mp.sqrt(mp.fsum(zi * zi for zi in z)),
        # (numpy's norm overflows at 1e200 as well: sqrt(sum(x**2)))
        [[3.0, 4.0], [1.0, 1.0, 1.0], [1e-30, 2e-30], [1e150, -1e150]],
    ),
    *_array(
        "norm(ord=3)",
        lambda z: fnp.linalg.norm(z, ord=3),
        lambda z: mp.root(mp.fsum(abs(zi) ** 3 for zi in z), 3),
        [[1.0, -2.0, 0.5]],
    ),
    *_array("var", fnp.var, _mp_var, [[1.0, 2.0, 4.0], [0.0, 0.0, 0.0], [1e8, 1e8 + 1, 1e8 + 3]]),
    *_array("std", fnp.std, lambda z: mp.sqrt(_mp_var(z)), [[1.0, 2.0, 4.0], [1.0, 1.0, 2.0]]),
    *_array(
        "prod",
        fnp.prod,
        lambda z: mp.fprod(z),
        [[1.5, -2.0, 3.0], [0.0, 2.0, 3.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0]],
    ),
    *_array(
        "cumprod",
        fnp.cumprod,
        _mp_cumprod,
        [[1.5, -2.0, 3.0, 0.5], [0.0, 2.0, 0.0, 3.0]],
        weighted=True,
    ),
    *_array(
        "sort",
        fnp.sort,
        lambda z: sorted(z),
        [[3.0, 1.0, 2.0], [-1.0, 4.0, 0.5, 2.0]],
        weighted=True,
    ),
    *_array(
        "sum(sort**2)",  # smooth through ties: a symmetric function of the entries
        lambda z: fnp.sum(fnp.sort(z) ** 3 * np.arange(1.0, 4.0)),
        lambda z: mp.fsum(y**3 * (k + 1) for k, y in enumerate(sorted(z))),
        [[3.0, 1.0, 2.0]],
    ),
    *_array(
        "mean",
        fnp.mean,
        lambda z: mp.fsum(z) / len(z),
        [[1.0, 2.0, 4.0]],
    ),
    *_array(
        "det",
        lambda z: fnp.linalg.det(fnp.reshape(z, (2, 2))),
        lambda z: z[0] * z[3] - z[1] * z[2],
        [[1.0, 2.0, 2.0, 4.0], [2.0, 1.0, 0.5, 3.0]],  # singular, then generic
    ),
    *_array(
        "inv",
        lambda z: fnp.linalg.inv(fnp.reshape(z, (2, 2))).reshape(-1),
        lambda z: [e for e in (mpmath.inverse(mpmath.matrix([[z[0], z[1]], [z[2], z[3]]])))],
        [[2.0, 1.0, 0.5, 3.0]],
        weighted=True,
    ),
    *_array(
        "logdet",
        lambda z: fnp.linalg.slogdet(fnp.reshape(z, (2, 2)))[1],
        lambda z: mp.log(abs(z[0] * z[3] - z[1] * z[2])),
        [[2.0, 1.0, 0.5, 3.0], [-2.0, 1.0, 0.5, 3.0]],
    ),
    *_array(
        "eigvalsh",
        lambda z: fnp.linalg.eigvalsh(fnp.reshape(z, (2, 2)) + fnp.reshape(z, (2, 2)).T),
        lambda z: sorted(
            mpmath.eigsy(mpmath.matrix([[2 * z[0], z[1] + z[2]], [z[1] + z[2], 2 * z[3]]]))[0]
        ),
        [[2.0, 1.0, 0.5, 3.0]],
        weighted=True,
    ),
]


@pytest.mark.parametrize(("case", "mode"), _params(SP_CASES))
def test_special_points_higher_order(case: Case, mode: str) -> None:
    check_case(case, mode)


# ---------------------------------------------------------------------------
# kinks: the conventions of docs/conventions.md, and smooth compositions
# ---------------------------------------------------------------------------

INF = math.inf


def _kink(
    name: str,
    f: Callable[[Any], Any],
    x: Any,
    want: list[float],
    *,
    v: Any = 1.0,
    xfail: dict[str, str] | None = None,
) -> Any:
    """``want[k - 1]`` is the k-th (directional) derivative funcdiff must give."""
    case = Case(f"KINK/{name}", f, lambda z: None, np.asarray(x, float), np.asarray(v, float))
    return [
        pytest.param(
            case,
            mode,
            want,
            id=f"{name}-{mode}",
            marks=[pytest.mark.xfail(strict=True, reason=xfail[mode])]
            if xfail and mode in xfail
            else [],
        )
        for mode in MODES
    ]


def _all(reason: str) -> dict[str, str]:
    return dict.fromkeys(MODES, reason)


_E2 = np.array([0.6, -0.8])
KINKS = [
    # the convention at the kink (docs/conventions.md, one row each)
    *_kink("abs@0", fnp.abs, 0.0, [1, 0, 0, 0]),
    *_kink("sign@0", fnp.sign, 0.0, [0, 0, 0, 0]),
    *_kink("floor@1", fnp.floor, 1.0, [0, 0, 0, 0]),
    *_kink("round@0.5", fnp.round, 0.5, [0, 0, 0, 0]),
    *_kink("heaviside@0", lambda x: fnp.heaviside(x, 0.5), 0.0, [0, 0, 0, 0]),
    *_kink("maximum(x,0)@0", lambda x: fnp.maximum(x, 0.0), 0.0, [0.5, 0, 0, 0]),
    *_kink("minimum(x,0)@0", lambda x: fnp.minimum(x, 0.0), 0.0, [0.5, 0, 0, 0]),
    *_kink("clip@lo", lambda x: fnp.clip(x, 0.0, 1.0), 0.0, [0.5, 0, 0, 0]),
    *_kink("clip@hi", lambda x: fnp.clip(x, 0.0, 1.0), 1.0, [0.5, 0, 0, 0]),
    *_kink(
        "amax@tie", fnp.amax, [1.0, 1.0, 0.0], [0.5 * 0.3 + 0.5 * 0.7, 0, 0, 0], v=[0.3, 0.7, 5.0]
    ),
    *_kink("relu@0", nn.relu, 0.0, [0, 0, 0, 0]),
    *_kink("relu6@6", nn.relu6, 6.0, [0, 0, 0, 0]),
    *_kink("leaky_relu@0", nn.leaky_relu, 0.0, [1, 0, 0, 0]),
    *_kink("hard_tanh@1", nn.hard_tanh, 1.0, [1, 0, 0, 0]),
    *_kink("elu@0", nn.elu, 0.0, [1, 1, 1, 1]),
    *_kink("selu@0", nn.selu, 0.0, [1.0507009873554805 * 1.6732632423543772] * 4),
    *_kink("mod@jump", lambda x: fnp.mod(x, 1.0), 1.0, [1, 0, 0, 0]),
    *_kink("sqrt@0", fnp.sqrt, 0.0, [INF]),
    *_kink("cbrt@0", fnp.cbrt, 0.0, [INF]),
    *_kink("log@0", fnp.log, 0.0, [INF]),
    *_kink("0**y@0", lambda y: 0.0**y, 0.0, [0, 0, 0, 0]),
    *_kink("norm@0", fnp.linalg.norm, [0.0, 0.0], [0], v=_E2),
    *_kink("std@equal", fnp.std, [2.0, 2.0, 2.0], [0], v=[1.0, -0.5, 0.2]),
    *_kink(
        "sort@tie",
        lambda z: fnp.sum(fnp.sort(z) * np.array([1.0, 2.0, 3.0])),
        [1.0, 1.0, 0.0],
        [2 * 0.3 + 3 * 0.7 + 1 * 5.0, 0, 0, 0],
        v=[0.3, 0.7, 5.0],
    ),
    # smooth compositions through a kink: their true derivatives
    *_kink("abs(x)**2@0", lambda x: fnp.abs(x) ** 2, 0.0, [0, 2, 0, 0]),
    *_kink("abs(x)**3@0(order<=2)", lambda x: fnp.abs(x) ** 3, 0.0, [0, 0]),
    *_kink("hypot(x,1)@0", lambda x: fnp.hypot(x, 1.0), 0.0, [0, 1, 0, -3]),
    *_kink(
        # the truth (2I) is out of reach of any chain rule through the norm (no
        # linear tangent g of the norm at 0 has 2 g g^T = 2I): the norm's
        # derivatives of order >= 2 at 0 are NaN, never a finite wrong number
        "norm**2@0",
        lambda z: fnp.linalg.norm(z) ** 2,
        [0.0, 0.0],
        [0, np.nan, np.nan, np.nan],
        v=_E2,
    ),
    *_kink("maximum(x,x)", lambda x: fnp.maximum(x, x), 1.0, [1, 0, 0, 0]),
    *_kink("minimum(x,x)**2", lambda x: fnp.minimum(x, x) ** 2, 1.5, [3, 2, 0, 0]),
    *_kink("clip(x,x-1,x+1)", lambda x: fnp.clip(x, x - 1.0, x + 1.0), 0.3, [1, 0, 0, 0]),
    *_kink("relu(x)**3@0(order<=2)", lambda x: nn.relu(x) ** 3, 0.0, [0, 0]),
    *_kink(
        "relu(x)-relu(-x)@0",
        lambda x: nn.relu(x) - nn.relu(-x),
        0.0,
        [1, 0, 0, 0],
        xfail=_all(
            "documented cost of a chosen convention (docs/conventions.md): relu'(0) = 0, "
            "as in JAX and PyTorch, makes relu(x) - relu(-x) = x have derivative 0 at 0; "
            "every linear tie-break loses some smooth composition through a kink"
        ),
    ),
    *_kink(
        "sum(sort**2)@tie",
        lambda z: fnp.sum(fnp.sort(z) ** 2),
        [1.0, 1.0, 0.0],
        [2 * (0.3 + 0.7), 2 * (0.09 + 0.49 + 25.0), 0, 0],
        v=[0.3, 0.7, 5.0],
    ),
    *_kink(
        "logsumexp@tie",  # max-shifted, yet smooth: the softmax derivatives
        lambda z: nn.logsumexp(z),
        [0.0, 0.0],
        [0, 1, 0, -2],  # log(2 cosh t) = log 2 + t**2 / 2 - t**4 / 12 + ...
        v=[1.0, -1.0],
    ),
]


@pytest.mark.parametrize(("case", "mode", "want"), KINKS)
def test_kink_conventions(case: Case, mode: str, want: list[float]) -> None:
    with np.errstate(all="ignore"):
        got = derivatives(case, mode)[1 : 1 + len(want)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=f"{case.id} [{mode}]")


def test_kink_hessians_named_in_the_issue() -> None:
    """The issue's three smooth compositions at 0, as whole Hessians (the
    third is NaN: see the norm**2@0 row)."""
    for f, x, want in [
        (lambda x: fnp.abs(x) ** 2, 0.0, 2.0),
        (lambda x: fnp.hypot(x, 1.0), 0.0, 1.0),
        (lambda x: fnp.linalg.norm(x) ** 2, np.zeros(2), np.full((2, 2), np.nan)),
        (lambda x: fnp.sum(x**2), np.zeros(2), 2.0 * np.eye(2)),
    ]:
        np.testing.assert_allclose(fd.hessian(f)(x), want, rtol=1e-12, atol=0)
