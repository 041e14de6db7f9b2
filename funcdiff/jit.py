"""``jit``: trace once per input signature, optimize the jaxpr, run it as
generated straight-line numpy code.

``jit : (a -> b) -> (a -> b)``

The cache key of a call is the pytree structure of the arguments, the shape
and dtype of every array leaf, and the values of the static arguments. On a
miss, ``f`` is traced abstractly (so Python control flow on array values
raises a ConcretizationError naming ``static_argnums``), the jaxpr is
optimized (``funcdiff.passes``) and compiled (``interpreters.codegen``)
through ``staging.compile_cached``, so functions whose jaxprs have the same
structure share their generated code.

Called with tracers (inside ``grad``, ``vmap``, ``jvp`` or another ``jit``),
the cached, optimized jaxpr is evaluated equation by equation with ``bind``,
so the outer transform records or transforms it like any other code: ``f``
itself is not called again, and ``jit`` composes with every transform.
"""

from __future__ import annotations

import functools
import html
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, ParamSpec, TypeVar, cast

import numpy as np

from funcdiff.api_util import (
    as_array_leaf,
    fun_name,
    has_tracer,
    merge_args,
    split_args,
    trace_to_jaxpr,
)
from funcdiff.core import debug_state as _debug
from funcdiff.core.gcpause import paused_gc
from funcdiff.core.ir import ClosedJaxpr, ShapedArray, Var, as_result, aval_of
from funcdiff.core.lru import LRUCache, jaxpr_bytes
from funcdiff.core.trace import Tracer
from funcdiff.interpreters.eval import eval_jaxpr
from funcdiff.interpreters.staging import compile_cached
from funcdiff.passes import optimize
from funcdiff.tree import PyTreeDef, tree_flatten, tree_structure, tree_unflatten

Fun = Callable[..., Any]
_P = ParamSpec("_P")
_R = TypeVar("_R")


#: signatures each jit function keeps (least recently used dropped first), and
#: their estimated bytes; ``funcdiff.clear_caches()`` empties them all
CACHE_SIZE = 256
CACHE_BYTES = 256 << 20


def _entry_bytes(entry: _Entry) -> int:
    return jaxpr_bytes(entry.closed.consts, len(entry.closed.jaxpr.eqns), entry.source)


class _Entry:
    """One compiled signature: the optimized jaxpr and its generated code."""

    __slots__ = (
        "closed",
        "fn",
        "n_traced_eqns",
        "out_tree",
        "scalar_outputs",
        "single_leaf",
        "source",
    )

    def __init__(
        self,
        closed: ClosedJaxpr,
        fn: Callable[..., list[Any]],
        source: str,
        out_tree: PyTreeDef,
        n_traced_eqns: int,
        scalar_outputs: tuple[int, ...] = (),
    ) -> None:
        self.closed = closed
        self.scalar_outputs = scalar_outputs
        self.fn = fn
        self.source = source
        self.out_tree = out_tree
        self.n_traced_eqns = n_traced_eqns
        self.single_leaf = out_tree == _SCALAR_LEAF


class Lowered:
    """What ``jit`` runs for one signature: ``str()`` shows the optimized
    jaxpr and the generated numpy source."""

    def __init__(self, entry: _Entry) -> None:
        self.jaxpr = entry.closed
        self.source = entry.source
        self.traced_eqns = entry.n_traced_eqns

    def as_text(self) -> str:
        return (
            f"# optimized jaxpr ({len(self.jaxpr.eqns)} equations, "
            f"{self.traced_eqns} as traced)\n{self.jaxpr}\n\n# generated code\n{self.source}"
        )

    __str__ = as_text

    def _repr_html_(self) -> str:
        """Notebook display: the optimized jaxpr (highlighted), then the
        generated code, folded."""
        from funcdiff.core.pretty import html_jaxpr

        n, traced = len(self.jaxpr.eqns), self.traced_eqns
        return (
            f"<div><b>optimized jaxpr</b> ({n} equations, {traced} as traced)"
            f"{html_jaxpr(str(self.jaxpr))}<details><summary><b>generated code</b> "
            f"({self.source.count(chr(10)) + 1} lines)</summary>"
            f"<pre>{html.escape(self.source)}</pre></details></div>"
        )


_F64_SCALAR_KEY = ((), np.dtype(np.float64))


