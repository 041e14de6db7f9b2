"""The XLA backend: funcdiff jaxprs lowered onto ``jax.lax``, compiled by XLA.

funcdiff applies its own transforms (``grad``, ``hessian``, ``vmap``,
``jet``...) and hands the resulting jaxpr to this module, which evaluates it
equation by equation with each primitive's ``lower_jax`` rule on JAX values.
Run under ``jax.jit`` that evaluation is a trace: XLA then sees one program
with funcdiff's derivative already in it, and fuses, places and shards it
like any JAX program. Once compiled, funcdiff adds nothing to a call.

Users reach it through ``jit(f, backend="jax")`` (``compile_jaxpr`` is its
compiler) and ``funcdiff.xla`` (``to_jax``, ``export``).

JAX is optional (``pip install 'funcdiff[jax]'``). Its 64-bit mode is off by
default, which would turn float64 into float32: ``jit(backend="jax")`` and
``export`` switch it on around their own work only (``jax.enable_x64``);
a ``to_jax`` function runs in whatever mode its caller set.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from funcdiff.core.ir import ClosedJaxpr, Jaxpr, Literal, Var
from funcdiff.errors import FuncdiffError
from funcdiff.passes import optimize

__all__ = [
    "JaxMissingError",
    "LoweringContext",
    "LoweringError",
    "compile_jaxpr",
    "lower_jaxpr",
    "x64",
]


class JaxMissingError(FuncdiffError, ImportError):
    """The XLA backend was asked for but JAX is not installed."""


class LoweringError(FuncdiffError, NotImplementedError):
    """A primitive has no ``lower_jax`` rule, or its rule failed."""


def require_jax() -> ModuleType:
    """The ``jax`` module, or a JaxMissingError saying how to install it."""
    try:
        import jax
    except ImportError as exc:
        raise JaxMissingError(
            "funcdiff's XLA backend needs JAX, which is not installed: "
            "pip install 'funcdiff[jax]' (or pip install jax)"
        ) from exc
    return jax


@contextlib.contextmanager
def x64() -> Iterator[None]:
    """JAX's 64-bit mode, on inside the block only, so float64 stays float64
    (JAX's default is 32 bits).

    >>> import numpy as np, funcdiff as fd
    >>> with x64():
    ...     print(fd.to_jax(lambda x: x * 2.0)(np.ones(2)).dtype)
    float64
    """
    jax = require_jax()
    with jax.enable_x64(True):
        yield


class LoweringContext:
    """What a ``lower_jax`` rule receives: JAX's modules and a way to lower
    sub-jaxprs (control flow, custom rules)."""

    def __init__(self, jax: ModuleType) -> None:
        import jax.numpy
        import jax.scipy.linalg
        import jax.scipy.special

        self.jax = jax
        self.lax: Any = jax.lax
        self.jnp: Any = jax.numpy
        self.jsp: Any = jax.scipy

    def call(self, closed: ClosedJaxpr, *args: Any) -> list[Any]:
        """The outputs of ``closed`` on the JAX values ``args``."""
        return lower_jaxpr(closed.jaxpr, closed.consts, args, self)


_CONTEXT: list[LoweringContext] = []
_CONTEXT_LOCK = threading.Lock()


def _context() -> LoweringContext:
    if not _CONTEXT:
        jax = require_jax()
        with _CONTEXT_LOCK:
            if not _CONTEXT:
                _CONTEXT.append(LoweringContext(jax))
    return _CONTEXT[0]


def lower_jaxpr(
    jaxpr: Jaxpr, consts: Sequence[Any], args: Sequence[Any], ctx: LoweringContext | None = None
) -> list[Any]:
    """Evaluate ``jaxpr`` on JAX values with each primitive's ``lower_jax``
    rule: under ``jax.jit`` this stages it into one XLA computation.

    >>> import numpy as np, funcdiff as fd, funcdiff.numpy as fnp
    >>> closed = fd.make_jaxpr(fd.grad(lambda x: fnp.sum(fnp.sin(x))))(np.zeros(2))
    >>> with x64():
    ...     print(lower_jaxpr(closed.jaxpr, closed.consts, [np.zeros(2)])[0])
    [1. 1.]
    """
    ctx = _context() if ctx is None else ctx
    env: dict[Var, Any] = dict(zip(jaxpr.constvars, consts, strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))
    for eqn in jaxpr.eqns:
        prim = eqn.primitive
        rule = prim.lower_jax
        if rule is None:
            raise LoweringError(
                f"primitive '{prim.name}' has no lowering to JAX (no lower_jax rule), so "
                "this program cannot run on the XLA backend; use backend='numpy', or add "
                "the rule in the primitive's paragraph (docs/adding_a_primitive.md)"
            )
        ins = [x.val if isinstance(x, Literal) else env[x] for x in eqn.invars]
        try:
            res = rule(ctx, *ins, **eqn.params)
        except LoweringError:
            raise
        except Exception as exc:
            shapes = ", ".join(v.aval.str_short() for v in eqn.invars)
            raise LoweringError(
                f"lowering primitive '{prim.name}' onto JAX failed for operands ({shapes}): "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        outs = prim.as_list(res)
        for var, out in zip(eqn.outvars, outs, strict=True):
            env[var] = _as_aval(ctx, prim.name, out, var)
    return [x.val if isinstance(x, Literal) else env[x] for x in jaxpr.outvars]


def _as_aval(ctx: LoweringContext, name: str, out: Any, var: Var) -> Any:
    """``out`` with the dtype of ``var`` (numpy's promotion, which the rules
    need not restate); a shape that differs is a bug in the rule."""
    aval = var.aval
    shape = tuple(np.shape(out))
    if shape != aval.shape:
        raise LoweringError(
            f"the lowering of primitive '{name}' gave shape {shape}, not "
            f"{aval.str_short()}: a bug in its lower_jax rule"
        )
    dtype = getattr(out, "dtype", None)
    if dtype is None or np.dtype(dtype) != aval.dtype:
        out = ctx.lax.convert_element_type(out, aval.dtype)
    return out


def compile_jaxpr(
    closed: ClosedJaxpr, name: str = "jitted", scalar_outputs: tuple[int, ...] = ()
) -> tuple[ClosedJaxpr, Callable[..., list[Any]], str]:
    """``closed`` optimized, lowered and compiled by XLA (``jax.jit``): the
    optimized jaxpr, a function of its inputs returning a list of JAX
    arrays (run in 64-bit mode), and a text to show for it. The compiler of
    ``jit(f, backend="jax")``.

    >>> import numpy as np, funcdiff as fd
    >>> _, fn, _ = compile_jaxpr(fd.make_jaxpr(lambda x: x * 3.0)(np.ones(2)))
    >>> print(fn(np.ones(2))[0])
    [3. 3.]
    """
    jax = require_jax()
    ctx = _context()
    opt = optimize(closed)
    jaxpr = opt.jaxpr
    with jax.enable_x64(True):
        # constants go in as arguments, not literals XLA would fold and copy
        consts = [jax.device_put(np.asarray(c)) for c in opt.consts]

    def flat(*args: Any) -> list[Any]:
        return lower_jaxpr(jaxpr, args[: len(consts)], args[len(consts) :], ctx)

    flat.__name__ = name
    jitted = jax.jit(flat)
    # the per-call path is what funcdiff adds to XLA's own dispatch: the
    # constants bound once, and 64-bit mode entered only when it is off
    call = functools.partial(jitted, *consts) if consts else jitted
    mode = jax.enable_x64

    def run(*args: Any) -> list[Any]:
        if mode.value:
            return call(*args)  # type: ignore[no-any-return]
        with mode(True):
            return call(*args)  # type: ignore[no-any-return]

    source = f"# XLA backend: lowered onto jax.lax, compiled by jax.jit\n{opt}"
    return opt, run, source
