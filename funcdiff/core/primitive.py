"""Primitives and their rules, all in one place, plus the registry.

A primitive carries every rule as an attribute. Rule authors write them in
the natural form for the primitive: a single-result primitive's rules take
and return one value (``out``, ``ct``, ``tangent``), a primitive made with
``multiple_results=True`` takes and returns lists:

- ``impl(*arrays, **params)``: the numpy evaluation.
- ``abstract_eval(*avals, **params)``: output ShapedArray(s); raises a
  ``ShapeError`` naming the primitive and the shapes when they do not fit.
- ``jvp(primals, tangents, out, **params)``: output tangent(s). ``tangents``
  holds ``Zero`` for inputs known to have a zero tangent; may return ``Zero``.
- ``vjp(ct, primals, out, needs, **params)``: one cotangent per input, a
  ``Zero(aval)`` where there is none (never None); ``needs[i]`` says whether
  input ``i`` wants one (give the others a ``Zero``).
- ``batch(args, dims, **params)``: ``(out, out_dim)``; ``dims[i]`` is the
  batch axis of ``args[i]`` or None.
- ``emit(*names, **params)`` (optional): the numpy expression ``jit``
  writes into generated code; without it, generated code calls ``impl``.
- ``emit_method(*names, **params)`` (optional, with ``emit``): the same
  expression as a method call on the first operand (``x.reshape(...)``),
  which skips the numpy function's Python wrapper (about 0.5 us a call).
  jit writes it where the first operand is known to be a numpy array or
  scalar (never a function input, which may be a Python number or another
  library's array).
- ``emit_inplace(out, *names, **params)`` (optional, instead of ``emit``):
  a statement that turns ``out``, which already holds the first operand (a
  copy, or its own buffer when it dies here), into the result. ``zeros`` is
  True when the first operand is a constant zero array, so ``out`` holds
  fresh zeros (an update may then assign instead of add); ``known`` holds
  the value of each operand that is a constant (None for the others).
- ``region(**params)`` (optional, with ``emit_inplace``): the slices of
  the result that the second operand is added into, when that is what the
  primitive does (``add_into_slice``). jit may then compute the second
  operand directly into that region of the result (when the first operand
  is zeros).
- ``returns_view``: True when ``impl`` (or ``emit``) may return a view of
  (memory shared with) its first operand. A correctness contract: jit never
  writes into a buffer while a view of it is alive, and it learns of views of
  the first operand from this flag (a result computed by calling ``impl``,
  no ``emit``, is kept from sharing memory with any operand it might view:
  ``tests/primitives/test_views.py`` checks every primitive's samples).
- ``returns_fresh``: True when ``impl`` returns new, writable buffers that
  share no memory with any operand (a matrix product). jit may then write
  later results into them, as into the results of ``emit``; without it,
  an ``impl``'s results count as possible views of every operand.
- ``slow_in_place``: True when numpy's loop for ``emit_out`` is much slower
  writing into its own operand than into another buffer (``np.sign``, about
  five times on mixed signs: the in-place loop is not vectorized); jit then
  never writes the result into the operand's buffer.
- ``emit_scalar`` (optional): a Python-float expression for jit's scalar
  specialization, either a format string over the operand names
  (``"_m.atan2({0}, {1})"``; ``_m`` is ``math``) or
  ``emit_scalar(*names, **params) -> str | None`` (None: not for these
  params). Without it a jaxpr that contains the primitive runs numpy code.
- ``samples(rng)``: example ``(args, params)`` pairs the registry sweep test
  checks every rule on.
- ``sparsity(ctx, deps, **params)`` (optional): how the derivative's sparsity
  pattern propagates, for ``jacobian_sparsity``/``hessian_sparsity``; always
  written in list form (``deps`` and the result are lists). Builders for
  whole families are in ``funcdiff.interpreters.sparsity`` (``elementwise``,
  ``selection``, ``reduction``...); without one the detection is
  conservative (dense) through the primitive.
- ``taylor(primals, series, **params)`` (optional): ``(primals_out,
  series_out)`` for Taylor mode (``fd.jet``); always in list form. Each
  input's series is a list of its normalized Taylor coefficients ``c_1..c_K``
  (``c_i = x^(i)(0) / i!``) or a ``Zero`` (all zero). Linear primitives
  (``deflinear``) and zero-derivative ones get theirs from the helpers.
- ``lower_jax(ctx, *args, **params)``: the primitive on JAX values (arrays
  or JAX tracers), for the XLA backend (``funcdiff.backends.jax``); returns
  one value (a list with ``multiple_results``). Written with ``ctx.lax``,
  ``ctx.jnp`` and ``ctx.jsp`` (``jax.lax``, ``jax.numpy``, ``jax.scipy``),
  never an import of JAX (it is an optional dependency);
  ``ctx.call(closed_jaxpr, *args)`` lowers a sub-jaxpr (control flow,
  custom rules). The backend casts a result to the equation's dtype, so a
  rule need not restate numpy's promotion.

**Interpreters see lists only.** Assigning one of the five rules above
(``prim.vjp = f``, or ``setattr(prim, "vjp", f)``) also files its list form
in ``prim.listed``: every output-side value is a list, one entry per output
(``impl``/``abstract_eval`` return lists, ``jvp`` gets ``outs`` and returns
tangents, ``vjp`` gets ``cts`` and ``outs``, ``batch`` returns ``(outs,
out_dims)``). A single-result rule is wrapped once, there; a
multiple-results rule is already in that form. ``prim.rule(kind)`` returns
the list form (or raises ``MissingRuleError``), and ``apply_rule`` in
``funcdiff.interpreters._loop`` is how interpreters call it; a missing
rule is filed as a stand-in raising ``MissingRuleError``. A rule marked
``@list_form`` is in the list form already and is filed unwrapped (the rule
helpers build such rules). The attribute itself keeps what was assigned:
``bind`` calls the author's ``impl`` directly, the eager hot path. This
module and the user-facing ``bind`` (with ``JaxprTrace.process``, its
traced half), which hands users one result or a list, are the only places
that know whether a primitive has one result or several.

Rules are written with funcdiff operations (they call ``bind``), never raw
numpy on their array arguments, so they can be differentiated again.

The helpers that turn derivative tables into rules (``defjvp``, ``defvjp``,
``deflinear``, ``def_zero_derivative``) live beside the primitives, in
``funcdiff.primitives.rules``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol, TypeVar

import numpy as np

from funcdiff.core.ir import ShapedArray, aval_of
from funcdiff.core.trace import bind
from funcdiff.errors import FuncdiffError, MissingRuleError

Rule = Callable[..., Any]

#: example ``(args, params)`` pairs for the registry sweep (``samples(rng)``)
Samples = list[tuple[tuple[Any, ...], dict[str, Any]]]
R = TypeVar("R", bound=Rule)


# The rule kinds. Their signatures are in the docstrings: a rule takes the
# primitive's params as keywords of its own (``*, axes``), which a typed
# ``**params`` would not accept, so the call is typed ``(*args, **params)``.


class ImplRule(Protocol):
    """``impl(*arrays, **params)``: the output (a list of them with
    ``multiple_results``)."""

    def __call__(self, *args: Any, **params: Any) -> Any: ...


class AbstractEvalRule(Protocol):
    """``abstract_eval(*avals, **params)``: the output's ShapedArray(s)."""

    def __call__(self, *args: Any, **params: Any) -> Any: ...


