"""The transforms users call: jvp, vjp, grad, value_and_grad, jacfwd, jacrev,
jacobian, hessian, hvp, vmap and make_jaxpr.

Each one flattens its pytree arguments, traces the function into a jaxpr
(carrying values when the inputs are concrete, so the forward pass runs
exactly once) and hands the jaxpr to an interpreter: ``jvp_jaxpr`` for
forward mode, ``backward_pass`` for reverse mode, ``vmap_jaxpr`` for
batching. Because interpreters only call ``bind``, a transform applied inside
another is recorded by the outer trace, so every transform composes with
every other.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Container, Sequence
from typing import Any, Concatenate, Literal, NamedTuple, ParamSpec, TypeVar, overload

import numpy as np

from funcdiff.api_util import as_array_leaf, fun_name, merge_args, split_args, trace_to_jaxpr
from funcdiff.core import debug_state as _debug
from funcdiff.core.fpwarnings import user_warnings
from funcdiff.core.gcpause import paused_gc
from funcdiff.core.ir import ClosedJaxpr, Jaxpr, ShapedArray, Var, as_result, aval_of
from funcdiff.core.lru import LRUCache
from funcdiff.core.primitive import Zero, zeros
from funcdiff.core.progress import progress as progress_bar
from funcdiff.core.trace import JaxprTrace, Tracer
from funcdiff.errors import ConcretizationError, DTypeError, FuncdiffError, ShapeError
from funcdiff.interpreters.compiled import SEEN, Pass, run_pass
from funcdiff.interpreters.eval import eval_jaxpr
from funcdiff.interpreters.jvp import jvp_jaxpr
from funcdiff.interpreters.staging import MAX_SHARED_EQNS, structure_key
from funcdiff.interpreters.vjp import backward_pass
from funcdiff.interpreters.vmap import vmap_jaxpr
from funcdiff.jit import jit
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import shape as sh
from funcdiff.tree import (
    PyTreeDef,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
)

Fun = Callable[..., Any]

# The transforms' types. A derivative with respect to an argument has that
# argument's type (an array, or a pytree of arrays: a dict of them stays a
# dict), so ``grad(f)`` of a function whose first argument is a ``T``
# returns a ``T``. Other ``argnums``, Jacobians and ``vmap`` give ``Any``:
# their results are shaped by values (a tuple per argument, an output pytree
# of argument pytrees, a batched output) that a signature cannot name.
# The overloads are arranged so that a call with the defaults matches one
# overload only: with two matches, mypy's rule for arguments typed with Any
# (a ``Callable[..., Any]``) would make the result an untyped function.
_P = ParamSpec("_P")
_T = TypeVar("_T")
_R = TypeVar("_R")
_Aux = TypeVar("_Aux")


# ---------------------------------------------------------------------------
# argument handling
# ---------------------------------------------------------------------------


def _user_lines(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """``fn`` with numpy's floating-point warnings attributed to the caller's
    line (``funcdiff.core.fpwarnings``), not to funcdiff's, and the cyclic
    garbage collector paused while it runs (``funcdiff.core.gcpause``)."""

    @functools.wraps(fn)
    def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with user_warnings(), paused_gc():
            return fn(*args, **kwargs)

    return wrapped


def _diff_value(x: Any, what: str, transform: str) -> Any:
    """A leaf we differentiate with respect to: must be floating point."""
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return np.asarray(x, dtype=np.float64)
    x = as_array_leaf(x, what)
    dt = aval_of(x).dtype
    if dt.kind not in "fc":
        raise DTypeError(
            f"{transform} requires floating-point inputs, but {what} has dtype {dt} "
            f"(shape {aval_of(x).shape}). Convert it, e.g. x.astype(float), or do not "
            "differentiate with respect to it (argnums)."
        )
    return x


def _check_complex(
    transform: str,
    holomorphic: bool,
    in_avals: Sequence[ShapedArray],
    out_avals: Sequence[ShapedArray],
    real_outputs: bool,
    real_inputs: bool = False,
) -> None:
    """JAX's dtype rules for complex differentiation. ``holomorphic=True``
    needs complex inputs and outputs (the derivative is then f'(z)); without
    it, reverse mode needs real outputs (``real_outputs``) and forward-mode
    Jacobians real inputs (``real_inputs``): with complex values there a
    single complex number cannot hold the derivative of a function that is
    not holomorphic."""
    if holomorphic:
        for what, avals in (("inputs", in_avals), ("outputs", out_avals)):
            for a in avals:
                if a.dtype.kind != "c":
                    raise DTypeError(
                        f"{transform} with holomorphic=True requires {what} with a complex "
                        f"dtype, but got {a.dtype}. Convert them, e.g. x.astype(complex)."
                    )
        return
    if real_outputs:
        for a in out_avals:
            if a.dtype.kind == "c":
                raise DTypeError(
                    f"{transform} requires real-valued outputs, but the output has dtype "
                    f"{a.dtype}. For holomorphic differentiation, pass holomorphic=True; "
                    "for a function that is not holomorphic, differentiate its real and "
                    "imaginary parts (funcdiff.numpy.real/imag), or use vjp/jvp directly."
                )
    if real_inputs:
        for a in in_avals:
            if a.dtype.kind == "c":
                raise DTypeError(
                    f"{transform} requires real-valued inputs, but an input has dtype "
                    f"{a.dtype}. For holomorphic differentiation, pass holomorphic=True; "
                    "for a function that is not holomorphic, use jacrev (real outputs) "
                    "or jvp directly."
                )


def _argnums_tuple(argnums: int | Sequence[int], nargs: int, name: str) -> tuple[int, ...]:
    if type(argnums) is int and 0 <= argnums < nargs:  # the common case, on every call
        return (argnums,)
    nums = (argnums,) if _is_int(argnums) else argnums
    if not isinstance(nums, (tuple, list)) or not all(_is_int(a) for a in nums):
        raise TypeError(
            f"{name}: argnums must be an int or a tuple of ints, got {argnums!r} "
            f"({type(argnums).__name__})"
        )
    for a in nums:
        if not -nargs <= a < nargs:
            raise ValueError(
                f"{name}: argnums={argnums!r} is out of range for a call with {nargs} "
                f"positional argument{'s' if nargs != 1 else ''}"
            )
    norm = tuple(int(a) % nargs for a in nums)
    if len(set(norm)) != len(norm):
        raise ValueError(
            f"{name}: argnums={argnums!r} names the same argument twice; list each argument once"
        )
    return norm


def _is_int(x: Any) -> bool:
    """A Python or numpy integer, not a bool (``True`` is no argument number)."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _check_chunk_size(chunk_size: Any, name: str) -> None:
    if chunk_size is not None and (not _is_int(chunk_size) or chunk_size < 1):
        raise ValueError(f"{name}: chunk_size must be a positive int or None, got {chunk_size!r}")


def _check_axes_spec(spec: Any, what: str) -> None:
    """Every leaf of an in_axes/out_axes spec is an int or None."""
    stack = [spec]
    while stack:
        a = stack.pop()
        if a is None or _is_int(a):
            continue
        if isinstance(a, (tuple, list)):
            stack.extend(a)
        elif isinstance(a, dict):
            stack.extend(a.values())
        else:
            raise TypeError(
                f"vmap: {what} must be an int, None, or a tuple/list/dict of them, "
                f"but it holds {a!r} ({type(a).__name__})"
            )


def _to_user(x: Any, given: Container[int] = ()) -> Any:
    """A result handed back to the user: tracers stay, 0-d values become numpy
    scalars, other numbers arrays of the user's own: writable, and never the
    very array (or a view of an array) that was passed in or closed over
    (``given`` holds their ids)."""
    if isinstance(x, (Tracer, np.generic)):  # (numpy scalars are immutable: handed out as they are)
        return x
    if isinstance(x, Zero):
        return as_result(np.zeros(x.aval.shape, x.aval.dtype))
    arr = np.asarray(x)
    if arr.ndim == 0:
        return arr[()]  # numpy's rule for 0-d results (``as_result``): a fresh scalar
    if (
        not arr.flags.writeable
        or id(x) in given
        or (arr.base is not None and id(arr.base) in given)
    ):
        arr = arr.copy()
    return arr


def _lower(x: Any, trace: JaxprTrace) -> Any:
    """A tracer of ``trace`` (now finished) as its value; anything else unchanged."""
    if isinstance(x, Tracer) and x._trace is trace:
        return x.val
    return x


class _Traced:
    """A function traced with concrete values: its jaxpr, env and outputs."""

    def __init__(
        self,
        f: Fun,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        argnums: tuple[int, ...],
        transform: str,
        has_aux: bool = False,
        replays: _Replays | None = None,
    ) -> None:
        dyn = (args[argnums[0]],) if len(argnums) == 1 else tuple(args[i] for i in argnums)
        # the common call, one float array (or number) argument: no pytree walk
        one = len(dyn) == 1 and _is_plain_float(dyn[0])
        if one:
            (x,) = dyn
            self.in_tree = _ONE_LEAF
            self.in_vals = [x if type(x) is np.ndarray else np.asarray(x, dtype=np.float64)]
        else:
            leaves, self.in_tree = tree_flatten(dyn)
            try:
                self.in_vals = [_diff_value(x, "an argument", transform) for x in leaves]
            except (TypeError, ValueError):  # redo, naming the offending leaf by its path
                paths = _leaf_names(dyn, argnums)
                self.in_vals = [
                    _diff_value(x, p, transform) for x, p in zip(leaves, paths, strict=True)
                ]
        self.in_avals = [aval_of(v) for v in self.in_vals]
        aux_box: list[Any] = []

        def flat_fun(*tracers: Any) -> list[Any]:
            new_args = list(args)
            if one:
                new_args[argnums[0]] = tracers[0]
            else:
                for i, a in zip(argnums, tree_unflatten(self.in_tree, tracers), strict=True):
                    new_args[i] = a
            out = f(*new_args, **kwargs)
            if not has_aux and isinstance(out, Tracer):  # one traced array out
                self.out_tree = _LEAF
                return [out]
            if has_aux:
                if not (isinstance(out, (tuple, list)) and len(out) == 2):
                    raise TypeError(
                        f"{transform}(has_aux=True): {fun_name(f)} must return a pair "
                        f"(output, aux), but it returned {type(out).__name__}"
                    )
                out, aux = out
                aux_box.append(aux)
            out_leaves, self.out_tree = tree_flatten(out)
            return [as_array_leaf(o, f"output of {fun_name(f)}") for o in out_leaves]

        self.closed: ClosedJaxpr
        # the structure key of the jaxpr, when known (see ``skey``)
        self._skey: Any = _UNKNOWN
        self._replays = replays
        self._signature: Any = None
        expect = None
        if replays is not None:
            # (one plain argument: its aval alone, which no tuple equals)
            self._signature = self.in_avals[0] if one else (self.in_tree, tuple(self.in_avals))
            expect = replays.get(self._signature)
        self.closed, trace = trace_to_jaxpr(
            flat_fun, self.in_avals, self.in_vals, None if expect is None else expect[0]
        )
        if trace.replayed:
            assert expect is not None
            self._skey = expect[1]
        self.env: dict[Var, Any] = trace.env
        # arrays the caller owns (inputs, closed-over constants): never handed back as results
        given = self.given = set(map(id, self.in_vals))
        given.update(map(id, self.closed.consts))
        jaxpr = self.closed.jaxpr
        self.out_vals = [trace.env[x] if isinstance(x, Var) else x.val for x in jaxpr.outvars]
        # (each output variable's aval is its value's: recorded from it, or checked in replay)
        self.out_avals = [x.aval for x in jaxpr.outvars]
        self.aux = tree_map(lambda x: _lower(x, trace), aux_box[0]) if has_aux else None

    @property
    def skey(self) -> Any:
        """The jaxpr's structure key (None: not comparable); kept, with the
        jaxpr, for the next call to replay (``JaxprTrace``)."""
        if self._skey is _UNKNOWN:
            self._skey = structure_key(self.closed.jaxpr)
            replays = self._replays
            if (
                replays is not None
                and self._skey is not None
                and len(self.closed.jaxpr.eqns) <= MAX_SHARED_EQNS  # (kept after the call)
            ):
                if len(replays) >= _MAX_REPLAYS:
                    replays.clear()
                replays[self._signature] = (self.closed.jaxpr, self._skey)
        return self._skey

    def compiled(self, kind: Pass, extra: Sequence[Any]) -> list[Any] | None:
        """Pass ``kind`` on ``extra`` (cotangents or tangents) as cached
        generated code (``interpreters.compiled``), or None when the fast
        path does not apply."""
        skey = self.skey
        if skey is None:
            return None
        return run_pass(kind, self.closed.jaxpr, self.env, extra, skey)

    def pullback(self, cts: Sequence[Any]) -> list[Any]:
        """Input cotangents (zeros instantiated) for output cotangents ``cts``."""
        fast = self.compiled(Pass.VJP, cts)
        if fast is not None:
            return fast
        return self._interpreted_pullback(cts)

    def unit_pullback(self) -> list[Any]:
        """``pullback`` of a scalar output's cotangent 1 (``grad``), which the
        compiled pass folds in (``Pass.GRAD``)."""
        fast = self.compiled(Pass.GRAD, ())
        if fast is not None:
            return fast
        return self._interpreted_pullback([np.ones((), self.out_avals[0].dtype)])

    def _interpreted_pullback(self, cts: Sequence[Any]) -> list[Any]:
        res = backward_pass(self.closed.jaxpr, self.env, cts)
        return [
            zeros(a) if isinstance(c, Zero) else c for a, c in zip(self.in_avals, res, strict=True)
        ]

    def pushforward(self, tangents: Sequence[Any]) -> list[Any]:
        """Output tangents (zeros instantiated) for input ``tangents``."""
        fast = self.compiled(Pass.JVP, tangents)
        if fast is not None:
            return fast
        res = jvp_jaxpr(self.closed.jaxpr, self.env, tangents)
        return [zeros(r.aval) if isinstance(r, Zero) else r for r in res]


_LEAF = tree_structure(0)
_ONE_LEAF = tree_structure((0,))
_UNKNOWN: Any = object()

#: a transform's last jaxpr and its structure key, by input signature: the
#: next call replays it (``JaxprTrace``), skipping new equations and the key
_Replays = dict[Any, tuple[Jaxpr, Any]]
#: signatures kept per transform (a transform called on many shapes starts over)
_MAX_REPLAYS = 8


def _is_plain_float(x: Any) -> bool:
    """A float array or Python float: a leaf ``_diff_value`` takes as it is."""
    return (type(x) is np.ndarray and x.dtype.kind == "f") or type(x) is float


def _leaf_names(dyn: tuple[Any, ...], argnums: tuple[int, ...]) -> list[str]:
    from funcdiff.tree import keystr, tree_flatten_with_path

    names = []
    for path, _ in tree_flatten_with_path(dyn)[0]:
        i = argnums[getattr(path[0], "idx", 0)]
        rest = keystr(path[1:])
        names.append(f"argument {i}{rest}" if rest else f"argument {i}")
    return names


# ---------------------------------------------------------------------------
# forward and reverse mode
# ---------------------------------------------------------------------------


@overload
def jvp(
    f: Callable[..., _R],
    primals: Sequence[Any],
    tangents: Sequence[Any],
    has_aux: Literal[False] = False,
) -> tuple[_R, _R]: ...
@overload
def jvp(
    f: Callable[..., tuple[_R, _Aux]],
    primals: Sequence[Any],
    tangents: Sequence[Any],
    has_aux: Literal[True],
) -> tuple[_R, _R, _Aux]: ...
@overload
def jvp(f: Fun, primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool) -> Any: ...
@_user_lines
def jvp(f: Fun, primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False) -> Any:
    """Forward mode: ``(f(*primals), J(primals) @ tangents)``.

    Args:
      f: function of arrays (pytrees) to differentiate.
      primals: tuple of the arguments at which to differentiate.
      tangents: tuple of tangents, same structure, shapes and dtypes.
      has_aux: f returns ``(out, aux)``; aux is returned undifferentiated.

    Returns:
      ``(primal_out, tangent_out)`` (plus ``aux`` when ``has_aux``).

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> y, dy = fd.jvp(fnp.sin, (0.0,), (2.0,))
    >>> float(y), float(dy)
    (0.0, 2.0)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples (or lists) of arguments")
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: {len(primals)} primals but {len(tangents)} tangents; "
            "give one tangent per argument"
        )
    tr = _Traced(f, tuple(primals), {}, tuple(range(len(primals))), "jvp", has_aux)
    t_leaves, t_tree = tree_flatten(tuple(tangents))
    if t_tree != tr.in_tree:
        raise ValueError(f"jvp: tangents structure {t_tree} differs from primals {tr.in_tree}")
    ts = []
    for i, (t, a) in enumerate(zip(t_leaves, tr.in_avals, strict=True)):
        if isinstance(t, (int, float)) and not isinstance(t, bool):
            t = np.asarray(t, a.dtype)  # a Python number takes its primal's dtype
        t = _diff_value(t, f"tangent leaf {i}", "jvp")
        if aval_of(t).dtype != a.dtype:
            raise DTypeError(
                f"jvp: tangent leaf {i} has dtype {aval_of(t).dtype} but its primal has "
                f"dtype {a.dtype}; primal and tangent must have the same dtype "
                f"(cast the tangent, e.g. t.astype(np.{a.dtype}))"
            )
        if aval_of(t).shape != a.shape:
            raise ShapeError(
                f"jvp: tangent leaf {i} has shape {aval_of(t).shape} but its primal has "
                f"shape {a.shape}"
            )
        ts.append(t)
    given = tr.given | {id(t) for t in ts}
    outs = tree_unflatten(tr.out_tree, [_to_user(v, given) for v in tr.out_vals])
    t_outs = tree_unflatten(tr.out_tree, [_to_user(t, given) for t in tr.pushforward(ts)])
    if has_aux:
        return outs, t_outs, tr.aux
    return outs, t_outs


@overload
def vjp(
    f: Callable[..., _R], *primals: Any, has_aux: Literal[False] = False
) -> tuple[_R, Callable[[Any], tuple[Any, ...]]]: ...
@overload
def vjp(
    f: Callable[..., tuple[_R, _Aux]], *primals: Any, has_aux: Literal[True]
) -> tuple[_R, Callable[[Any], tuple[Any, ...]], _Aux]: ...
@overload
def vjp(f: Fun, *primals: Any, has_aux: bool) -> Any: ...
@_user_lines
def vjp(f: Fun, *primals: Any, has_aux: bool = False) -> Any:
    """Reverse mode: ``(f(*primals), vjp_fn)`` with ``vjp_fn(ct) = ct @ J``.

    ``vjp_fn`` takes a cotangent shaped like the output and returns a tuple
    with one cotangent per primal. It may be called many times (and under
    ``vmap``): the forward pass is not run again.

    >>> import funcdiff as fd
    >>> y, pullback = fd.vjp(lambda x: x * x, 3.0)
    >>> float(y), float(pullback(1.0)[0])
    (9.0, 6.0)
    """
    tr = _Traced(f, primals, {}, tuple(range(len(primals))), "vjp", has_aux)
    out = tree_unflatten(tr.out_tree, [_to_user(v, tr.given) for v in tr.out_vals])

    @_user_lines
    def vjp_fn(ct: Any) -> tuple[Any, ...]:
        ct_leaves, ct_tree = tree_flatten(ct)
        if ct_tree != tr.out_tree:
            raise ValueError(
                f"vjp_fn: cotangent structure {ct_tree} differs from the output's {tr.out_tree}"
            )
        cts = []
        for i, (c, a) in enumerate(zip(ct_leaves, tr.out_avals, strict=True)):
            if isinstance(c, (int, float)) and not isinstance(c, bool):
                c = np.asarray(c, a.dtype)  # a Python number takes its output's dtype
            c = as_array_leaf(c, f"cotangent leaf {i}")
            if aval_of(c).shape != a.shape:
                raise ShapeError(
                    f"vjp_fn: cotangent leaf {i} has shape {aval_of(c).shape}, "
                    f"the output has shape {a.shape}"
                )
            if aval_of(c).dtype != a.dtype and a.dtype.kind in "fc":
                raise DTypeError(
                    f"vjp_fn: cotangent leaf {i} has dtype {aval_of(c).dtype} but the output "
                    f"has dtype {a.dtype}; they must match (cast the cotangent, e.g. "
                    f"ct.astype(np.{a.dtype}))"
                )
            cts.append(c)
        res = tr.pullback(cts)
        given = tr.given | {id(c) for c in cts}
        return tuple(tree_unflatten(tr.in_tree, [_to_user(r, given) for r in res]))

    if has_aux:
        return out, vjp_fn, tr.aux
    return out, vjp_fn


@overload
def value_and_grad(
    f: Callable[Concatenate[_T, _P], _R],
    *,
    has_aux: Literal[False] = False,
    holomorphic: bool = False,
) -> Callable[Concatenate[_T, _P], tuple[_R, _T]]: ...
@overload
def value_and_grad(
    f: Callable[Concatenate[_T, _P], tuple[_R, _Aux]],
    *,
    has_aux: Literal[True],
    holomorphic: bool = False,
) -> Callable[Concatenate[_T, _P], tuple[tuple[_R, _Aux], _T]]: ...
@overload
def value_and_grad(
    f: Callable[_P, Any],
    argnums: int | Sequence[int],
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable[_P, tuple[Any, Any]]: ...
@overload
def value_and_grad(
    f: Callable[..., Any], *, has_aux: bool, holomorphic: bool = False
) -> Callable[..., tuple[Any, Any]]: ...
def value_and_grad(
    f: Fun, argnums: int | Sequence[int] = 0, has_aux: bool = False, holomorphic: bool = False
) -> Fun:
    """``f`` and its gradient in one pass: ``(value, grad)`` (or
    ``((value, aux), grad)`` with ``has_aux``). See ``grad``.

    >>> import funcdiff as fd
    >>> v, g = fd.value_and_grad(lambda x: x ** 3)(2.0)
    >>> float(v), float(g)
    (8.0, 12.0)
    """

    replays: _Replays = {}

    @functools.wraps(f)
    @_user_lines
    def value_and_grad_f(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args), "grad")
        tr = _Traced(f, args, kwargs, nums, "grad", has_aux, replays)
        if tr.out_tree is not _LEAF and tr.out_tree != _LEAF:
            raise TypeError(
                f"grad requires {fun_name(f)} to return one scalar array, but it returned "
                f"a pytree {tr.out_tree}. Use jacrev/jacobian for several outputs, or "
                "has_aux=True to return extra values."
            )
        (out_aval,) = tr.out_avals
        if out_aval.shape != ():
            raise ShapeError(
                f"grad requires a scalar output, but {fun_name(f)} returned shape "
                f"{out_aval.shape}. Reduce it (e.g. .sum()) or use jacrev/jacobian."
            )
        if out_aval.dtype.kind not in "fc":
            raise DTypeError(
                f"grad requires a floating-point output, but {fun_name(f)} returned "
                f"dtype {out_aval.dtype}"
            )
        if holomorphic or out_aval.dtype.kind == "c":
            _check_complex("grad", holomorphic, tr.in_avals, tr.out_avals, real_outputs=True)
        cts = tr.unit_pullback()
        if tr.in_tree is _ONE_LEAF and _is_int(argnums):
            g = _to_user(cts[0], tr.given)
        else:
            g = tree_unflatten(tr.in_tree, [_to_user(c, tr.given) for c in cts])
            g = g[0] if _is_int(argnums) else g
        value = _to_user(tr.out_vals[0], tr.given)
        return ((value, tr.aux) if has_aux else value), g

    return value_and_grad_f


@overload
def grad(
    f: Callable[Concatenate[_T, _P], Any],
    *,
    has_aux: Literal[False] = False,
    holomorphic: bool = False,
) -> Callable[Concatenate[_T, _P], _T]: ...
@overload
def grad(
    f: Callable[Concatenate[_T, _P], tuple[Any, _Aux]],
    *,
    has_aux: Literal[True],
    holomorphic: bool = False,
) -> Callable[Concatenate[_T, _P], tuple[_T, _Aux]]: ...
@overload
def grad(
    f: Callable[_P, Any],
    argnums: int | Sequence[int],
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable[_P, Any]: ...
@overload
def grad(
    f: Callable[..., Any], *, has_aux: bool, holomorphic: bool = False
) -> Callable[..., Any]: ...
def grad(
    f: Fun, argnums: int | Sequence[int] = 0, has_aux: bool = False, holomorphic: bool = False
) -> Fun:
    """The gradient of a scalar-valued ``f`` with respect to argument(s) ``argnums``.

    Args:
      f: function returning a scalar (0-d float array).
      argnums: which positional argument(s) to differentiate: an int gives
        the gradient shaped like that argument, a tuple gives a tuple.
      has_aux: f returns ``(value, aux)``; ``grad`` then returns ``(grad, aux)``.
      holomorphic: f maps complex inputs to a complex output holomorphically;
        the result is the complex derivative f'(z). Without it a complex
        output is an error, and for real-valued f of complex z the result
        is the conjugate of the steepest-ascent direction (JAX's
        convention: ``grad(lambda z: abs(z)**2)(3+4j) == 6-8j``).

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> round(float(fd.grad(lambda x: x ** fnp.cos(x))(3.0)), 6)
    -0.163465
    """
    vg = value_and_grad(f, argnums, has_aux, holomorphic)

    @functools.wraps(f)
    def grad_f(*args: Any, **kwargs: Any) -> Any:
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return grad_f


# ---------------------------------------------------------------------------
# Jacobians and Hessians: vmap over a basis
# ---------------------------------------------------------------------------


def _basis(n: int, dtype: Any) -> np.ndarray:
    return np.eye(n, dtype=dtype)


def _chunked_vmap(
    fun: Callable[[Any], list[Any]],
    basis: np.ndarray,
    chunk_size: int | None,
    progress: bool = False,
    desc: str = "chunks",
) -> list[Any]:
    """vmap ``fun`` over the rows of ``basis``, ``chunk_size`` rows at a time
    (with a progress bar over the chunks when ``progress``)."""
    n = basis.shape[0]
    if chunk_size is None or chunk_size >= n:
        return list(vmap(fun)(basis))
    parts = []
    with progress_bar(-(-n // chunk_size), desc, progress) as bar:
        for i in range(0, n, chunk_size):
            parts.append(list(vmap(fun)(basis[i : i + chunk_size])))
            bar.update()
    from funcdiff.numpy import concatenate

    return [concatenate([p[k] for p in parts], axis=0) for k in range(len(parts[0]))]


def _batched(
    tr: _Traced,
    kind: Pass,
    fun: Callable[[Any], list[Any]],
    avals: Sequence[ShapedArray],
    basis: np.ndarray,
    chunk_size: int | None,
    progress: bool = False,
    desc: str = "chunks",
) -> list[Any]:
    """``vmap(fun)`` over the rows of ``basis`` (cotangents for
    ``Pass.VJP_BATCHED``, tangents for ``Pass.JVP_BATCHED``), through a
    cached compiled pass when possible."""
    if chunk_size is None or chunk_size >= basis.shape[0]:
        pieces = [
            np.asarray(p).astype(a.dtype, copy=False)
            for p, a in zip(_split_flat(basis, avals, False), avals, strict=True)
        ]
        pieces = [p.reshape(basis.shape[0], *a.shape) for p, a in zip(pieces, avals, strict=True)]
        fast = tr.compiled(kind, pieces)
        if fast is not None:
            return fast
    return _chunked_vmap(fun, basis, chunk_size, progress, desc)


def _sizes(avals: Sequence[ShapedArray]) -> list[int]:
    return [a.size for a in avals]


def _split_flat(x: Any, avals: Sequence[ShapedArray], axis_first: bool) -> list[Any]:
    """Split the basis axis of ``x`` (first or last) into pieces shaped by ``avals``."""
    from funcdiff.numpy import _slice_axis

    out = []
    start = 0
    for a in avals:
        piece = _slice_axis(x, start, start + a.size, 0 if axis_first else -1)
        shape = aval_of(piece).shape
        new = (*a.shape, *shape[1:]) if axis_first else (*shape[:-1], *a.shape)
        out.append(sh.reshape(piece, new))
        start += a.size
    return out


def _basis_pieces(x: Any, avals: Sequence[ShapedArray]) -> list[Any]:
    """Basis rows split into one tangent (or cotangent) per value, each in that
    value's dtype (the basis is built in the dtype all of them promote to)."""
    return [ew.convert(p, a.dtype) for p, a in zip(_split_flat(x, avals, True), avals, strict=True)]


def _jac_dtype(avals: Sequence[ShapedArray]) -> Any:
    return np.result_type(*[a.dtype for a in avals]) if avals else np.float64


def _jacobian(
    mode: Literal["jacrev", "jacfwd"],
    f: Fun,
    argnums: int | Sequence[int],
    has_aux: bool,
    chunk_size: int | None,
    holomorphic: bool,
    progress: bool = False,
) -> Fun:
    """``jacrev`` and ``jacfwd``: one vectorized pass over a basis. Reverse
    mode pulls back the output basis (rows of the Jacobian, so outputs must
    be real); forward mode pushes forward the input basis (columns, so
    inputs must be real)."""
    reverse = mode == "jacrev"
    _check_chunk_size(chunk_size, mode)
    replays: _Replays = {}

    @functools.wraps(f)
    @_user_lines
    def jacobian_f(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args), mode)
        tr = _Traced(f, args, kwargs, nums, mode, has_aux, replays)
        out_avals, in_avals = tr.out_avals, tr.in_avals
        _check_complex(
            mode, holomorphic, in_avals, out_avals, real_outputs=reverse, real_inputs=not reverse
        )
        basis_avals = out_avals if reverse else in_avals
        dtype = _jac_dtype(basis_avals)
        run = tr.pullback if reverse else tr.pushforward

        def along(flat: Any) -> list[Any]:
            return run(_basis_pieces(flat, basis_avals))

        n = sum(_sizes(basis_avals))
        if reverse and n == 1:  # a scalar output: the basis has one row, no need to vmap
            stacked = [
                sh.reshape(r, (1, *a.shape))
                for r, a in zip(along(np.ones(1, dtype)), in_avals, strict=True)
            ]
        else:
            kind = Pass.VJP_BATCHED if reverse else Pass.JVP_BATCHED
            stacked = _batched(
                tr, kind, along, basis_avals, _basis(n, dtype), chunk_size, progress, mode
            )
        jac = _assemble(stacked, out_avals, in_avals, rows_are_outputs=reverse)
        return _finish_jac(jac, tr, argnums, has_aux)

    return jacobian_f


