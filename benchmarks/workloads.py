"""The benchmark workloads W1-W7 and every implementation of each.

A workload is

* ``setup()``: deterministic inputs (float64 numpy): ``args = (x, *data)``,
  and for a Hessian-vector product the vector ``v``;
* ``objective(m)``: the scalar function ``f(x, *data)`` written ONCE against a
  numpy-like namespace ``m`` (``funcdiff.numpy``, ``autograd.numpy``,
  ``jax.numpy``, numpy itself, or the small torch adapter below), so every
  framework differentiates literally the same program;
* ``hand(*args)`` (or ``hand(x, v)`` for HVPs): the derivative written by hand
  in numpy (analytic gradient, tridiagonal Hessian, manual backprop): the
  physical limit every ratio is measured against;
* ``kind``: which derivative is taken: ``grad``, ``hessian`` or ``hvp``
  (always with respect to the first argument).

``Framework`` objects turn (workload, objective) into zero-argument callables
for timing: ``funcdiff``, ``funcdiff.jit``, ``autograd``, ``jax``,
``jax.jit`` and ``torch`` (``torch.func``); a peer's constructor raises
ImportError when it is not installed, and the runner skips it.
"""

from __future__ import annotations

import importlib
import itertools
import math
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Array = Any
Fn = Callable[..., Any]
UntypedFn = Any  # a callable made by an untyped library (the peers, funcdiff via importlib)

HAND = "numpy (hand)"

# ---------------------------------------------------------------------------
# pytree helpers (dicts / tuples / lists of arrays are all we need)
# ---------------------------------------------------------------------------


def tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: tree_map(fn, v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(tree_map(fn, v) for v in tree)
    return fn(tree)


def tree_leaves(tree: Any) -> list[Any]:
    out: list[Any] = []
    stack = [tree]
    while stack:
        t = stack.pop()
        if isinstance(t, dict):
            stack.extend(t[k] for k in sorted(t, reverse=True))
        elif isinstance(t, (tuple, list)):
            stack.extend(reversed(t))
        else:
            out.append(t)
    return out


def to_numpy(x: Any) -> np.ndarray:
    """Any framework's array (jax, torch, numpy, scalar) as a float64 numpy array."""
    if hasattr(x, "detach"):  # torch
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def compare(result: Any, reference: Any, rtol: float = 1e-6) -> str | None:
    """None when ``result`` matches ``reference`` leaf by leaf, else a description."""
    got = [to_numpy(a) for a in tree_leaves(result)]
    ref = [to_numpy(a) for a in tree_leaves(reference)]
    if len(got) != len(ref):
        return f"{len(got)} leaves, expected {len(ref)}"
    for i, (g, r) in enumerate(zip(got, ref, strict=True)):
        if g.shape != r.shape:
            return f"leaf {i}: shape {g.shape}, expected {r.shape}"
        scale = float(np.max(np.abs(r))) if r.size else 0.0
        if not np.allclose(g, r, rtol=rtol, atol=rtol * scale + 1e-300):
            err = float(np.max(np.abs(g - r)))
            return f"leaf {i}: max abs error {err:.3g} (reference scale {scale:.3g})"
    return None


# ---------------------------------------------------------------------------
# workloads
# ---------------------------------------------------------------------------


@dataclass
class Setup:
    args: tuple[Any, ...]  # (x, *data); x may be a pytree
    v: Any = None  # direction, for hvp


@dataclass
class Workload:
    key: str
    title: str
    kind: str  # "grad" | "hessian" | "hvp"
    setup: Callable[[], Setup]
    objective: Callable[[Any], Fn]
    hand: Fn
    cheap_grad: bool = False  # measure time(grad f) / time(f)
    notes: str = ""
    # per-framework overrides of the objective (name -> objective(m))
    overrides: dict[str, Callable[[Any], Fn]] = field(default_factory=dict)


# --- W1: x ** cos(x) at 3.0 -------------------------------------------------


def w1_setup() -> Setup:
    return Setup(args=(3.0,))


def w1_objective(m: Any) -> Fn:
    def f(x: Any) -> Any:
        return x ** m.cos(x)

    return f


def w1_hand(x: float) -> Any:
    c = np.cos(x)
    return x**c * (c / x - np.sin(x) * np.log(x))


# --- Rosenbrock (W2, W3, W7) -------------------------------------------------


def rosen_objective(m: Any) -> Fn:
    def rosen(x: Any) -> Any:
        return m.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    return rosen


def rosen_grad(x: np.ndarray) -> np.ndarray:
    a, b = x[:-1], x[1:]
    t = b - a * a
    g = np.zeros_like(x)
    g[:-1] = -400.0 * a * t - 2.0 * (1.0 - a)
    g[1:] += 200.0 * t
    return g


def _rosen_bands(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Diagonal and off-diagonal of the (tridiagonal) Rosenbrock Hessian."""
    a, b = x[:-1], x[1:]
    d = np.zeros_like(x)
    d[:-1] = 1200.0 * a * a - 400.0 * b + 2.0
    d[1:] += 200.0
    return d, -400.0 * a


def rosen_hessian(x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    d, off = _rosen_bands(x)
    h = np.zeros((n, n))
    i = np.arange(n)
    h[i, i] = d
    h[i[:-1], i[1:]] = off
    h[i[1:], i[:-1]] = off
    return h


def rosen_hvp(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    d, off = _rosen_bands(x)
    out = d * v
    out[:-1] += off * v[1:]
    out[1:] += off * v[:-1]
    return np.asarray(out)


def rosen_setup(n: int, with_v: bool = False) -> Callable[[], Setup]:
    def setup() -> Setup:
        rng = np.random.default_rng(n)
        x = rng.uniform(-1.5, 1.5, size=n)
        v = rng.normal(size=n) if with_v else None
        return Setup(args=(x,), v=v)

    return setup


# --- W4: MLP 784-256-256-10, softmax cross-entropy --------------------------

MLP_SIZES = (784, 256, 256, 10)
MLP_BATCH = 512


def w4_setup() -> Setup:
    rng = np.random.default_rng(4)
    params: dict[str, np.ndarray] = {}
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(MLP_SIZES), start=1):
        params[f"W{i}"] = rng.normal(size=(fan_in, fan_out)) * math.sqrt(2.0 / fan_in)
        params[f"b{i}"] = rng.normal(size=fan_out) * 0.01
    x = rng.normal(size=(MLP_BATCH, MLP_SIZES[0]))
    labels = rng.integers(0, MLP_SIZES[-1], size=MLP_BATCH)
    y = np.eye(MLP_SIZES[-1])[labels]
    return Setup(args=(params, x, y))


def w4_objective(m: Any) -> Fn:
    def loss(p: Any, x: Any, y: Any) -> Any:
        h = m.maximum(x @ p["W1"] + p["b1"], 0.0)
        h = m.maximum(h @ p["W2"] + p["b2"], 0.0)
        z = h @ p["W3"] + p["b3"]
        z = z - m.max(z, axis=1, keepdims=True)
        lse = m.log(m.sum(m.exp(z), axis=1))
        return m.mean(lse - m.sum(y * z, axis=1))

    return loss


def w4_hand(p: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    a1 = x @ p["W1"] + p["b1"]
    h1 = np.maximum(a1, 0.0)
    a2 = h1 @ p["W2"] + p["b2"]
    h2 = np.maximum(a2, 0.0)
    z = h2 @ p["W3"] + p["b3"]
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    dz = (e / e.sum(axis=1, keepdims=True) - y) / x.shape[0]
    dh2 = dz @ p["W3"].T
    dh2 *= a2 > 0
    dh1 = dh2 @ p["W2"].T
    dh1 *= a1 > 0
    return {
        "W1": x.T @ dh1,
        "b1": dh1.sum(axis=0),
        "W2": h1.T @ dh2,
        "b2": dh2.sum(axis=0),
        "W3": h2.T @ dz,
        "b3": dz.sum(axis=0),
    }


# --- W5: L2-regularized logistic regression, Hessian w.r.t. weights ---------

W5_LAMBDA = 1e-2


def w5_setup() -> Setup:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1000, 200))
    w_true = rng.normal(size=200) / math.sqrt(200)
    y = np.where(x @ w_true + 0.5 * rng.normal(size=1000) > 0, 1.0, -1.0)
    w = rng.normal(size=200) * 0.05
    return Setup(args=(w, x, y))


def w5_objective(m: Any) -> Fn:
    def loss(w: Any, x: Any, y: Any) -> Any:
        return m.mean(m.log1p(m.exp(-y * (x @ w)))) + 0.5 * W5_LAMBDA * m.sum(w * w)

    return loss


def w5_hand(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    s = 1.0 / (1.0 + np.exp(-y * (x @ w)))
    h = (x.T * (s * (1.0 - s) / x.shape[0])) @ x
    h[np.diag_indices_from(h)] += W5_LAMBDA
    return np.asarray(h)


# --- W6: a chain of 2000 element-wise ops on a 100-vector --------------------

W6_STEPS = 2000


def w6_setup() -> Setup:
    rng = np.random.default_rng(6)
    return Setup(args=(rng.uniform(-1.0, 1.0, size=100),))


def chain_objective(m: Any, steps: int) -> Fn:
    """W6's chain with ``steps`` steps, against the namespace ``m``."""

    def chain(x: Any) -> Any:
        for i in range(steps):
            k = i % 3
            if k == 0:
                x = m.sin(x) * 1.0001
            elif k == 1:
                x = x + 0.001 * x**2
            else:
                x = m.tanh(x)
        return m.sum(x)

    return chain


def w6_objective(m: Any) -> Fn:
    return chain_objective(m, W6_STEPS)


def chain_hand(x: np.ndarray, steps: int) -> np.ndarray:
    """Reverse mode through W6's chain by hand."""
    inputs = []
    for i in range(steps):
        inputs.append(x)
        k = i % 3
        if k == 0:
            x = np.sin(x) * 1.0001
        elif k == 1:
            x = x + 0.001 * x**2
        else:
            x = np.tanh(x)
    g = np.ones_like(x)
    for i in range(steps - 1, -1, -1):
        xi = inputs[i]
        k = i % 3
        if k == 0:
            g = g * (np.cos(xi) * 1.0001)
        elif k == 1:
            g = g * (1.0 + 0.002 * xi)
        else:
            t = inputs[i + 1] if i + 1 < steps else x
            g = g * (1.0 - t * t)
    return g


def w6_hand(x: np.ndarray) -> np.ndarray:
    return chain_hand(x, W6_STEPS)


WORKLOADS: dict[str, Workload] = {
    w.key: w
    for w in [
        Workload(
            "W1",
            "grad of x**cos(x) at 3.0 (overhead bound)",
            "grad",
            w1_setup,
            w1_objective,
            w1_hand,
        ),
        Workload(
            "W2",
            "grad of Rosenbrock, n=1000",
            "grad",
            rosen_setup(1000),
            rosen_objective,
            rosen_grad,
            cheap_grad=True,
        ),
        Workload(
            "W3",
            "Hessian of Rosenbrock, n=100",
            "hessian",
            rosen_setup(100),
            rosen_objective,
            rosen_hessian,
        ),
        Workload(
            "W4",
            "grad of MLP 784-256-256-10 softmax-CE, batch 512",
            "grad",
            w4_setup,
            w4_objective,
            w4_hand,
            cheap_grad=True,
        ),
        Workload(
            "W5",
            "Hessian of L2 logistic loss, data 1000x200",
            "hessian",
            w5_setup,
            w5_objective,
            w5_hand,
        ),
        Workload(
            "W6",
            "grad of a chain of 2000 element-wise ops, n=100",
            "grad",
            w6_setup,
            w6_objective,
            w6_hand,
            cheap_grad=True,
        ),
        Workload(
            "W7",
            "Hessian-vector product of Rosenbrock, n=100000",
            "hvp",
            rosen_setup(100_000, with_v=True),
            rosen_objective,
            rosen_hvp,
        ),
    ]
}


def hand_call(w: Workload, s: Setup) -> Callable[[], Any]:
    if w.kind == "hvp":
        x, v = s.args[0], s.v
        return lambda: w.hand(x, v)
    args = s.args
    return lambda: w.hand(*args)


# ---------------------------------------------------------------------------
# frameworks
# ---------------------------------------------------------------------------


class Framework:
    """Builds the timed zero-argument callable of a workload for one library."""

    name = "?"
    namespace: Any = None

    def convert(self, a: Any) -> Any:
        """A numpy leaf as this framework's array type."""
        return a

    def derivative(self, kind: str, f: Fn) -> UntypedFn:
        raise NotImplementedError

    def finish(self, out: Any) -> Any:
        return out

    def objective(self, w: Workload) -> Fn:
        make = w.overrides.get(self.name, w.objective)
        return make(self.namespace)

    def build(self, w: Workload, s: Setup) -> Callable[[], Any]:
        """Zero-argument callable computing the workload's derivative."""
        d = self.derivative(w.kind, self.objective(w))
        args = tree_map(self.convert, s.args)
        finish = self.finish
        if w.kind == "hvp":
            x, v = args[0], self.convert(s.v)
            return lambda: finish(d(x, v))
        return lambda: finish(d(*args))

    def build_value(self, w: Workload, s: Setup) -> Callable[[], Any]:
        """Zero-argument callable computing f itself (for the cheap-gradient ratio)."""
        f = self.wrap_value(self.objective(w))
        args = tree_map(self.convert, s.args)
        finish = self.finish
        return lambda: finish(f(*args))

    def wrap_value(self, f: Fn) -> UntypedFn:
        return f


class NumpyValue(Framework):
    """Plain numpy: only used for f itself (the cheap-gradient reference)."""

    name = "numpy"
    namespace = np


def _load(module: str) -> Any:
    """Import a module as an untyped object (the peers ship no type information)."""
    return importlib.import_module(module)


class Funcdiff(Framework):
    name = "funcdiff"

    def __init__(self) -> None:
        self.fd = _load("funcdiff")
        self.namespace = _load("funcdiff.numpy")

    def derivative(self, kind: str, f: Fn) -> UntypedFn:
        fd = self.fd
        if kind == "grad":
            return fd.grad(f)
        if kind == "hessian":
            return fd.hessian(f)
        return lambda x, v: fd.hvp(f, x, v)

    def hessian_chunked(self, f: Fn, chunk_size: int | None) -> UntypedFn:
        return self.fd.hessian(f, chunk_size=chunk_size)


class FuncdiffJit(Funcdiff):
    name = "funcdiff.jit"

    def __init__(self) -> None:
        super().__init__()
        # ``funcdiff.jit`` is the module; it may also be re-exported as a function
        self.jit = _load("funcdiff.jit").jit

    def derivative(self, kind: str, f: Fn) -> UntypedFn:
        return self.jit(super().derivative(kind, f))

    def wrap_value(self, f: Fn) -> UntypedFn:
        return self.jit(f)


class Autograd(Framework):
    name = "autograd"

    def __init__(self) -> None:
        self.namespace = _load("autograd.numpy")  # ImportError: not installed, skipped

    def derivative(self, kind: str, f: Fn) -> UntypedFn:
        autograd = _load("autograd")
        if kind == "grad":
            return autograd.grad(f)
        if kind == "hessian":
            return autograd.hessian(f)
        hvp = autograd.hessian_vector_product(f)
        return lambda x, v: hvp(x, v)


class Jax(Framework):
    name = "jax"

    def __init__(self) -> None:
        jax = _load("jax")  # ImportError: not installed, skipped
        jnp = _load("jax.numpy")
        jax.config.update("jax_enable_x64", True)
        self.jax = jax
        self.namespace = jnp
        # initialise the backend and the transform machinery outside any timing
        jax.block_until_ready(jax.grad(lambda x: jnp.sum(x * x))(jnp.ones(2)))

    def convert(self, a: Any) -> Any:
        if isinstance(a, float):
            return self.jax.numpy.asarray(a, dtype=self.jax.numpy.float64)
        return self.jax.numpy.asarray(a)

    def derivative(self, kind: str, f: Fn) -> UntypedFn:
        jax = self.jax
        if kind == "grad":
            return jax.grad(f)
        if kind == "hessian":
            return jax.hessian(f)
        g = jax.grad(f)
        return lambda x, v: jax.jvp(g, (x,), (v,))[1]

    def finish(self, out: Any) -> Any:
        return self.jax.block_until_ready(out)


class JaxJit(Jax):
    name = "jax.jit"

    def derivative(self, kind: str, f: Fn) -> UntypedFn:
        return self.jax.jit(super().derivative(kind, f))

    def wrap_value(self, f: Fn) -> UntypedFn:
        return self.jax.jit(f)


def torch_namespace(torch: Any) -> Any:
    """The few numpy functions the objectives use, on torch tensors."""

    def _sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return torch.sum(x) if axis is None else torch.sum(x, dim=axis, keepdim=keepdims)

    def _mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return torch.mean(x) if axis is None else torch.mean(x, dim=axis, keepdim=keepdims)

    def _max(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return torch.amax(x) if axis is None else torch.amax(x, dim=axis, keepdim=keepdims)

    def _maximum(x: Any, y: Any) -> Any:
        if isinstance(y, (int, float)):
            return torch.clamp_min(x, y)
        return torch.maximum(x, y)

    return types.SimpleNamespace(
        sin=torch.sin,
        cos=torch.cos,
        tanh=torch.tanh,
        exp=torch.exp,
        log=torch.log,
        log1p=torch.log1p,
        sum=_sum,
        mean=_mean,
        max=_max,
        maximum=_maximum,
    )


class Torch(Framework):
    name = "torch"

    def __init__(self) -> None:
        torch = _load("torch")  # ImportError: not installed, skipped
        _load("torch.func")
        self.torch = torch
        self.namespace = torch_namespace(torch)
        # the first torch.func call imports torch._dynamo (seconds): do it here
        x = torch.ones(2, dtype=torch.float64)
        torch.func.grad(lambda x: torch.sum(x * x))(x)

    def convert(self, a: Any) -> Any:
        return self.torch.as_tensor(np.asarray(a, dtype=np.float64))

    def derivative(self, kind: str, f: Fn) -> UntypedFn:
        tf = self.torch.func
        if kind == "grad":
            return tf.grad(f)
        if kind == "hessian":
            return tf.hessian(f)
        g = tf.grad(f)
        return lambda x, v: tf.jvp(g, (x,), (v,))[1]


FRAMEWORKS: dict[str, type[Framework]] = {
    "funcdiff": Funcdiff,
    "funcdiff.jit": FuncdiffJit,
    "autograd": Autograd,
    "jax": Jax,
    "jax.jit": JaxJit,
    "torch": Torch,
}