class JvpRule(Protocol):
    """``jvp(primals, tangents, out, **params)``: the output tangent(s)."""

    def __call__(self, *args: Any, **params: Any) -> Any: ...


class VjpRule(Protocol):
    """``vjp(ct, primals, out, needs, **params)``: one cotangent (or ``Zero``)
    per input."""

    def __call__(self, *args: Any, **params: Any) -> Any: ...


class BatchRule(Protocol):
    """``batch(args, dims, **params)``: ``(out, out_dim)``."""

    def __call__(self, *args: Any, **params: Any) -> Any: ...


#: Every primitive, by name. The registry sweep test walks this.
REGISTRY: dict[str, Primitive] = {}


def _listed_impl(f: Rule) -> Rule:
    def impl(*args: Any, **params: Any) -> list[Any]:
        return [f(*args, **params)]

    return impl


def _listed_jvp(f: Rule) -> Rule:
    def jvp(
        primals: Sequence[Any], tangents: Sequence[Any], outs: Sequence[Any], **params: Any
    ) -> list[Any]:
        return [f(primals, tangents, outs[0], **params)]

    return jvp


def _listed_vjp(f: Rule) -> Rule:
    def vjp(
        cts: Sequence[Any],
        primals: Sequence[Any],
        outs: Sequence[Any],
        needs: Sequence[bool],
        **params: Any,
    ) -> list[Any]:
        return f(cts[0], primals, outs[0], needs, **params)  # type: ignore[no-any-return]

    return vjp


def _listed_batch(f: Rule) -> Rule:
    def batch(
        args: Sequence[Any], dims: Sequence[int | None], **params: Any
    ) -> tuple[list[Any], list[Any]]:
        out, dim = f(args, dims, **params)
        return [out], [dim]

    return batch