def jacrev(
    f: Callable[_P, Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    chunk_size: int | None = None,
    holomorphic: bool = False,
    progress: bool = False,
) -> Callable[_P, Any]:
    """Jacobian by reverse mode: one vectorized VJP over the output basis.

    The result has shape ``out.shape + arg.shape`` (nested as output pytree,
    then argument pytree). Outputs must be real unless ``holomorphic``
    (complex inputs and outputs, result f'(z)); see ``grad``. ``chunk_size``
    pulls back that many basis vectors at a time; ``progress=True`` then
    shows a progress bar over the chunks.

    >>> import funcdiff as fd, numpy as np
    >>> fd.jacrev(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    return _jacobian("jacrev", f, argnums, has_aux, chunk_size, holomorphic, progress)


def jacfwd(
    f: Callable[_P, Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    chunk_size: int | None = None,
    holomorphic: bool = False,
    progress: bool = False,
) -> Callable[_P, Any]:
    """Jacobian by forward mode: one vectorized JVP over the input basis.

    Inputs must be real unless ``holomorphic`` (complex inputs and outputs,
    result f'(z)); see ``grad``. ``chunk_size`` and ``progress`` as for
    :func:`jacrev`.

    >>> import funcdiff as fd, numpy as np
    >>> fd.jacfwd(lambda x: x[0] * x)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [2., 1.]])
    """
    return _jacobian("jacfwd", f, argnums, has_aux, chunk_size, holomorphic, progress)


def _assemble(
    stacked: list[Any],
    out_avals: Sequence[ShapedArray],
    in_avals: Sequence[ShapedArray],
    rows_are_outputs: bool,
) -> list[list[Any]]:
    """Blocks ``jac[i][j]`` of shape ``out_i.shape + in_j.shape``."""
    if rows_are_outputs:
        # stacked[j]: (m, *in_j.shape); split m over the outputs
        per_in = [_split_flat(s, out_avals, True) for s in stacked]
        return [[per_in[j][i] for j in range(len(in_avals))] for i in range(len(out_avals))]
    # stacked[i]: (n, *out_i.shape); move the basis axis last, split over inputs
    blocks = []
    for s in stacked:
        s = sh.moveaxis(s, 0, -1)
        blocks.append(_split_flat(s, in_avals, False))
    return blocks


def _finish_jac(jac: list[list[Any]], tr: _Traced, argnums: Any, has_aux: bool) -> Any:
    single = _is_int(argnums)
    rows = []
    for blocks in jac:
        per_arg = tree_unflatten(tr.in_tree, [_to_user(b, tr.given) for b in blocks])
        rows.append(per_arg[0] if single else per_arg)
    out = tree_unflatten(tr.out_tree, rows)
    return (out, tr.aux) if has_aux else out


jacobian = jacrev


def hessian(
    f: Callable[_P, Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    chunk_size: int | None = None,
    holomorphic: bool = False,
    progress: bool = False,
) -> Callable[_P, Any]:
    """The Hessian, forward-over-reverse: ``jacfwd(jacrev(f))``.

    One vectorized forward pass over the input basis of the gradient's
    computation; ``chunk_size`` bounds how many basis vectors are pushed at
    once (memory ~ chunk_size x the gradient's working set), and
    ``progress=True`` shows a progress bar over the chunks.

    Called again on a computation of the same structure, the Hessian runs as
    compiled code (see "Second order, compiled" in ``docs/performance.md``):
    ``f`` is still traced on every call, so Python control flow on values
    takes its path, but the second-order passes are not interpreted again.

    For one array argument of ``SPARSE_HESSIAN_MIN_SIZE`` (32) elements or
    more, with scipy installed, the Hessian's structural pattern is read
    from ``f``'s jaxpr once per structure (under ``jit``, ``vmap`` or
    another transform, and eagerly from the second call of a structure,
    when it is compiled; the first analysis imports ``scipy.sparse``, about
    0.1 s once per process); when a star coloring of it needs
    at most half as many colors as there are elements, one product per
    color is pushed instead of one per element, and the entries are
    scattered into the dense result (3 products for a tridiagonal Hessian
    of any size). The result is the same matrix; an entry that is zero by
    structure stays 0 even where a NaN input would have spread into it.
    ``fd.sparse_hessian`` returns the sparse matrix itself.

    >>> import funcdiff as fd, numpy as np
    >>> fd.hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0]))
    array([[4., 2.],
           [2., 0.]])
    """
    _check_chunk_size(chunk_size, "hessian")
    interpreted = jacfwd(
        jacrev(f, argnums, has_aux, holomorphic=holomorphic),
        argnums,
        has_aux,
        chunk_size=chunk_size,
        holomorphic=holomorphic,
        progress=progress,
    )
    if has_aux or progress:  # aux values and progress bars come from the interpreted passes
        return interpreted
    single = _is_int(argnums)

    def build(g: Fun, n_dyn: int) -> Fun:
        nums = 0 if single else tuple(range(n_dyn))
        inner = jacrev(g, nums, holomorphic=holomorphic)
        dense = jacfwd(inner, nums, chunk_size=chunk_size, holomorphic=holomorphic)
        if not single or holomorphic:
            return dense

        def sparse_or_dense(x: Any) -> Any:
            out = _compressed_hessian(g, x, chunk_size)
            return dense(x) if out is None else out

        return sparse_or_dense

    params = ("hessian", single, chunk_size, holomorphic)

    @functools.wraps(f)
    @_user_lines
    def hessian_f(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums_tuple(argnums, len(args), "hessian")
        out = _staged_call(params, build, f, args, kwargs, nums, ())
        if out is not _NOT_STAGED:
            return out
        if single and not holomorphic:  # nested, or debug_nans: f itself, compressed?
            (k,) = nums

            def g(x: Any) -> Any:
                return f(*args[:k], x, *args[k + 1 :], **kwargs)

            out = _compressed_hessian(g, args[k], chunk_size)
            if out is not None:
                return out
        return interpreted(*args, **kwargs)

    return hessian_f


# ---------------------------------------------------------------------------
# Hessians of sparse structure: compressed evaluation
# ---------------------------------------------------------------------------

# The dense Hessian pushes one tangent per input element through the
# gradient's computation. When the Hessian's structural pattern (read from
# the jaxpr, ``interpreters.sparsity``) has a star coloring with few colors,
# one tangent per color gives every entry exactly (each entry is read from
# the one product in which no other column of its color contributes), so
# ``hessian`` pushes those instead and scatters the entries into the dense
# result: 3 Hessian-vector products for a tridiagonal Hessian of any size
# instead of n. The pattern is found once per structure (its constants'
# values do not enter it: they may change between calls of that structure)
# and needs scipy; without scipy, or when the coloring saves too little, the
# dense path runs. ``fd.sparse_hessian`` is the same evaluation returning a
# sparse matrix.

#: inputs smaller than this take the dense path (their n products are cheap)
SPARSE_HESSIAN_MIN_SIZE = 32
#: the compressed path runs when it needs at most this fraction of n products
SPARSE_HESSIAN_MAX_FRACTION = 0.5


class _HessianPlan(NamedTuple):
    """The compressed evaluation of a Hessian of ``n`` variables: tangents
    ``seeds`` (colors x n); the result's stored entries are the compressed
    product's entries ``gather`` (flat), scattered to ``scatter`` (flat, n*n)."""

    seeds: np.ndarray
    gather: np.ndarray
    scatter: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.seeds.nbytes + self.gather.nbytes + self.scatter.nbytes