def _leaf_key(x: Any) -> Any:
    if type(x) is np.ndarray:
        return (x.shape, x.dtype)
    if isinstance(x, Tracer):
        return (x.aval.shape, x.aval.dtype)
    if isinstance(x, float):
        return _F64_SCALAR_KEY
    if _is_foreign_array(x):  # a JAX array or tracer: no copy to the host
        return (tuple(x.shape), np.dtype(x.dtype))
    a = aval_of(np.asarray(x))
    return (a.shape, a.dtype)


def _static_key(v: Any) -> Any:
    """A static argument as a cache key: by type and, for floating-point
    numbers, by their bits. Equality alone would let ``-0.0`` reuse the code
    traced for ``0.0`` (``x / s`` then gives +inf for -inf) and ``True`` or
    ``1.0`` the code traced for ``1``, which may branch on the type."""
    t = type(v)
    if isinstance(v, (float, np.floating)):
        return (t, float(v).hex())
    if isinstance(v, (complex, np.complexfloating)):
        z = complex(v)
        return (t, z.real.hex(), z.imag.hex())
    if t is tuple:  # (a user's static tuple: shallow)
        return (t, tuple(_static_key(e) for e in v))
    return (t, v)


def _is_foreign_array(x: Any) -> bool:
    """An array of another library (a JAX array, or a JAX tracer when
    ``to_jax(f)`` runs inside ``jax.jit``): it has a shape and a dtype but is
    neither a numpy array, a number nor a sequence."""
    return (
        not isinstance(x, (np.ndarray, np.generic, list, tuple))
        and hasattr(x, "shape")
        and hasattr(x, "dtype")
    )


def _leaf_aval(x: Any) -> ShapedArray:
    if _is_foreign_array(x):
        return ShapedArray(tuple(x.shape), np.dtype(x.dtype))
    return aval_of(_as_input(x))


#: ``compile(closed, name, scalar_outputs) -> (optimized, fn, source)``: how
#: a backend turns a traced jaxpr into a function of its inputs returning a
#: list (and the optimized jaxpr it runs, and a text to show for it)
Compiled = tuple[ClosedJaxpr, Callable[..., list[Any]], str]
Compiler = Callable[[ClosedJaxpr, str, tuple[int, ...]], Compiled]


def _compile_numpy(closed: ClosedJaxpr, name: str, scalar_outputs: tuple[int, ...]) -> Compiled:
    compiled = compile_cached(
        closed,
        name=name,
        scalar_outputs=scalar_outputs,
        # debug_nans names the source line of each variable of this trace
        share=not _debug.STATE.enabled,
        by_identity=False,  # the next trace is a new jaxpr: do not keep this one
    )
    return compiled.closed, compiled.fn, compiled.source


def _backend_compiler(backend: str) -> Compiler:
    if backend == "numpy":
        return _compile_numpy
    if backend == "jax":
        from funcdiff.backends.jax import compile_jaxpr

        return compile_jaxpr
    raise ValueError(f"jit: unknown backend {backend!r}; the backends are 'numpy' and 'jax'")


_SCALAR_LEAF = tree_structure(0)


_STATIC_HINT = "mark it static (static_argnums / static_argnames) if it is a configuration value"


def _as_input(x: Any) -> Any:
    return as_array_leaf(x, "jit: an argument leaf", _STATIC_HINT)


