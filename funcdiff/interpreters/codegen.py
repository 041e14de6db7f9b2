"""Compile a closed jaxpr into straight-line numpy source, one line per equation.

``compile_jaxpr : ClosedJaxpr -> (Callable[arrays -> list of arrays], source)``

Each equation becomes one assignment. A primitive with an ``emit`` rule
(``emit(*arg_names, **params) -> expression``) is written inline as numpy
code; any other primitive calls its ``impl`` with the params bound. The
variable names are the ones the jaxpr printer uses, so the source reads
side by side with ``str(jaxpr)``.

Buffer reuse: an element-wise equation whose first operand is a temporary
buffer of the same shape and dtype that dies at this equation writes its
result into that buffer (numpy ``out=``), saving an allocation. A buffer is
only reused when this equation owns it: it was freshly allocated by an
element-wise equation, is no function input or constant, and no view of it
is alive.

Ownership of results: every array the generated function returns belongs to
the caller. An output that may share memory with an input, a constant or an
earlier output is copied, and a read-only view (a broadcast) is copied when it
is handed out; freshly computed buffers are returned as they are.

``_Liveness`` makes both decisions before any code is written, from the
primitives' facts only (``emit``, ``emit_out``, ``emit_inplace``,
``returns_view``); ``compile_jaxpr`` then writes one line per equation.

Long jaxprs: above ``CHUNK_EQNS`` equations the lines are cut into
functions of at most that many, called in order by the entry function and
sharing a list of the values that cross a boundary (``_assemble``), so that
compiling them takes time and memory in proportion to the jaxpr; pieces
that repeat are compiled once.
"""

from __future__ import annotations

import builtins
import functools
import keyword
import math
import re
from collections.abc import Callable, Collection
from typing import Any

import numpy as np

from funcdiff.core.ir import Atom, ClosedJaxpr, Eqn, Jaxpr, Literal, Var, as_result
from funcdiff.core.pretty import letter_name

_RESERVED = frozenset(dir(builtins)) | {"np"}


class _Names:
    """Variable names, in order of first use; ``fixed`` names (the
    constants) are shared by every function of a chunked program."""

    def __init__(self, fixed: dict[Var, str] | None = None) -> None:
        self.n = 0
        self.fixed: dict[Var, str] = {} if fixed is None else fixed
        self.names: dict[Var, str] = {}

    def __call__(self, v: Var) -> str:
        name = self.names.get(v) or self.fixed.get(v)
        if name is None:
            name = _NAME_TABLE[self.n] if self.n < len(_NAME_TABLE) else _var_name(self.n)
            self.n += 1
            self.names[v] = name
        return name


def _var_name(n: int) -> str:
    name = letter_name(n)
    # never shadow a Python keyword or a builtin the generated code uses
    if name in _RESERVED or keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name = name + "_"
    return name


#: the first names, made once (a chunked program's functions restart at "a")
_NAME_TABLE = tuple(_var_name(n) for n in range(4096))