_UNPLANNED: Any = object()
_HESSIAN_PLANS: LRUCache[Any, _HessianPlan | None] = LRUCache(
    "sparse Hessian plans",
    max_entries=256,
    max_bytes=64 << 20,
    sizeof=lambda plan: 64 if plan is None else 64 + plan.nbytes,
)


def _plan_hessian(closed: ClosedJaxpr, x: ShapedArray) -> _HessianPlan | None:
    """The compressed evaluation for the Hessian of ``closed`` (one input
    ``x``, one scalar output), or None when it would not pay off or scipy
    is missing. Constants count as unknown values: the plan holds for every
    value of them."""
    try:
        from funcdiff.primitives.sparsity import scipy_sparse

        sp = scipy_sparse()
    except ImportError:
        return None
    from funcdiff.interpreters import sparsity as spd_run
    from funcdiff.interpreters.staging import dce_jaxpr
    from funcdiff.primitives.sparsity import TooDense
    from funcdiff.sparse._coloring import star_recovery

    closed, _ = dce_jaxpr(closed)
    j = closed.jaxpr
    unknown_consts = ClosedJaxpr(Jaxpr([], [*j.constvars, *j.invars], j.eqns, j.outvars), [])
    n = x.size
    limit = int(SPARSE_HESSIAN_MAX_FRACTION * n)
    state = spd_run.State(n, hessian=True, max_clique=limit)
    identity = sp.csr_array(sp.identity(n, dtype=bool, format="csr"))
    try:
        spd_run.run(state, unknown_consts, [None] * len(j.constvars) + [identity])
    except TooDense:  # a dense block: stop before paying for the whole pattern
        return None
    pattern = state.hessian_pattern()
    _, seeds, gather = star_recovery(pattern, x.dtype)
    if seeds.shape[0] > SPARSE_HESSIAN_MAX_FRACTION * n:
        return None
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(pattern.indptr))
    return _HessianPlan(seeds, gather, rows * n + pattern.indices)