#: How a single-result rule of each kind is turned into its list form.
class _TaylorViaJvp:
    """``Primitive(..., taylor=TAYLOR_VIA_JVP)``: the Taylor-mode interpreter
    derives the primitive's Taylor rule from its JVP rule
    (``funcdiff.interpreters.taylor_mode.taylor_via_jvp``), for primitives
    without a closed recurrence of their own."""

    def __repr__(self) -> str:
        return "TAYLOR_VIA_JVP"

    def __call__(self, *args: Any, **params: Any) -> Any:
        raise MissingRuleError(
            "TAYLOR_VIA_JVP marks a Taylor rule the Taylor-mode interpreter derives from "
            "the JVP rule; call funcdiff.interpreters.taylor_mode.taylor_via_jvp(prim, ...)"
        )


TAYLOR_VIA_JVP: Final[Rule] = _TaylorViaJvp()

_LIST_FORM: dict[str, Callable[[Rule], Rule]] = {
    "impl": _listed_impl,
    "abstract_eval": _listed_impl,
    "jvp": _listed_jvp,
    "vjp": _listed_vjp,
    "batch": _listed_batch,
}


class Primitive:
    """A named operation with its rules. See the module docstring."""

    impl: ImplRule
    abstract_eval: AbstractEvalRule
    jvp: JvpRule | None
    vjp: VjpRule | None
    batch: BatchRule | None

    def __init__(
        self,
        name: str,
        *,
        multiple_results: bool = False,
        impl: ImplRule | None = None,
        abstract_eval: AbstractEvalRule | None = None,
        jvp: JvpRule | None = None,
        vjp: VjpRule | None = None,
        batch: Any = None,
        samples: Any = None,
        emit: Any = None,
        emit_method: Any = None,
        emit_out: Any = None,
        emit_inplace: Any = None,
        region: Any = None,
        emit_scalar: Any = None,
        returns_view: bool = False,
        returns_fresh: bool = False,
        sparsity: Any = None,
        taylor: Any = None,
        lower_jax: Any = None,
        rules: Callable[[Primitive], None] | None = None,
    ) -> None:
        """Declare a primitive in one expression: each keyword sets the rule
        (or fact) of that name (see the module docstring); an unknown one is a
        TypeError naming it.

        A rule may be given as a template, an object with a
        ``for_primitive(prim)`` method returning the rule for this primitive
        (the batch helpers of ``funcdiff.primitives.batching`` are: their rule
        binds the primitive it belongs to). ``rules(prim)`` runs first and sets
        rules derived from a table (``funcdiff.primitives.rules.linear(...)``,
        ``def_zero_derivative``); a rule given by keyword overrides it.
        """
        if name in REGISTRY:
            raise ValueError(f"primitive {name!r} is defined twice")
        #: the list form of each rule (see the module docstring), by kind
        self.listed: dict[str, Rule] = {}
        self.name = name
        self.multiple_results = multiple_results
        self.impl = _missing(name, "impl")
        self.abstract_eval = _missing(name, "abstract_eval")
        self.jvp = None
        self.vjp = None
        self.batch = None
        self.samples: Callable[[np.random.Generator], Samples]
        self.samples = lambda rng: []
        #: optional jit code generation: ``emit(*arg_names, **params)`` returns a
        #: numpy expression; ``emit_out`` the same writing into ``out=``.
        self.emit: Rule | None = None
        self.emit_out: Rule | None = None
        #: optional: ``emit`` as a method call on the first operand (see above).
        self.emit_method: Rule | None = None
        #: optional in-place statement on a copy of the first operand (see above).
        self.emit_inplace: Rule | None = None
        #: optional: the result's slices the second operand is added into.
        self.region: Callable[..., tuple[slice, ...]] | None = None
        #: True when ``impl`` may return a view of its first operand (see above).
        self.returns_view = returns_view
        #: True when ``impl`` returns new buffers, no views of operands (see above).
        self.returns_fresh = returns_fresh
        #: True when ``emit_out`` into the operand's own buffer is slow (see above).
        self.slow_in_place = False
        #: optional Python-float expression for jit's scalar specialization.
        self.emit_scalar: str | Rule | None = None
        #: True when the derivative is zero everywhere (comparisons, floor...).
        self.zero_derivative = False
        #: how the derivative's sparsity pattern propagates (None: conservatively)
        self.sparsity: Rule | None = None
        #: Taylor-mode rule for ``jet`` (None: ``jet`` raises MissingRuleError)
        self.taylor: Rule | None = None
        #: the lowering onto JAX (None: the XLA backend raises a LoweringError)
        self.lower_jax: Rule | None = None
        #: True when linear in its differentiable operands (``rules=linear(...)``)
        self.linear = False
        if rules is not None:
            rules(self)
        given = {
            "impl": impl,
            "abstract_eval": abstract_eval,
            "jvp": jvp,
            "vjp": vjp,
            "batch": batch,
            "samples": samples,
            "emit": emit,
            "emit_method": emit_method,
            "emit_out": emit_out,
            "emit_inplace": emit_inplace,
            "region": region,
            "emit_scalar": emit_scalar,
            "sparsity": sparsity,
            "taylor": taylor,
            "lower_jax": lower_jax,
        }
        for kind, rule in given.items():
            if rule is not None:
                make = getattr(rule, "for_primitive", None)
                setattr(self, kind, rule if make is None else make(self))
        REGISTRY[name] = self

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name in _LIST_FORM:
            self.listed[name] = self._list_form(name, value)
        elif name == "multiple_results":
            for kind in _LIST_FORM:  # (not ``self.__dict__``: it slows attribute reads)
                if hasattr(self, kind):
                    self.listed[kind] = self._list_form(kind, getattr(self, kind))

    def _list_form(self, kind: str, rule: Rule | None) -> Rule:
        if rule is None:
            return _missing(self.name, kind, transform=True)
        if self.multiple_results or getattr(rule, "list_form", False):
            return rule
        return _LIST_FORM[kind](rule)

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # rules are closures: a primitive pickles as its name, looked up on load
        return (primitive_by_name, (self.name,))

    def bind(self, *args: Any, **params: Any) -> Any:
        return bind(self, *args, **params)

    def as_list(self, out: Any) -> list[Any]:
        """The outputs in ``out``, a result as ``bind`` returns it, as a list."""
        return list(out) if self.multiple_results else [out]

    def rule(self, kind: str) -> Rule:
        """The list form of the rule named ``kind`` (see the module
        docstring), or a MissingRuleError naming the primitive."""
        if getattr(self, kind) is None:
            raise MissingRuleError(_missing_text(self.name, kind))
        return self.listed[kind]