class _Liveness:
    """Buffer facts of a jaxpr, computed before any code is written.

    - ``reuse[i]``: the operand of equation ``i`` whose buffer receives the
      result (``emit_out``'s ``out=``, or ``emit_inplace``'s starting value).
    - ``out_wrap[k]``: how output ``k`` is handed to the caller: ``"_copy"``
      (it may share memory with an input, a constant, an array literal or an
      earlier output), ``"_writable"`` (it may be a read-only view) or ``""``
      (a fresh buffer).

    Equation ``i`` may write into operand ``x`` only when it owns ``x``: a
    fresh buffer of an element-wise equation (``emit_out`` or
    ``emit_inplace``), no input or constant, of the result's type, read once
    by ``i`` and never again, with no view of it alive after ``i``. Views are
    learned from ``returns_view`` (a view of the first operand); a primitive
    without ``emit`` runs its ``impl``, which may return views of any operand
    (a broadcast is even read-only), unless it declares ``returns_fresh``.
    """

    def __init__(self, jaxpr: Jaxpr, reuse_buffers: bool = True) -> None:
        self.reuse: dict[int, Var] = {}
        # last equation index that reads each var (outputs: past the end)
        self.last_use: dict[Var, int] = {}
        last_use = self.last_use
        for i, eqn in enumerate(jaxpr.eqns):
            for x in eqn.invars:
                if isinstance(x, Var):
                    last_use[x] = i
        for x in jaxpr.outvars:
            if isinstance(x, Var):
                self.last_use[x] = len(jaxpr.eqns)
        self.owned: set[Var] = set()  # fresh buffers made by element-wise equations
        self.base: dict[Var, Var] = {}  # view -> the buffer it views
        self.views_alive: dict[Var, int] = {}  # buffer -> last use of any view of it
        # var -> the buffers it may share memory with (absent: only its own)
        self.shares: dict[Var, frozenset[Var]] = {}
        self.maybe_readonly: set[Var] = set()
        owned = self.owned
        for i, eqn in enumerate(jaxpr.eqns):
            prim = eqn.primitive
            reuse = self._reusable(eqn, i) if reuse_buffers else None
            if prim.emit_inplace is not None:
                owned.add(eqn.outvars[0])
            elif prim.returns_view:
                self._view(eqn)
            elif prim.returns_fresh:  # new buffers from impl: later equations may take them
                for v in eqn.outvars:
                    if v.aval.shape:
                        owned.add(v)
            elif prim.emit is None:
                self._opaque(eqn)
            elif prim.emit_out is not None:
                for v in eqn.outvars:
                    if v.aval.shape:
                        owned.add(v)
            if reuse is not None:
                # the reused buffer now holds the output; the output inherits ownership
                self.reuse[i] = reuse
                self.owned.discard(reuse)
                self.owned.update(eqn.outvars)
        self.out_wrap = self._out_wrap(jaxpr)

    def _reusable(self, eqn: Eqn, i: int) -> Var | None:
        """The operand buffer equation ``i`` may write its result into: the
        first (``emit_inplace``) or one of the first two (``emit_out``)."""
        prim = eqn.primitive
        n = 1 if prim.emit_inplace is not None else 2 if prim.emit_out is not None else 0
        if n == 0 or prim.slow_in_place:
            return None
        owned = self.owned
        for x in eqn.invars[:n]:
            if (
                x in owned  # a Var: literals are never owned
                and isinstance(x, Var)
                and self.last_use.get(x) == i
                and self.views_alive.get(x, -1) <= i
                and x.aval == eqn.outvars[0].aval
                and sum(1 for y in eqn.invars if y is x) == 1
            ):
                return x
        return None

    def _view(self, eqn: Eqn) -> None:
        """The result is a view of the first operand."""
        src, out = eqn.invars[0], eqn.outvars[0]
        if isinstance(src, Var):
            b = self.base.get(src, src)
            self.base[out] = b
            self.views_alive[b] = max(self.views_alive.get(b, -1), self.last_use.get(out, -1))
            self.shares[out] = self.shares.get(src, frozenset((src,)))
            if eqn.primitive.emit is None or src in self.maybe_readonly:
                self.maybe_readonly.add(out)

    def _opaque(self, eqn: Eqn) -> None:
        """An impl we know nothing about may return views of its inputs: keep
        every input buffer alive as long as any of its outputs."""
        live = max(self.last_use.get(v, -1) for v in eqn.outvars)
        viewed: set[Var] = set()
        for x in eqn.invars:
            if isinstance(x, Var):
                b = self.base.get(x, x)
                self.views_alive[b] = max(self.views_alive.get(b, -1), live)
                viewed |= self.shares.get(x, {x})
        for v in eqn.outvars:
            self.shares[v] = frozenset(viewed | {v})
        self.maybe_readonly.update(eqn.outvars)

    def _out_wrap(self, jaxpr: Jaxpr) -> list[str]:
        external = {*jaxpr.invars, *jaxpr.constvars}
        claimed: set[Var] = set()
        wraps = []
        for x in jaxpr.outvars:
            if isinstance(x, Literal):
                wraps.append("_copy" if isinstance(x.val, np.ndarray) else "")
                continue
            buffers = self.shares.get(x, frozenset((x,)))
            if not buffers.isdisjoint(external) or not buffers.isdisjoint(claimed):
                wraps.append("_copy")
            elif x in self.maybe_readonly:
                wraps.append("_writable")
            else:
                wraps.append("")
            claimed |= buffers
        return wraps


class _Scope:
    """The names in effect while a function is written (each function of a
    chunked program names its variables afresh), and, in a function of a
    chunked program, the values it reads from its argument ``_s``."""

    def __init__(self, names: _Names) -> None:
        self.names = names
        self.args: list[Any] | None = None

    def arg(self, value: Any) -> str:
        """``value`` as the next entry of ``_s`` (only while ``args`` is a list)."""
        assert self.args is not None
        self.args.append(value)
        return f"_s[{len(self.args) - 1}]"


class _Env(_Scope):
    """The generated module's names: variables (as the jaxpr printer names
    them), constants ``_c<k>``, literals ``_k<k>`` and other globals (in a
    function of a chunked program, literals and other per-equation values
    are entries of its argument ``_s`` instead)."""

    def __init__(self, closed: ClosedJaxpr) -> None:
        super().__init__(_Names())
        self.glb: dict[str, Any] = {
            "np": np,
            "_copy": _copy,
            "_writable": _writable,
            "_result": as_result,
        }
        for k, (v, c) in enumerate(zip(closed.jaxpr.constvars, closed.consts, strict=True)):
            self.names.fixed[v] = self.bind(f"_c{k}", c)
        self.n_literals = 0
        self.arrays: dict[tuple[str, bytes], str] = {}  # literals as shared 0-d arrays

    def bind(self, name: str, value: Any) -> str:
        if self.args is not None:  # a function of a chunked program: an argument
            return self.arg(value)
        self.glb[name] = value
        return name

    def literal(self, val: Any) -> str:
        self.n_literals += 1
        return self.bind(f"_k{self.n_literals - 1}", val)

    def atom(self, x: Atom, ufunc: bool = False) -> str:
        """``x`` as an operand. A numpy-scalar literal of a ufunc becomes a
        shared 0-d array of its dtype: numpy treats both alike (neither is a
        weak Python scalar), and a 0-d array operand costs a ufunc call about
        130 ns less than a scalar to convert."""
        if isinstance(x, Literal):
            val = x.val
            if ufunc and isinstance(val, np.generic):
                if self.args is not None:  # a function of a chunked program: an argument
                    return self.arg(np.asarray(val))
                key = (val.dtype.str, val.tobytes())
                name = self.arrays.get(key)
                if name is None:
                    name = self.arrays[key] = self.literal(np.asarray(val))
                return name
            if isinstance(val, (float, np.float64)) and math.isfinite(val):
                return repr(float(val)) if self.args is None else self.arg(float(val))
            return self.literal(val)
        return self.names(x)

    def out_atom(self, x: Atom) -> str:
        # a constant output is returned as the very object the function gave
        # (np.float64 stays np.float64), never as an inlined Python literal
        return self.literal(x.val) if isinstance(x, Literal) else self.names(x)