def _compressed_hessian(g: Fun, x: Any, chunk_size: int | None) -> Any:
    """The Hessian of ``g`` (one array in, a scalar out) at the traced
    ``x`` (under jit, vmap or another transform, or an eager Hessian being
    compiled) by compressed evaluation (see above), or None when the dense
    path should run: a concrete, small or non-float ``x``, an output that is
    not a real scalar, a pattern with too many colors, no scipy, or ``g``
    not traceable abstractly (Python control flow on values: the dense path
    then traces it with values)."""
    if not isinstance(x, Tracer):
        # a concrete call (an eager Hessian's first sighting of a structure):
        # the analysis pays off when the structure repeats, which compiles it
        return None
    aval = x.aval
    if aval.dtype.kind != "f" or aval.size < SPARSE_HESSIAN_MIN_SIZE:
        return None
    try:
        closed, _ = trace_to_jaxpr(lambda t: [g(t)], [aval])
    except ConcretizationError:
        return None
    outs = closed.out_avals
    if len(outs) != 1 or outs[0].shape != () or outs[0].dtype.kind != "f":
        return None
    skey = structure_key(closed.jaxpr)
    key = None if skey is None else (skey, aval.shape, aval.dtype)
    plan = _HESSIAN_PLANS.get(key, _UNPLANNED) if key is not None else _UNPLANNED
    if plan is _UNPLANNED:
        plan = _plan_hessian(closed, aval)
        if key is not None:
            _HESSIAN_PLANS.put(key, plan)
    if plan is None or (chunk_size is not None and plan.seeds.shape[0] > chunk_size):
        return None
    from funcdiff.numpy import reshape, take
    from funcdiff.numpy._indexing import AtIndexer

    jaxpr, consts, shape, n = closed.jaxpr, closed.consts, aval.shape, aval.size

    def replayed(t: Any) -> Any:
        return eval_jaxpr(jaxpr, consts, [t])[0]

    grad_g = grad(replayed)

    def product(seed: Any) -> Any:
        return reshape(jvp(grad_g, (x,), (reshape(seed, shape),))[1], (-1,))

    compressed = vmap(product)(plan.seeds)
    entries = take(reshape(compressed, (-1,)), plan.gather)
    # each position is written once: adding to zeros sets it, without set's mask
    dense = AtIndexer(np.zeros(n * n, aval.dtype))[plan.scatter].add(entries)
    out = reshape(dense, shape + shape)
    return out if isinstance(out, Tracer) else np.asarray(out)  # not funcdiff.numpy's subclass