class Jitted(Generic[_P, _R]):
    """A jit-compiled function. Call it like ``f``; see ``jit``."""

    def __init__(
        self,
        f: Callable[_P, _R],
        static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (),
        backend: str = "numpy",
    ) -> None:
        self.f = f
        self.backend = backend
        self._compiler = _backend_compiler(backend)
        self.static_argnums = (
            (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        )
        self.static_argnames = (
            (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
        )
        # positional-only calls, keyed without splitting: an index into _cache,
        # emptied whenever _cache drops an entry (so it keeps none alive for long)
        self._fast: dict[Any, _Entry] = {}
        self._cache: LRUCache[Any, _Entry] = LRUCache(
            "jit",
            max_entries=CACHE_SIZE,
            max_bytes=CACHE_BYTES,
            sizeof=_entry_bytes,
            on_drop=self._fast.clear,
        )
        self._lock = threading.Lock()
        self.trace_count = 0
        functools.update_wrapper(self, f, updated=())

    # -- signature ----------------------------------------------------------
    def _split(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
        nargs = len(args)
        statics = []
        for i in self.static_argnums:
            j = i % nargs if -nargs <= i < nargs else None
            if j is None:
                raise ValueError(
                    f"jit: static_argnums={self.static_argnums} is out of range for a call "
                    f"with {nargs} positional arguments"
                )
            statics.append(args[j])
        static_kw = tuple(sorted((k, v) for k, v in kwargs.items() if k in self.static_argnames))
        for val in [*statics, *(v for _, v in static_kw)]:
            try:
                hash(val)
            except TypeError:
                raise TypeError(
                    f"jit: a static argument of type {type(val).__name__} is unhashable; "
                    "static arguments key the compilation cache, so pass a hashable value "
                    "(a tuple instead of a list, for instance)"
                ) from None
        dyn_args = tuple(split_args(args, {i % nargs for i in self.static_argnums})[1])
        dyn_kw = {k: v for k, v in kwargs.items() if k not in self.static_argnames}
        key = (
            tuple(_static_key(v) for v in statics),
            tuple((k, _static_key(v)) for k, v in static_kw),
        )
        return key, dyn_args, dyn_kw

    def _rebuild_call(
        self,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        leaves: Sequence[Any],
        in_tree: PyTreeDef,
    ) -> Any:
        dyn_args, dyn_kw = tree_unflatten(in_tree, leaves)
        norm = {i % len(args) for i in self.static_argnums}
        full = merge_args(norm, split_args(args, norm)[0], dyn_args)
        kw = {k: v for k, v in kwargs.items() if k in self.static_argnames}
        kw.update(dyn_kw)
        return self.f(*full, **kw)

    def _entry(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[_Entry | None, list[Any], Any]:
        static_key, dyn_args, dyn_kw = self._split(args, kwargs)
        leaves, in_tree = tree_flatten((dyn_args, dyn_kw))
        key = (in_tree, static_key, tuple(_leaf_key(x) for x in leaves))
        entry = self._cache.get(key)
        if entry is None:
            entry = self._compile(args, kwargs, leaves, in_tree, key)
        return entry, leaves, key

    def _trace(
        self,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        leaves: Sequence[Any],
        in_tree: PyTreeDef,
    ) -> tuple[ClosedJaxpr, PyTreeDef]:
        avals = [_leaf_aval(x) for x in leaves]
        out_tree_box: list[PyTreeDef] = []
        what = f"jit: an output leaf of {fun_name(self.f)}"

        def flat_fun(*tracers: Any) -> list[Any]:
            out_leaves, out_tree = tree_flatten(self._rebuild_call(args, kwargs, tracers, in_tree))
            out_tree_box.append(out_tree)
            for o in out_leaves:
                as_array_leaf(o, what)  # raises for a leaf that is not an array
            # constants stay as the function returned them (a Python int stays an
            # int), so calls return what an eager call returns
            return out_leaves

        closed, _ = trace_to_jaxpr(flat_fun, avals)
        self.trace_count += 1
        return closed, out_tree_box[0]

    def _compile(
        self,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        leaves: Sequence[Any],
        in_tree: PyTreeDef,
        key: Any,
    ) -> _Entry | None:
        with paused_gc():  # funcdiff makes no cycles; see core/gcpause.py
            closed, out_tree = self._trace(args, kwargs, leaves, in_tree)
            n_traced = len(closed.jaxpr.eqns)
            # 0-d results f computed are numpy scalars, as eagerly (``as_result``);
            # inputs and constants f hands back keep their type
            given = {*closed.jaxpr.invars, *closed.jaxpr.constvars}
            scalar_outputs = tuple(
                k
                for k, o in enumerate(closed.jaxpr.outvars)
                if isinstance(o, Var) and o not in given and o.aval.ndim == 0
            )
            if has_tracer(closed.consts):
                closed = optimize(closed)
                if has_tracer(closed.consts):
                    # f closes over a value traced by an enclosing transform: this
                    # jaxpr is only valid inside that transform, so it is not cached.
                    return _Entry(closed, _no_fn, "", out_tree, n_traced, scalar_outputs)
            name = getattr(self.f, "__name__", "jitted").replace("<", "_").replace(">", "_")
            closed, fn, source = self._compiler(closed, name, scalar_outputs)
            entry = _Entry(closed, fn, source, out_tree, n_traced, scalar_outputs)
            self._cache.put(key, entry)
            return entry

        # -- calling -----------------------------------------------------------

    def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        fast_key: Any = None
        if not kwargs and not self.static_argnums:
            # fast path: no static arguments, so the positional pytree keys the call;
            # arguments that are all arrays or floats are their own leaves (the
            # key's first item is then their number, never a PyTreeDef)
            keys: list[Any] = []
            plain = True
            for a in args:
                t = type(a)
                if t is np.ndarray:
                    arr = cast(np.ndarray, a)
                    keys.append((arr.shape, arr.dtype))
                elif t is float:
                    keys.append(_F64_SCALAR_KEY)
                else:
                    plain = False
                    break
            leaves: Sequence[Any]
            if plain:
                leaves, fast_key = args, (len(args), tuple(keys))
            else:
                leaves, in_tree = tree_flatten(args)
                fast_key = (in_tree, tuple([_leaf_key(x) for x in leaves]))
            hit = self._fast.get(fast_key)
            if (
                hit is not None
                and not _debug.STATE.enabled
                and (plain or not has_tracer(leaves))  # plain: arrays and floats only
            ):
                outs = hit.fn(*leaves)
                return outs[0] if hit.single_leaf else tree_unflatten(hit.out_tree, outs)  # type: ignore[no-any-return]
        entry, leaves, _ = self._entry(args, kwargs)
        assert entry is not None
        # debug_nans: run equation by equation, so each result is checked
        if entry.fn is _no_fn or _debug.STATE.enabled or has_tracer(leaves):
            outs = eval_jaxpr(
                entry.closed.jaxpr, entry.closed.consts, [_as_input(x) for x in leaves]
            )
            if not has_tracer(outs):  # concrete results are the caller's to mutate
                outs = [o.copy() if isinstance(o, np.ndarray) else o for o in outs]
                for k in entry.scalar_outputs:
                    outs[k] = as_result(outs[k])
        else:
            for x in leaves:
                if not _is_foreign_array(x):
                    _as_input(x)  # raises for a leaf that is not an array
            # the leaves as given, as on the fast path: an input handed back
            # unchanged keeps its type
            outs = entry.fn(*leaves)
            if fast_key is not None:
                if len(self._fast) >= 4 * CACHE_SIZE:
                    self._fast.clear()
                self._fast[fast_key] = entry
        return tree_unflatten(entry.out_tree, outs)  # type: ignore[no-any-return]

    def lower(self, *args: Any, **kwargs: Any) -> Lowered:
        """The optimized jaxpr and generated code for this signature."""
        entry, _, _ = self._entry(args, kwargs)
        assert entry is not None
        return Lowered(entry)

    def clear_cache(self) -> None:
        self._cache.clear()
        self._fast.clear()


def _no_fn(*args: Any) -> list[Any]:
    raise AssertionError("unreachable: uncached jit entries are evaluated with eval_jaxpr")


def jit(
    f: Callable[_P, _R],
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
    backend: str = "numpy",
) -> Jitted[_P, _R]:
    """Compile ``f``: trace once per signature, optimize, run generated numpy code.

    Args:
      f: a pure function of arrays (pytrees).
      static_argnums: positional arguments that are Python values (sizes,
        flags, functions): they key the cache and may drive Python control flow.
        They key it by type and value, floats by their bits: ``1``, ``1.0``
        and ``True`` are three entries, and so are ``0.0`` and ``-0.0``.
      static_argnames: the same for keyword arguments.
      backend: ``"numpy"`` (generated numpy code) or ``"jax"``: the
        optimized jaxpr is lowered onto ``jax.lax`` and compiled by XLA
        (``funcdiff.backends.jax``; needs ``pip install 'funcdiff[jax]'``).
        With ``"jax"`` calls return JAX arrays and run with JAX's 64-bit
        mode on, so float64 stays float64; see docs/scale.md.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> df = fd.jit(fd.grad(lambda x: x ** fnp.cos(x)))
    >>> print(f"{float(df(3.0)):.6f}")
    -0.163465
    """
    return Jitted(f, static_argnums, static_argnames, backend)