def list_form(rule: R) -> R:
    """Mark ``rule`` as written in the list form already (see the module
    docstring): assigned to a single-result primitive it is filed as is,
    without a wrapper. The helpers of ``funcdiff.primitives.rules`` use it."""
    rule.list_form = True  # type: ignore[attr-defined]
    return rule


def _missing_text(name: str, kind: str) -> str:
    return (
        f"primitive '{name}' has no {kind} rule, so this transform cannot go "
        "through it. Add the rule in the primitive's paragraph."
    )


def _missing(name: str, kind: str, *, transform: bool = False) -> Rule:
    """A stand-in for a missing rule: calling it raises MissingRuleError
    (with ``transform``, the message an interpreter's lookup gives)."""
    text = _missing_text(name, kind) if transform else f"primitive '{name}' has no {kind} rule"

    def rule(*args: Any, **params: Any) -> Any:
        raise MissingRuleError(text)

    return rule


# -- symbolic zeros -----------------------------------------------------------


class Zero:
    """A tangent or cotangent known to be zero; rules skip it."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return f"Zero({self.aval.str_short()})"


def zero_of(x: Any) -> Zero:
    """The symbolic zero cotangent (or tangent) of ``x``."""
    return Zero(aval_of(x))


def zeros(aval: ShapedArray) -> np.ndarray:
    """A concrete zero array of ``aval`` (a read-only broadcast, no allocation)."""
    return np.broadcast_to(np.zeros((), aval.dtype), aval.shape)


def instantiate(t: Any) -> Any:
    """Turn a symbolic ``Zero`` into an actual array; pass others through."""
    return zeros(t.aval) if isinstance(t, Zero) else t


def is_float(aval: ShapedArray) -> bool:
    return aval.dtype.kind in "fc"


#: the modules that register funcdiff's primitives when imported
FAMILIES = (
    "funcdiff.numpy",
    "funcdiff.primitives.fft",
    "funcdiff.nn",
    "funcdiff.lax",
    "funcdiff.custom",
    "funcdiff.scipy.linalg",
    "funcdiff.scipy.special",
    "funcdiff.sparse._solve",
)


def load_families() -> None:
    """Import every module in ``FAMILIES``, so ``REGISTRY`` holds all of
    funcdiff's primitives (each family registers its own when imported).

    >>> load_families(); "sparse_solve" in REGISTRY
    True
    """
    import importlib

    for mod in FAMILIES:
        importlib.import_module(mod)


class UnknownPrimitiveError(FuncdiffError, KeyError):
    """A saved jaxpr names a primitive no imported module defines."""

    def __str__(self) -> str:
        return str(self.args[0])


def primitive_by_name(name: str) -> Primitive:
    """The registered primitive called ``name``, after importing funcdiff's
    primitive families (how pickled and JSON jaxprs find their primitives).

    >>> primitive_by_name("sin").name
    'sin'
    """
    prim = REGISTRY.get(name)
    if prim is None:
        load_families()
        prim = REGISTRY.get(name)
    if prim is None:
        raise UnknownPrimitiveError(
            f"unknown primitive {name!r}: import the module that defines it "
            "(and so registers it) before loading the jaxpr"
        )
    return prim