@_user_lines
def hvp(f: Callable[[_T], Any], x: _T, v: _T) -> _T:
    """Hessian-vector product ``H(x) @ v`` without forming H (forward-over-reverse).

    Like :func:`hessian`, a repeated call on a computation of the same
    structure runs as compiled code.

    >>> import funcdiff as fd, numpy as np
    >>> fd.hvp(lambda x: (x ** 3).sum(), np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """
    out = _staged_call(_HVP, _build_hvp, f, (x,), {}, (0,), (v,))
    if out is not _NOT_STAGED:
        hv: _T = out
        return hv
    hv = jvp(grad(f), (x,), (v,))[1]
    return hv


def _build_hvp(g: Fun, n_dyn: int) -> Fun:
    return lambda x, v: jvp(grad(g), (x,), (v,))[1]


_HVP = ("hvp",)


# ---------------------------------------------------------------------------
# second-order transforms as compiled code
# ---------------------------------------------------------------------------

# Eager ``hessian`` and ``hvp`` nest two transforms, and nested transforms
# interpret every equation (the compiled passes of ``interpreters.compiled``
# serve only the top level). But ``f``'s jaxpr, traced with values at the top
# level, is a straight-line program: its second-order derivative is the
# same function whenever the structure is the same. So the first sighting of
# a structure runs interpreted; the second stages ``build`` (the transform)
# of a function that replays the jaxpr, under ``jit`` with the constants as
# arguments (their values change between calls, the structure does not); from
# then on each call traces ``f`` for its structure key and calls the compiled
# code. Python control flow on values still works: a different path is a
# different structure.

