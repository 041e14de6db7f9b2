"""funcdiff programs as JAX programs: ``to_jax`` and ``export``.

funcdiff applies its transforms (``grad``, ``hessian``, ``vmap``, ``jet``...),
then the XLA backend (``funcdiff.backends.jax``) lowers the resulting jaxpr
onto ``jax.lax``. ``to_jax(f)`` is ``f`` as a JAX function, for ``jax.jit``,
``jax.vmap``, sharding over a ``jax.sharding.Mesh`` and the rest of JAX;
``export(f, *args)`` is a serialized StableHLO artifact (``jax.export``)
that JAX loads and calls without funcdiff. See docs/scale.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

import numpy as np

from funcdiff.backends.jax import lower_jaxpr, require_jax
from funcdiff.core.ir import ClosedJaxpr
from funcdiff.jit import Jitted
from funcdiff.passes import optimize
from funcdiff.tree import tree_unflatten

__all__ = ["ToJax", "export", "to_jax"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _stage_only(
    closed: ClosedJaxpr, name: str, scalar_outputs: tuple[int, ...]
) -> tuple[ClosedJaxpr, Callable[..., list[Any]], str]:
    return optimize(closed), _staged_only, ""


def _staged_only(*args: Any) -> list[Any]:
    raise AssertionError("unreachable: to_jax lowers the staged jaxpr itself")


class ToJax(Jitted[_P, _R]):
    """``f`` as a JAX function (see ``to_jax``): traced by funcdiff once per
    signature, its optimized jaxpr lowered onto ``jax.lax`` at each call."""

    def __init__(
        self,
        f: Callable[_P, _R],
        static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (),
    ) -> None:
        super().__init__(f, static_argnums, static_argnames)
        self._compiler = _stage_only

    def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        entry, leaves, _ = self._entry(args, kwargs)
        assert entry is not None
        outs = lower_jaxpr(entry.closed.jaxpr, entry.closed.consts, leaves)
        return tree_unflatten(entry.out_tree, outs)  # type: ignore[no-any-return]


def to_jax(
    f: Callable[_P, _R],
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
) -> ToJax[_P, _R]:
    """``f`` as a JAX function: call it on JAX (or numpy) arrays, inside
    ``jax.jit``, ``jax.vmap``, ``jax.grad`` or a sharded computation. funcdiff
    traces ``f`` (with its funcdiff transforms: ``grad``, ``hessian``,
    ``jet``...) once per input signature and lowers the optimized jaxpr onto
    ``jax.lax``; pytrees in and out, ``static_argnums``/``static_argnames``
    as in ``jit``. For float64, turn on JAX's 64-bit mode (``jax.enable_x64``
    or ``funcdiff.backends.jax.x64()``).

    >>> import numpy as np, jax, funcdiff as fd, funcdiff.numpy as fnp
    >>> g = fd.to_jax(fd.grad(lambda x: fnp.sum(fnp.sin(x) ** 2)))
    >>> with jax.enable_x64(True):
    ...     print(np.round(jax.jit(g)(np.array([0.5, 1.0])), 6))
    [0.841471 0.909297]
    """
    require_jax()
    return ToJax(f, static_argnums, static_argnames)


def export(f: Callable[..., Any], *args: Any, **kwargs: Any) -> bytes:
    """``f`` at the shapes and dtypes of ``args`` (pytrees of arrays, or
    ``jax.ShapeDtypeStruct``) as a serialized StableHLO artifact
    (``jax.export``), which JAX loads and calls without funcdiff:
    ``jax.export.deserialize(blob).call(*args)``, with 64-bit mode on for
    float64 (the export runs in it).

    >>> import numpy as np, jax, funcdiff as fd, funcdiff.numpy as fnp
    >>> blob = fd.export(fd.grad(lambda x: fnp.sum(x ** 3)), np.ones(3))
    >>> with jax.enable_x64(True):
    ...     print(jax.export.deserialize(blob).call(np.arange(3.0)))
    [ 0.  3. 12.]
    """
    jax = require_jax()
    from jax import export as jax_export

    def spec(x: Any) -> Any:
        if isinstance(x, jax.ShapeDtypeStruct):
            return x
        if not hasattr(x, "dtype"):
            x = np.asarray(x)
        return jax.ShapeDtypeStruct(np.shape(x), x.dtype)

    with jax.enable_x64(True):
        g = to_jax(f)
        specs, kwspecs = jax.tree_util.tree_map(spec, (args, kwargs))
        exported = jax_export.export(jax.jit(g))(*specs, **kwspecs)
        return bytes(exported.serialize())
