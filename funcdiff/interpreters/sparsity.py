"""Sparsity detection: a jaxpr interpreted over index sets.

Each variable ``v`` holds its first-order dependency pattern, a boolean
``scipy.sparse`` CSR matrix ``D_v`` of shape ``(v.size, n)``: row ``i`` marks
the inputs (of the flattened argument, ``n`` elements) element ``i`` of
``v`` has a structurally non-zero derivative in. ``None`` stands for "no
dependency" (a constant, an index, anything with a zero derivative).

The Hessian pattern is collected globally, as ADOL-C and
SparseConnectivityTracer's global tracers do: each equation on a
differentiable path to an output adds the second-order interactions it
creates among its inputs' dependency sets (``g(u)`` element-wise: ``D_u^T
D_u``; ``a * b``: ``D_a^T D_b``), mapped through its inputs' patterns.
Linear and piecewise-linear equations add nothing. The union over all
equations, symmetrized, contains every structural non-zero of the Hessian of
every output element (an over-approximation is allowed, a miss is not).

The rules are ``prim.sparsity`` (their builders, and what a rule sees,
are in ``funcdiff.primitives.sparsity``); a primitive without one is
treated conservatively (``conservative``: dense). Values known at trace time
(the jaxpr's constants, literals, and whatever is computed from them only)
are folded, so index operands of ``gather`` and constant matrices of
``dot_general`` make exact patterns. Sub-jaxprs (``cond`` branches, custom
rules, ``checkpoint``) run through ``sub_jaxpr``, from their primitives'
rules, as the other interpreters' rules do.

scipy is imported lazily: it is an optional extra (``funcdiff[scipy]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcdiff.core.ir import ClosedJaxpr, Literal, ShapedArray, Var
from funcdiff.interpreters._loop import read, write
from funcdiff.primitives.sparsity import Context, Dep, rule_of, scipy_sparse

__all__ = ["State", "run", "sub_jaxpr"]


class State:
    """What one detection run shares across equations (and sub-jaxprs)."""

    def __init__(self, n: int, hessian: bool, max_clique: int | None = None) -> None:
        self.n = n
        self.hessian = hessian
        #: stop (``TooDense``) at a second-order term whose row has more
        #: inputs than this: those inputs all interact, so a coloring of the
        #: Hessian needs at least that many colors (None: no limit)
        self.max_clique = max_clique
        #: second-order terms, each an (n, n) sparse matrix (symmetrized at the end)
        self.terms: list[Any] = []

    def hessian_pattern(self) -> Any:
        sp = scipy_sparse()
        terms = list(self.terms) or [sp.csr_array((self.n, self.n), dtype=bool)]
        while len(terms) > 1:  # pairwise, so many small terms do not cost a quadratic sum
            pairs = [a + b for a, b in zip(terms[::2], terms[1::2], strict=False)]
            terms = pairs + ([terms[-1]] if len(terms) % 2 else [])
        total = terms[0]
        total = sp.csr_array(total + total.T, dtype=bool)
        total.sum_duplicates()
        total.sort_indices()
        return total


def sub_jaxpr(
    ctx: Context, closed: ClosedJaxpr, deps: Sequence[Dep], known: Sequence[Any]
) -> list[Dep]:
    """The output patterns of ``closed`` run on ``deps`` (control flow and
    custom rules); its second-order terms go to the same collection."""
    return run(ctx.state, closed, deps, known, second_order=ctx.second_order)


# ---------------------------------------------------------------------------
# the interpreter
# ---------------------------------------------------------------------------


def _live(closed: ClosedJaxpr) -> set[int]:
    """ids of the equations whose outputs reach an output through a path
    with a possibly non-zero derivative (only those add Hessian terms)."""
    j = closed.jaxpr
    wanted = {id(v) for v in j.outvars if isinstance(v, Var)}
    live: set[int] = set()
    for eqn in reversed(j.eqns):
        if eqn.primitive.zero_derivative or not any(id(v) in wanted for v in eqn.outvars):
            continue
        live.add(id(eqn))
        wanted.update(id(v) for v in eqn.invars if isinstance(v, Var))
    return live


def _differentiable(aval: ShapedArray) -> bool:
    return aval.dtype.kind in "fc"


def run(
    state: State,
    closed: ClosedJaxpr,
    deps: Sequence[Dep],
    known: Sequence[Any] | None = None,
    *,
    second_order: bool = True,
) -> list[Dep]:
    """The dependency patterns of ``closed``'s outputs given its inputs'
    (``deps``; ``known``: input values known at trace time, or None each)."""
    j = closed.jaxpr
    env: dict[Var, Any] = {}
    values: dict[Var, Any] = {}
    write(env, j.constvars, [None] * len(j.constvars))
    write(values, j.constvars, closed.consts)
    write(env, j.invars, deps)
    if known is not None:
        for v, val in zip(j.invars, known, strict=True):
            if val is not None:
                values[v] = val
    live = _live(closed) if state.hessian and second_order else set()
    for eqn in j.eqns:
        vals = [a.val if isinstance(a, Literal) else values.get(a) for a in eqn.invars]
        in_deps = [None if isinstance(a, Literal) else read(env, a) for a in eqn.invars]
        prim = eqn.primitive
        if all(v is not None for v in vals):
            # computed from constants only: fold it (no dependency on the input)
            write(values, eqn.outvars, prim.listed["impl"](*vals, **eqn.params))
            write(env, eqn.outvars, [None] * len(eqn.outvars))
            continue
        if prim.zero_derivative or all(d is None for d in in_deps):
            write(env, eqn.outvars, [None] * len(eqn.outvars))
            continue
        ctx = Context(
            state,
            prim,
            [a.aval for a in eqn.invars],
            [v.aval for v in eqn.outvars],
            vals,
            id(eqn) in live,
        )
        outs = rule_of(prim)(ctx, in_deps, **eqn.params)
        write(
            env,
            eqn.outvars,
            [
                o if _differentiable(v.aval) else None
                for o, v in zip(outs, eqn.outvars, strict=True)
            ],
        )
    return [None if isinstance(a, Literal) else read(env, a) for a in j.outvars]