_STAGED_CACHE: LRUCache[Any, Any] = LRUCache(
    "compiled second-order transforms",
    max_entries=256,
    max_bytes=256 << 20,
    sizeof=lambda entry: 4096,  # each holds one jit function; its code lives in jit's caches
)
_NOT_STAGED: Any = object()


def _replay(jaxpr: Jaxpr, in_tree: PyTreeDef, out_tree: PyTreeDef) -> Callable[..., Fun]:
    """``consts -> g``: ``g(*dyn_args)`` evaluates ``jaxpr`` on the leaves of
    the differentiated arguments, shaped as ``f``'s output."""

    def with_consts(consts: Sequence[Any]) -> Fun:
        def g(*dyn_args: Any) -> Any:
            return tree_unflatten(out_tree, eval_jaxpr(jaxpr, consts, tree_leaves(dyn_args)))

        return g

    return with_consts


def _staged_call(
    params: tuple[Any, ...],
    build: Callable[[Fun, int], Fun],
    f: Fun,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    nums: tuple[int, ...],
    extra: tuple[Any, ...],
) -> Any:
    """``build(f)(*dyn_args, *extra)``, from ``f``'s jaxpr traced once at the
    top level: by compiled code when its structure was seen before, else by
    the transforms interpreting the recorded jaxpr (``f`` runs once either
    way). ``_NOT_STAGED`` when the call is nested in another transform or
    debug_nans is on: the caller then runs the transforms on ``f`` itself."""
    if _debug.STATE.enabled:
        return _NOT_STAGED
    for a in tree_leaves((args, kwargs, extra)):
        if isinstance(a, Tracer):
            return _NOT_STAGED  # nested: outer transforms must see every operation
    tr = _Traced(f, args, kwargs, nums, str(params[0]))
    consts = list(tr.closed.consts)
    if any(isinstance(c, Tracer) for c in consts):
        return _NOT_STAGED  # f closes over an outer transform's value
    jaxpr = tr.closed.jaxpr
    dyn = tuple(args[i] for i in nums)
    skey = structure_key(jaxpr)
    key = None if skey is None else (params, skey, tr.in_tree, tr.out_tree)
    entry = _NOT_STAGED if key is None else _STAGED_CACHE.get(key, _NOT_STAGED)
    if entry is _NOT_STAGED or entry is SEEN:
        replay = _replay(jaxpr, tr.in_tree, tr.out_tree)
        if entry is _NOT_STAGED:  # first sighting (or not comparable): interpret
            if key is not None:
                _STAGED_CACHE.put(key, SEEN)
            return build(replay(consts), len(nums))(*dyn, *extra)
        n_dyn = len(nums)

        def staged(consts: list[Any], dyn: tuple[Any, ...], extra: tuple[Any, ...]) -> Any:
            return build(replay(consts), n_dyn)(*dyn, *extra)

        entry = jit(staged)
        _STAGED_CACHE.put(key, entry)
    return entry(consts, dyn, extra)