def compile_jaxpr(
    closed: ClosedJaxpr,
    reuse_buffers: bool = True,
    name: str = "jitted",
    scalar_outputs: Collection[int] = (),
) -> tuple[Callable[..., list[Any]], str]:
    """Generate and ``exec`` the straight-line function for ``closed``.

    The outputs whose positions are in ``scalar_outputs`` (0-d results the
    traced function computed) are returned by numpy's rule, ``as_result``:
    as numpy scalars, as an eager call returns them. A jaxpr of more than
    ``CHUNK_EQNS`` equations becomes a driver calling functions of at most
    that many (see ``_assemble``).
    """
    j = closed.jaxpr
    live = _Liveness(j, reuse_buffers)
    env = _Env(closed)

    # values known to be numpy arrays or scalars: a method call on them is
    # safe (an input may be a Python float or another library's array)
    const_values = dict(zip(j.constvars, closed.consts, strict=True))
    numpy_valued = {v for v, c in const_values.items() if isinstance(c, (np.ndarray, np.generic))}

    def header() -> tuple[list[str], list[str]]:
        return [env.names(v) for v in j.invars], []

    def emit(i: int, eqn: Eqn) -> list[str]:
        prim, params, reuse = eqn.primitive, eqn.params, live.reuse.get(i)
        if prim.emit_out is not None or prim.emit_inplace is not None or prim.emit_method:
            numpy_valued.update(eqn.outvars)  # (ufuncs and numpy methods return numpy)
        ins = [env.atom(x, prim.emit_out is not None) for x in eqn.invars]
        outs = [env.names(v) for v in eqn.outvars]
        if prim.emit_inplace is not None:
            # the result starts as the first operand (its buffer if it dies
            # here, fresh zeros for a zero constant, else a copy); then one
            # statement updates it in place
            zeros = _is_zeros(eqn.invars[0], const_values)
            known = [x.val if isinstance(x, Literal) else const_values.get(x) for x in eqn.invars]
            aval = eqn.outvars[0].aval
            if reuse is not None:
                start = ins[0]
            elif zeros:
                start = f"np.zeros({aval.shape!r}, {env.bind(f'_dt{i}', aval.dtype)})"
            else:
                start = f"{ins[0]}.copy()"
            return [
                f"{outs[0]} = {start}",
                prim.emit_inplace(outs[0], *ins, zeros=zeros, known=known, **params),
            ]
        if reuse is not None and prim.emit_out is not None:
            expr = prim.emit_out(*ins, out=env.names(reuse), **params)
        elif prim.emit_method is not None and eqn.invars[0] in numpy_valued:
            expr = prim.emit_method(*ins, **params)
        elif prim.emit is not None:
            expr = prim.emit(*ins, **params)
        else:
            impl = functools.partial(prim.impl, **params) if params else prim.impl
            expr = f"{env.bind(f'_{prim.name}_{i}', impl)}({', '.join(ins)})"
        lhs = ", ".join(outs) + ("," if prim.multiple_results and len(outs) == 1 else "")
        return [f"{lhs} = {expr}"]

    def ret() -> str:
        outs = [
            f"{w}({env.out_atom(x)})" if w else env.out_atom(x)
            for w, x in zip(live.out_wrap, j.outvars, strict=True)
        ]
        for k in scalar_outputs:
            outs[k] = f"_result({outs[k]})"  # a numpy scalar
        return f"[{', '.join(outs)}]"

    if len(j.eqns) <= CHUNK_EQNS:
        emit = _Blocked(j, env, live, emit, const_values).emit
    fn, source = _assemble(
        j, name, f"<funcdiff.jit {name}>", env.glb, env, header, emit, ret, live.last_use
    )
    if env.arrays:  # name the literals hoisted into 0-d arrays, for the reader
        consts = ", ".join(f"{k} = {env.glb[k].item()!r}" for k in env.arrays.values())
        head, _, body = source.partition("\n")
        source = f"{head}\n    # {consts}\n{body}"
    scalar = _compile_scalar(closed, name, scalar_outputs)
    if scalar is None:
        return fn, source
    scalar_fn, scalar_source = scalar

    def fn_dispatch(*args: Any) -> list[Any]:
        try:
            return scalar_fn(*args)
        except (ValueError, ArithmeticError, TypeError):
            return fn(*args)

    return fn_dispatch, scalar_source + "\n" + source


_NUMPY_CALL = re.compile(r"(?<![\w.])np\.([A-Za-z_]\w*)\(")