# ---------------------------------------------------------------------------
# vmap
# ---------------------------------------------------------------------------


def _prefix_leaves(prefix: Any, tree: Any, what: str) -> list[Any]:
    """Broadcast an axis spec that is a pytree prefix of ``tree`` to its leaves.

    Recursion here follows the user's spec (a few levels), never the graph.
    """
    if prefix is None or isinstance(prefix, int):
        return [prefix] * len(tree_flatten(tree)[0])
    if isinstance(prefix, dict) and isinstance(tree, dict) and set(prefix) == set(tree):
        keys = sorted(tree)
        return [a for k in keys for a in _prefix_leaves(prefix[k], tree[k], what)]
    if (
        isinstance(prefix, (tuple, list))
        and isinstance(tree, (tuple, list))
        and len(prefix) == len(tree)
    ):
        return [a for p, t in zip(prefix, tree, strict=True) for a in _prefix_leaves(p, t, what)]
    raise ValueError(
        f"vmap: {what}={prefix!r} does not match the structure of the values it applies "
        f"to (a {type(tree).__name__}); "
        "give an int, None, or a tuple/dict with one entry per element"
    )


def vmap(
    f: Fun,
    in_axes: Any = 0,
    out_axes: Any = 0,
    axis_size: int | None = None,
) -> Fun:
    """Vectorize ``f`` over an axis of its arguments (a batch of calls in one).

    Args:
      f: the function to vectorize.
      in_axes: per argument, the axis to map over (int), or None to pass it
        unbatched; an int or None applies to every argument; pytrees allowed.
      out_axes: where the mapped axis goes in each output (int or None).
      axis_size: the batch size when no argument is mapped.

    >>> import funcdiff as fd, numpy as np
    >>> fd.vmap(lambda x, y: x @ y, in_axes=(0, None))(np.eye(2), np.array([1.0, 2.0]))
    array([1., 2.])
    """
    _check_axes_spec(in_axes, "in_axes")
    _check_axes_spec(out_axes, "out_axes")

    @functools.wraps(f)
    @_user_lines
    def vmap_f(*args: Any) -> Any:
        if (
            isinstance(in_axes, (list, tuple))
            and not isinstance(in_axes, list)
            and len(in_axes) != len(args)
        ):
            raise ValueError(
                f"vmap: in_axes has {len(in_axes)} entries but {fun_name(f)} was called "
                f"with {len(args)} positional arguments"
            )
        spec = in_axes if (in_axes is None or isinstance(in_axes, int)) else tuple(in_axes)
        leaves, in_tree = tree_flatten(args)
        axes = _prefix_leaves(spec, args, "in_axes")
        vals = [as_array_leaf(x, f"vmap argument leaf {i}") for i, x in enumerate(leaves)]
        size = axis_size
        for i, (v, ax) in enumerate(zip(vals, axes, strict=True)):
            if ax is None:
                continue
            shape = aval_of(v).shape
            if not -len(shape) <= ax < len(shape):
                raise ValueError(
                    f"vmap: in_axes={ax} is out of range for argument leaf {i} of shape {shape}"
                )
            n = shape[ax]
            if size is None:
                size = n
            elif n != size:
                sizes = [
                    (j, aval_of(w).shape[a])
                    for j, (w, a) in enumerate(zip(vals, axes, strict=True))
                    if a is not None
                ]
                raise ValueError(
                    "vmap: the mapped axes have inconsistent sizes: "
                    + ", ".join(f"leaf {j}: {s}" for j, s in sizes)
                    + ". Every mapped argument must have the same size along its in_axes."
                )
        if size is None:
            raise ValueError("vmap: no argument is mapped (all in_axes are None); pass axis_size")
        axes = [None if a is None else a % aval_of(v).ndim for v, a in zip(vals, axes, strict=True)]

        def flat_fun(*batched: Any) -> list[Any]:
            it = iter(batched)
            full = [next(it) if a is not None else v for v, a in zip(vals, axes, strict=True)]
            out = f(*tree_unflatten(in_tree, full))
            out_leaves, out_tree_box[0] = tree_flatten(out)
            return [as_array_leaf(o, f"output of {fun_name(f)}") for o in out_leaves]

        out_tree_box: list[Any] = [None]
        mapped = [(v, a) for v, a in zip(vals, axes, strict=True) if a is not None]
        avals = [
            ShapedArray(
                tuple(n for k, n in enumerate(aval_of(v).shape) if k != a), aval_of(v).dtype
            )
            for v, a in mapped
        ]
        closed, _ = trace_to_jaxpr(flat_fun, avals)
        out_vals, out_dims = vmap_jaxpr(
            closed.jaxpr, closed.consts, [v for v, _ in mapped], [a for _, a in mapped]
        )
        out_tree = out_tree_box[0]
        given = {id(v) for v in vals} | {id(c) for c in closed.consts}
        o_axes = _prefix_leaves(out_axes, tree_unflatten(out_tree, out_vals), "out_axes")
        results = []
        for i, (o, d, oa) in enumerate(zip(out_vals, out_dims, o_axes, strict=True)):
            if oa is None:
                if d is not None:
                    raise ValueError(
                        f"vmap: out_axes is None for output leaf {i}, but that output "
                        "depends on the mapped inputs"
                    )
                results.append(_to_user(o, given))
                continue
            rank = aval_of(o).ndim + (d is None)
            if not -rank <= oa < rank:
                raise ValueError(
                    f"vmap: out_axes={oa} is out of range for output leaf {i}, which has "
                    f"{rank} axes with the mapped one (valid: {-rank} to {rank - 1})"
                )
            if d is None:
                shape = aval_of(o).shape
                o = sh.broadcast_in_dim(o, (size, *shape), tuple(range(1, len(shape) + 1)))
                d = 0
            results.append(_to_user(sh.moveaxis(o, d, oa), given))
        return tree_unflatten(out_tree, results)

    return vmap_f


# ---------------------------------------------------------------------------
# make_jaxpr
# ---------------------------------------------------------------------------


def make_jaxpr(
    f: Callable[_P, Any], static_argnums: int | Sequence[int] = ()
) -> Callable[_P, ClosedJaxpr]:
    """Trace ``f`` abstractly and return its jaxpr (``str()`` prints it).

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> print(fd.make_jaxpr(lambda x: x ** fnp.cos(x))(3.0))
    { lambda ; a:f64[]. let
        b:f64[] = cos a
        c:f64[] = pow a b
      in (c,) }
    """
    statics = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(f)
    def make_jaxpr_f(*args: Any, **kwargs: Any) -> ClosedJaxpr:
        nargs = len(args)
        at = {i % nargs for i in statics if -nargs <= i < nargs}
        static, dyn = split_args(args, at)
        leaves, in_tree = tree_flatten(tuple(dyn))
        avals = [aval_of(as_array_leaf(x, f"argument leaf {k}")) for k, x in enumerate(leaves)]

        def flat_fun(*tracers: Any) -> list[Any]:
            new_args = merge_args(at, static, tree_unflatten(in_tree, tracers))
            out_leaves, _ = tree_flatten(f(*new_args, **kwargs))
            return [as_array_leaf(o, "output") for o in out_leaves]

        return trace_to_jaxpr(flat_fun, avals)[0]

    return make_jaxpr_f


__all__ = [
    "FuncdiffError",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "make_jaxpr",
    "value_and_grad",
    "vjp",
    "vmap",
]