def _numpy_globals(source: str, glb: dict[str, Any]) -> str:
    """``np.multiply(...)`` as ``np_multiply(...)``, bound once as a global: a
    call then skips the attribute lookup on the module (~50 ns of a 300 ns
    ufunc call on a small array). Variables are named by letters only, so
    ``np_`` names cannot collide with them."""

    def bind(m: re.Match[str]) -> str:
        attr = m.group(1)
        fn = getattr(np, attr, None)
        if fn is None:
            return m.group(0)
        glb[f"np_{attr}"] = fn
        return f"np_{attr}("

    return _NUMPY_CALL.sub(bind, source)


# ---------------------------------------------------------------------------
# assembling the generated functions
# ---------------------------------------------------------------------------

#: a jaxpr of more equations than this compiles to a driver calling functions
#: of at most this many equations each: Python's compiler takes memory (and
#: time) out of proportion for one huge function, and ends in MemoryError
CHUNK_EQNS = 500
#: how much of a chunked program's source is kept to show (``jit(f).lower``):
#: chunk functions past this many lines are left out (the driver is kept)
SOURCE_LINES = 20_000


def _assemble(
    j: Jaxpr,
    fname: str,
    filename: str,
    glb: dict[str, Any],
    scope: _Scope,
    header: Callable[[], tuple[list[str], list[str]]],
    emit: Callable[[int, Eqn], list[str]],
    ret: Callable[[], str],
    last_use: dict[Var, int] | None = None,
) -> tuple[Callable[..., list[Any]], str]:
    """Write, compile and ``exec`` (into ``glb``) the function ``fname`` of
    the inputs of ``j``, and return it with its source.

    ``header()`` gives its parameters and first lines, ``emit(i, eqn)`` the
    lines of equation ``i``, ``ret()`` the returned expression; all three
    name variables with ``scope.names``.

    Up to ``CHUNK_EQNS`` equations this is one function, one block of lines
    per equation. A longer jaxpr is cut into pieces of ``CHUNK_EQNS``
    equations, each run by a function ``fname_<k>(_v, _s)``; ``fname``
    calls them in order. They share the list ``_v`` of the values that
    cross a boundary: a function loads what it reads from earlier ones
    (slices of consecutive slots), clears the slots of values read for the
    last time, names its own variables afresh, and stores what later
    functions or the outputs read in fresh slots. The slot numbers, the
    literals and the other per-equation values (dtypes, impls) come in the
    tuple ``_s``, one per piece, so that pieces whose code is the same share
    one function (the last 64 distinct pieces are looked up). ``last_use[v]``
    is the last equation reading ``v`` (computed when not given).
    """
    n = len(j.eqns)
    if n <= CHUNK_EQNS:
        params, prologue = header()
        lines = [f"def {fname}({', '.join(params)}):", *(f"    {s}" for s in prologue)]
        for i, eqn in enumerate(j.eqns):
            lines.extend(f"    {s}" for s in emit(i, eqn))
        lines.append(f"    return {ret()}")
        source = _numpy_globals("\n".join(lines) + "\n", glb)
        exec(compile(source, filename, "exec"), glb)
        # out of its own globals: a function there and the dict would be a
        # reference cycle, left to the cyclic collector once the cache drops it
        fn: Callable[..., list[Any]] = glb.pop(fname)
        return fn, source
    size = CHUNK_EQNS
    if last_use is None:
        last_use = {}
        for i, eqn in enumerate(j.eqns):
            for x in eqn.invars:
                if isinstance(x, Var):
                    last_use[x] = i
    outset = {x for x in j.outvars if isinstance(x, Var)}
    driver = scope.names
    fixed = driver.fixed
    params, prologue = header()
    # each crossing value gets the next slot (a freed slot is not reused:
    # then the values a function stores are consecutive, and mostly so are
    # the ones a later function loads, so that one slice moves them all)
    slot: dict[Var, int] = {}
    n_slots = 0
    init = []  # the inputs any equation reads
    for v in j.invars:
        if v in last_use:
            slot[v] = n_slots
            n_slots += 1
            init.append(driver(v))
    calls: list[str] = []
    kept: list[str] = []
    kept_lines, skipped = 0, 0
    # body text -> the function already compiled for it: the functions take
    # their slot numbers as an argument, so the pieces of an unrolled loop
    # that repeat are compiled once (the most recent ones are remembered)
    made_fns: dict[str, str] = {}
    pieces: dict[str, Callable[..., None]] = {}
    n_fns = 0
    for c, lo in enumerate(range(0, n, size)):
        names = scope.names = _Names(fixed)
        scope.args = []  # literals, slot numbers: _s[k], so that a piece may repeat
        loads: list[Var] = []
        made: list[Var] = []
        body: list[str] = []
        for i in range(lo, min(lo + size, n)):
            eqn = j.eqns[i]
            for x in eqn.invars:
                if isinstance(x, Var) and x not in names.names and x not in fixed:
                    loads.append(x)  # made by an earlier function (or an input)
                    names(x)
            body.extend(emit(i, eqn))
            made.extend(eqn.outvars)
        lines = []
        loads.sort(key=slot.__getitem__)
        for run in _runs(loads, slot):
            targets = ", ".join(names(x) for x in run) + ("," if len(run) == 1 else "")
            lines.append(f"    {targets} = {_span(scope, slot, run)}")
        dying = [x for x in loads if last_use[x] // size == c and x not in outset]
        for run in _runs(dying, slot):
            lines.append(f"    {_span(scope, slot, run)} = [None] * {len(run)}")
        for x in dying:
            del slot[x]
        lines.extend(f"    {s}" for s in body)
        stores = [v for v in made if v in outset or last_use.get(v, -1) // size > c]
        for v in stores:
            slot[v] = n_slots
            n_slots += 1
        if stores:
            lines.append(
                f"    {_span(scope, slot, stores)} = {', '.join(names(v) for v in stores)},"
            )
        text = "\n".join(lines) + "\n"
        part = made_fns.get(text)
        if part is None:
            part, n_fns = f"{fname}_{n_fns}", n_fns + 1
            source = _numpy_globals(f"def {part}(_v, _s):\n{text}", glb)
            exec(compile(source, f"{filename[:-1]} {part}>", "exec"), glb)
            pieces[part] = glb.pop(part)  # not in its own globals (no cycle)
            if len(made_fns) >= 64:
                del made_fns[next(iter(made_fns))]
            made_fns[text] = part
            if kept_lines < SOURCE_LINES:
                kept.append(source)
                kept_lines += len(lines)
            else:
                skipped += 1
        calls.append(f"    {part}(_v, {_bind(glb, f'_s{c}', tuple(scope.args))})")
    scope.names, scope.args = driver, None
    for x in outset:
        if x not in driver.names and x not in fixed:
            driver.names[x] = f"_v[{slot[x]}]"
    lines = [f"def {fname}({', '.join(params)}):", *(f"    {s}" for s in prologue)]
    lines.append(f"    _v = [{', '.join(init)}] + [None] * {n_slots - len(init)}")
    lines.extend(calls)
    lines.append(f"    return {ret()}")
    source = _numpy_globals("\n".join(lines) + "\n", glb)
    # the driver finds the pieces in globals of its own: the pieces' globals
    # do not hold them, so no function is reachable from its own globals
    driver_glb = {**glb, **pieces}
    exec(compile(source, filename, "exec"), driver_glb)
    if skipped:
        kept.append(f"# ({skipped} more functions not kept: {n} equations in all)\n")
    kept.append(source)
    fn = driver_glb.pop(fname)
    return fn, "\n".join(kept)


# ---------------------------------------------------------------------------
# element-wise runs on large arrays, block by block
# ---------------------------------------------------------------------------

#: a run of element-wise equations on arrays of at least ``BLOCK_MIN_SIZE``
#: elements is evaluated in blocks of about ``BLOCK_ELEMENTS`` (along the first
#: axis): each equation's temporaries then stay in the CPU's cache instead of
#: streaming whole arrays through memory once per equation. Each element gets
#: the same operations as unblocked, so the results are identical.
BLOCK_ELEMENTS = 16_384
BLOCK_MIN_SIZE = 1 << 16
#: ... and when the arrays the run reads and makes take this many bytes: a
#: smaller working set stays in cache unblocked (blocks would only add calls)
BLOCK_MIN_BYTES = 4 << 20
#: shorter runs are evaluated whole (blocking gains little on them)
BLOCK_MIN_EQNS = 3


def _elementwise_shape(eqn: Eqn) -> tuple[int, ...] | None:
    """The shape of an element-wise equation that may run block by block:
    one result of at least ``BLOCK_MIN_SIZE`` elements, every operand a
    variable cut into blocks with it (its first axis is the result's) or
    one every block reads whole (it has fewer axes, or a first axis of 1:
    numpy broadcasts it over the rows), or a 0-d value; else None."""
    prim = eqn.primitive
    if len(eqn.outvars) != 1 or prim.emit_out is None:  # element-wise ufuncs have emit_out
        return None
    shape = eqn.outvars[0].aval.shape
    if not shape or math.prod(shape) < BLOCK_MIN_SIZE:
        return None
    for x in eqn.invars:
        if x.aval.shape != () and isinstance(x, Literal):
            return None
    return shape


def _cut(x: Var, shape: tuple[int, ...]) -> bool:
    """Is an operand of a run of ``shape`` cut into blocks with it (its
    first axis is the run's), or read whole by every block (it has fewer
    axes, or a first axis of 1: numpy broadcasts it over the rows)?"""
    xs = x.aval.shape
    return len(xs) == len(shape) and xs[0] == shape[0]


def _index(region: tuple[slice, ...]) -> str:
    return ", ".join(f"{r.start}:{r.stop}" for r in region)


def _around(region: tuple[slice, ...], shape: tuple[int, ...]) -> list[tuple[slice, ...]]:
    """Disjoint boxes covering ``shape`` outside ``region``: for each axis,
    the parts before and after the region on that axis, within the region
    on the axes before it."""
    parts = []
    for k, (r, n) in enumerate(zip(region, shape, strict=True)):
        head = region[:k]
        tail = tuple(slice(0, m) for m in shape[k + 1 :])
        for side in (slice(0, r.start), slice(r.stop, n)):
            if side.stop > side.start:
                parts.append((*head, side, *tail))
    return parts


class _Blocked:
    """``emit`` with the runs of element-wise equations on large arrays
    written as one loop over blocks (see ``BLOCK_ELEMENTS``).

    A run's inputs are read through block views; its temporaries live one
    block at a time; its results needed later are written into fresh arrays
    block by block. Views taken between its equations (slices, reshapes of
    values made before the run) are hoisted in front of the loop. Buffer
    reuse stays as the liveness analysis decided: writing into a dying
    operand's block is element-wise too."""

    def __init__(
        self,
        j: Jaxpr,
        env: _Env,
        live: _Liveness,
        emit: Callable[[int, Eqn], list[str]],
        consts: dict[Var, Any],
    ) -> None:
        self.j, self.env, self.live, self.plain = j, env, live, emit
        self.runs: dict[int, tuple[int, list[int], list[int], tuple[int, ...]]] = {}
        self.skip: set[int] = set()
        eqns = j.eqns
        self.producer = {v: e for e in eqns for v in e.outvars}
        i, n = 0, len(eqns)
        while i < n:
            shape = _elementwise_shape(eqns[i])
            if shape is None:
                i += 1
                continue
            body, hoisted = [i], []
            made = {eqns[i].outvars[0]}
            k = i + 1
            while k < n:
                e = eqns[k]
                if _elementwise_shape(e) == shape:
                    body.append(k)
                    made.add(e.outvars[0])
                elif e.primitive.returns_view and not any(x in made for x in e.invars):
                    hoisted.append(k)
                else:
                    break
                k += 1
            if (
                len(body) >= BLOCK_MIN_EQNS
                and self._working_set(body) >= BLOCK_MIN_BYTES
                and self._rows_fit(body, shape)
            ):
                self.runs[i] = (k, body, hoisted, shape)
                self.skip.update(range(i + 1, k))
            i = k
        self.placed = self._placements(consts)

    def _placements(self, consts: dict[Var, Any]) -> dict[Var, int]:
        """Results of runs whose one use is to be added into a region of
        zeros (``region``: a zero pad's add): the run writes them into that
        region of the sum's buffer itself (by equation index of the add)."""
        eqns, last_use = self.j.eqns, self.live.last_use
        made = {eqns[k].outvars[0] for _, body, *_ in self.runs.values() for k in body}
        placed: dict[Var, int] = {}
        for i, eqn in enumerate(eqns):
            if eqn.primitive.region is None or len(eqn.invars) != 2:
                continue
            y, x = eqn.invars
            if (
                isinstance(x, Var)
                and x in made
                and x is not y
                and last_use.get(x) == i  # (an output's last use is past the end)
                and _is_zeros(y, consts)
            ):
                placed[x] = i
        return placed

    def _rows_fit(self, body: list[int], shape: tuple[int, ...]) -> bool:
        """May the run be cut along its first axis: a row fits in a block,
        and no operand of the run's shape is a view (a transpose) whose
        memory runs along another axis? (Blocks of rows would then read a
        few elements of each of many rows: 1.18 ms against 1.01 ms whole on
        W5's 200x1000 tangents.)"""
        if shape[0] < 2 or math.prod(shape[1:]) > BLOCK_ELEMENTS:
            return False
        views = {
            x
            for k in body
            for x in self.j.eqns[k].invars
            if isinstance(x, Var) and x.aval.shape == shape and x in self.producer
        }
        return all(self._outer_axis(x) in (None, 0) for x in views)

    def _outer_axis(self, x: Var) -> int | None:
        """The axis of largest stride of ``x`` when it is a view made by
        the jaxpr of a (C-ordered) array, found by making that view of an
        empty array of the source's shape; None when unknown."""
        eqn = self.producer.get(x)
        if eqn is None or not eqn.primitive.returns_view or x.aval.ndim < 2:
            return None
        src, *rest = eqn.invars
        params = [r.val for r in rest if isinstance(r, Literal)]
        if len(params) != len(rest) or src.aval.size > 1 << 22:
            return None
        try:
            probe = eqn.primitive.impl(
                np.empty(src.aval.shape, src.aval.dtype), *params, **eqn.params
            )
        except Exception:  # (a probe only: the run is then cut along the first axis)
            return None
        strides = [abs(st) for st in np.asarray(probe).strides]
        if len(strides) != x.aval.ndim:
            return None
        return strides.index(max(strides))

    def _working_set(self, body: list[int]) -> int:
        """Bytes of the arrays the run reads or allocates unblocked: its
        inputs, and its results that do not reuse a dying operand's buffer."""
        eqns, reuse = self.j.eqns, self.live.reuse
        made = {eqns[k].outvars[0] for k in body}
        arrays = {x for k in body for x in eqns[k].invars if isinstance(x, Var) and x not in made}
        arrays.update(eqns[k].outvars[0] for k in body if k not in reuse)
        return sum(math.prod(v.aval.shape) * v.aval.dtype.itemsize for v in arrays)

    def emit(self, i: int, eqn: Eqn) -> list[str]:
        if i in self.skip:
            return []
        run = self.runs.get(i)
        if run is None:
            return self.plain(i, eqn)
        end, body, hoisted, shape = run
        return self._loop(end, body, hoisted, shape)

    def _loop(
        self, end: int, body: list[int], hoisted: list[int], shape: tuple[int, ...]
    ) -> list[str]:
        j, env, live = self.j, self.env, self.live
        names = env.names
        lines: list[str] = []
        for k in hoisted:
            lines.extend(self.plain(k, j.eqns[k]))
        made = {j.eqns[k].outvars[0] for k in body}
        outset = {x for x in j.outvars if isinstance(x, Var)}
        results = [
            v
            for v in (j.eqns[k].outvars[0] for k in body)
            if v in outset or live.last_use.get(v, -1) >= end
        ]
        inputs: list[Var] = []  # (read block by block; the others are read whole)
        for k in body:
            for x in j.eqns[k].invars:
                if isinstance(x, Var) and x not in made and _cut(x, shape) and x not in inputs:
                    inputs.append(x)
        # the input whose buffer a variable of the run was written into (out=
        # a dying input's block, or a block of such a variable): a result
        # there takes over that input's buffer, as unblocked; each block of
        # the input is read before it is overwritten
        taken: dict[Var, Var] = {}
        for k in body:
            r = live.reuse.get(k)
            if r is not None:
                base = taken.get(r, r)
                if base in inputs:
                    taken[j.eqns[k].outvars[0]] = base
        for v in results:
            if v in taken:
                lines.append(f"{names(v)} = {names(taken[v])}")
            elif v in self.placed:  # into its region of the sum, zeros around it
                into = j.eqns[self.placed[v]]
                self.skip.add(self.placed[v])
                assert into.primitive.region is not None
                region = into.primitive.region(**into.params)
                total = into.outvars[0]
                dt = env.bind(f"_bdt{len(env.glb)}", total.aval.dtype)
                lines.append(f"{names(total)} = np.empty({total.aval.shape!r}, {dt})")
                for part in _around(region, total.aval.shape):
                    lines.append(f"{names(total)}[{_index(part)}] = 0")
                lines.append(f"{names(v)} = {names(total)}[{_index(region)}]")
            else:
                dt = env.bind(f"_bdt{len(env.glb)}", v.aval.dtype)
                lines.append(f"{names(v)} = np.empty({shape!r}, {dt})")
        rows = max(1, BLOCK_ELEMENTS // max(1, math.prod(shape[1:])))
        lines.append(f"for _blk0 in range(0, {shape[0]}, {rows}):")
        lines.append(f"    _blk1 = _blk0 + {rows}")
        full = {v: names(v) for v in (*inputs, *results)}
        table = names.names
        saved = {v: table.get(v) for v in full}
        try:
            for x in inputs:
                lines.append(f"    {full[x]}_b = {full[x]}[_blk0:_blk1]")
                table[x] = f"{full[x]}_b"
            for k in body:
                eqn = j.eqns[k]
                prim, params, out = eqn.primitive, eqn.params, eqn.outvars[0]
                ins = [env.atom(x, prim.emit_out is not None) for x in eqn.invars]
                reuse = live.reuse.get(k)
                assert prim.emit_out is not None and prim.emit is not None
                if out in full:
                    if out in taken and reuse is not None:  # the input's block itself
                        target = names(reuse)
                    else:
                        target = f"{full[out]}[_blk0:_blk1]"
                    expr = prim.emit_out(*ins, out=target, **params)
                    lines.append(f"    {full[out]}_b = {expr}")
                    table[out] = f"{full[out]}_b"
                elif reuse is not None:
                    expr = prim.emit_out(*ins, out=names(reuse), **params)
                    lines.append(f"    {names(out)} = {expr}")
                else:
                    lines.append(f"    {names(out)} = {prim.emit(*ins, **params)}")
        finally:
            for v, name in saved.items():
                if name is None:
                    table.pop(v, None)
                else:
                    table[v] = name
        return lines


def _bind(glb: dict[str, Any], name: str, value: Any) -> str:
    glb[name] = value
    return name


def _span(scope: _Scope, slot: dict[Var, int], run: list[Var]) -> str:
    """The consecutive slots of ``run``, a slice whose bounds are arguments."""
    return f"_v[{scope.arg(slot[run[0]])}:{scope.arg(slot[run[-1]] + 1)}]"


def _runs(xs: list[Var], slot: dict[Var, int]) -> list[list[Var]]:
    """``xs`` (in slot order) cut where their slots stop being consecutive."""
    runs: list[list[Var]] = []
    for x in xs:
        if runs and slot[runs[-1][-1]] + 1 == slot[x]:
            runs[-1].append(x)
        else:
            runs.append([x])
    return runs


def _is_zeros(x: Atom, consts: dict[Var, Any]) -> bool:
    """Is ``x`` a literal or constant array of zeros (of positive sign: fresh
    ``np.zeros`` may stand for it)?"""
    val = x.val if isinstance(x, Literal) else consts.get(x)
    return (
        isinstance(val, np.ndarray)
        and not val.any()
        and not (val.dtype.kind == "f" and np.signbit(val).any())
    )


def _copy(x: Any) -> Any:
    return x.copy() if isinstance(x, np.ndarray) else x


def _writable(x: Any) -> Any:
    return x.copy() if isinstance(x, np.ndarray) and not x.flags.writeable else x


# ---------------------------------------------------------------------------
# scalar specialization
# ---------------------------------------------------------------------------

# Each primitive's ``emit_scalar`` is a Python-float expression on float64
# scalars; where Python raises instead of returning inf/nan (log(0), 1/0,
# overflow, a negative base to a fractional power), the generated function
# falls back to the numpy code. Special values (NaN, infinities, signed
# zeros) and booleans are numpy's exactly; finite results of transcendental
# functions may differ from numpy's in the last place, as ``math`` and numpy
# round them independently (tests/jit/test_scalar_path.py checks both). The
# expressions may use ``_m`` (math) and ``_pow`` (below).


def _scalar_expr(eqn: Any, ins: list[str]) -> str | None:
    """The Python-float expression of ``eqn`` on the operand names ``ins``, or
    None when its primitive has none for these params."""
    form = eqn.primitive.emit_scalar
    if form is None:
        return None
    if isinstance(form, str):
        return form.format(*ins)
    expr: str | None = form(*ins, **eqn.params)
    return expr


def _scalar_pow(x: float, y: float) -> float:
    # math.pow raises ValueError where numpy returns nan (negative ** fraction)
    # and OverflowError where numpy returns inf: both fall back to numpy.
    if y == 0.5 and _POWER_HALF_IS_SQRT:  # -0.0 ** 0.5 is then -0.0, -inf ** 0.5 nan
        return math.sqrt(x)
    return math.pow(x, y)


# numpy 2 computes x ** 0.5 as sqrt(x), numpy 1 as C's pow
_POWER_HALF_IS_SQRT = math.copysign(1.0, float(np.power(np.float64(-0.0), 0.5))) < 0


def _compile_scalar(
    closed: ClosedJaxpr, name: str, scalar_outputs: Collection[int] = ()
) -> tuple[Callable[..., list[Any]], str] | None:
    """Straight-line Python-float code when every value is a float64 (or bool)
    scalar and every primitive has a scalar expression; else None."""
    j = closed.jaxpr
    f64 = np.dtype(np.float64)

    def scalar_ok(v: Atom) -> bool:
        a = v.aval
        return a.shape == () and (a.dtype == f64 or a.dtype == np.bool_)

    if not j.invars or not all(scalar_ok(v) for v in (*j.constvars, *j.invars)):
        return None
    for eqn in j.eqns:
        if _scalar_expr(eqn, ["_"] * len(eqn.invars)) is None:
            return None
        if not all(scalar_ok(v) for v in (*eqn.invars, *eqn.outvars)):
            return None
    scope = _Scope(_Names())
    glb: dict[str, Any] = {
        "_m": math,
        "_pow": _scalar_pow,
        "_f64": np.float64,
        "_copy": _copy,
        "_result": as_result,
    }
    for k, (v, c) in enumerate(zip(j.constvars, closed.consts, strict=True)):
        glb[f"_c{k}"] = float(c)
        scope.names.fixed[v] = f"_c{k}"
    # an input handed back is returned as the caller's own object: keep it by name
    handed_back = any(x in j.invars for x in j.outvars if isinstance(x, Var))
    suffix = "_in" if handed_back else ""
    raw: dict[Var, str] = {}

    def atom(x: Atom) -> str:
        if isinstance(x, Literal):
            val = np.asarray(x.val)
            lit = bool(val) if val.dtype == np.bool_ else float(val)
            return repr(lit) if scope.args is None else scope.arg(lit)
        return scope.names(x)

    def header() -> tuple[list[str], list[str]]:
        args = [scope.names(v) for v in j.invars]
        raw.update((v, f"{a}{suffix}") for v, a in zip(j.invars, args, strict=True))
        # inputs may be Python numbers, numpy scalars or 0-d arrays: work on Python floats
        prologue = [
            f"{a} = float({r})" if v.aval.dtype == f64 else f"{a} = bool({r})"
            for a, (v, r) in zip(args, raw.items(), strict=True)
        ]
        return list(raw.values()), prologue

    def emit(i: int, eqn: Eqn) -> list[str]:
        return [
            f"{scope.names(eqn.outvars[0])} = {_scalar_expr(eqn, [atom(x) for x in eqn.invars])}"
        ]

    outs = []
    for k, x in enumerate(j.outvars):
        if isinstance(x, Literal):  # a constant output, exactly as the function returned it
            glb[f"_out{k}"] = x.val
            expr = f"_copy(_out{k})"
        elif handed_back and x in j.invars:  # an input handed back: the caller's object
            expr = f"_copy({{{k}}})"
        elif not scalar_ok(x):
            return None
        else:
            outs.append(f"_f64({{{k}}})" if x.aval.dtype == f64 else f"np.bool_({{{k}}})")
            continue
        # unless the traced function computed it (``where(c, x, x)`` is ``x``
        # once simplified): then a numpy scalar, as eagerly
        outs.append(f"_result({expr})" if k in scalar_outputs else expr)

    def ret() -> str:
        # {k} in a template: output k, by its name in the returning function
        names = [
            raw[x] if handed_back and x in raw else atom(x) if isinstance(x, Var) else ""
            for x in j.outvars
        ]
        return f"[{', '.join(o.format(*names) for o in outs)}]"

    glb["np"] = np
    return _assemble(
        j, f"{name}_scalar", f"<funcdiff.jit {name} scalar>", glb, scope, header, emit, ret
    )
