"""A traced function seen equation by equation: the value and the adjoint of
every variable (:class:`Analysis`), the names they are shown by, and the
evaluation that keeps every value. Shared by :func:`~funcdiff.see.graph` and
:func:`~funcdiff.see.explain`."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcdiff.core.ir import Atom, ClosedJaxpr, Eqn, Jaxpr, Literal, Var
from funcdiff.core.pretty import letter_name
from funcdiff.core.primitive import Zero, is_float
from funcdiff.errors import ShapeError
from funcdiff.interpreters.eval import eval_jaxpr_env
from funcdiff.interpreters.vjp import backward_pass
from funcdiff.see._format import format_value

Fun = Callable[..., Any]


# ---------------------------------------------------------------------------
# naming variables
# ---------------------------------------------------------------------------


class VarNames:
    """Names of a jaxpr's variables: given names for some, then a, b, c, ...

    Letters are handed out in order of definition (constants, inputs,
    equations), skipping the reserved names, so with no given names they
    match the printed jaxpr.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> jaxpr = fd.make_jaxpr(fnp.sin)(1.0).jaxpr
    >>> names = VarNames()
    >>> names(jaxpr.invars[0]), names(jaxpr.outvars[0])
    ('a', 'b')
    """

    def __init__(self, reserved: Sequence[str] = ()) -> None:
        self._names: dict[Var, str] = {}
        self._reserved = set(reserved)
        self._next = 0

    def give(self, v: Var, name: str) -> None:
        self._names[v] = name
        self._reserved.add(name)

    def __call__(self, v: Var) -> str:
        name = self._names.get(v)
        if name is None:
            while True:
                name = letter_name(self._next)
                self._next += 1
                if name not in self._reserved:
                    break
            self._names[v] = name
        return name

    def atom(self, x: Atom) -> str:
        """A variable's name, or a literal's value."""
        if isinstance(x, Literal):
            return format_value(x.val)
        return self(x)


def arg_names(f: Fun, args: Sequence[Any]) -> list[str]:
    """One name per array leaf of ``args``: ``f``'s parameter names (``x``,
    ``y``), with the pytree path for structured arguments (``p[0]``).

    >>> arg_names(lambda x, y: x, (1.0, (2.0, 3.0)))
    ['x', 'y[0]', 'y[1]']
    """
    from funcdiff.tree import keystr, tree_flatten_with_path

    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [
        p.name
        for p in params
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    star = next((p.name for p in params if p.kind is inspect.Parameter.VAR_POSITIONAL), None)
    names: list[str] = []
    for i, a in enumerate(args):
        if i < len(positional):
            base = positional[i]
        elif star is not None:
            base = f"{star}[{i - len(positional)}]"
        else:
            base = f"arg{i}"
        pairs, _ = tree_flatten_with_path(a)
        if len(pairs) == 1 and not pairs[0][0]:
            names.append(base)
        else:
            names.extend(base + keystr(path) for path, _ in pairs)
    return names


# ---------------------------------------------------------------------------
# analysis: values and adjoints of every variable (shared with explain)
# ---------------------------------------------------------------------------


class Analysis:
    """A jaxpr with (optionally) the value and the adjoint of every variable.

    Attributes:
      jaxpr, consts: the jaxpr drawn and its constants.
      env: variable -> value (None when no values are known).
      names: the variable namer.
      adjoint: variable -> its adjoint dz/dv (reverse mode, scalar output).
      contributions: variable -> ``[(eqn index, input position, value)]``,
        the contributions its consumers sent back (several at fan-out).
      order: equation indices in the order the backward pass visited them.
      out_cts: equation index -> the cotangents of its outputs (a list, ``Zero``
        where none).
      note: why adjoints are missing, when they are.
      z: the output's symbol in ``dz/dv`` (``"z"``, or ``"out"`` when an
        input is called z); no variable gets this name.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> a = Analysis(fd.make_jaxpr(fnp.sin)(1.0), None)
    >>> [a.names(v) for v in a.jaxpr.invars]
    ['a']
    """

    def __init__(
        self,
        closed: ClosedJaxpr | Jaxpr,
        env: dict[Var, Any] | None,
        in_names: Sequence[str] | None = None,
        adjoints: bool = True,
        out_symbol: str = "z",
    ) -> None:
        if isinstance(closed, ClosedJaxpr):
            self.jaxpr, self.consts = closed.jaxpr, list(closed.consts)
        else:
            self.jaxpr, self.consts = closed, []
        jaxpr = self.jaxpr
        self.env = env
        if in_names is not None and out_symbol in in_names:
            out_symbol = "out"
        #: the name of the output in ``dz/dv`` (never a variable's name)
        self.z = out_symbol
        self.names = VarNames([out_symbol])
        if in_names is not None:
            for v, name in zip(jaxpr.invars, in_names, strict=True):
                self.names.give(v, name)
        for v in jaxpr.constvars:  # letters in definition order, as the printer does
            self.names(v)
        for v in jaxpr.invars:
            self.names(v)
        for eqn in jaxpr.eqns:
            for v in eqn.outvars:
                self.names(v)
        self.adjoint: dict[Var, Any] = {}
        self.contributions: dict[Var, list[tuple[int, int, Any]]] = {}
        self.order: list[int] = []
        self.out_cts: dict[int, Any] = {}
        self.in_cts: list[Any] = []
        self.note: str | None = None
        if adjoints and env is not None:
            self._backward()

    def value(self, x: Atom) -> Any:
        if isinstance(x, Literal):
            return x.val
        if self.env is None:
            return None
        return self.env.get(x)

    @property
    def has_adjoints(self) -> bool:
        return bool(self.in_cts) or bool(self.adjoint)

    def _backward(self) -> None:
        jaxpr = self.jaxpr
        assert self.env is not None
        outs = jaxpr.outvars
        if len(outs) != 1:
            self.note = f"the function has {len(outs)} outputs, not one scalar"
            return
        (out,) = outs
        if out.aval.shape != () or not is_float(out.aval):
            self.note = (
                f"the output is {out.aval.str_short()}, not a floating-point scalar "
                "(reverse mode starts from dz/dz = 1 at a scalar output z)"
            )
            return
        index = {id(e): i for i, e in enumerate(jaxpr.eqns)}

        def observe(eqn: Eqn, cts: list[Any], contribs: list[Any]) -> None:
            i = index[id(eqn)]
            self.order.append(i)
            self.out_cts[i] = cts
            for v, c in zip(eqn.outvars, cts, strict=True):
                if not isinstance(c, Zero):
                    self.adjoint[v] = c
            for k, (x, c) in enumerate(zip(eqn.invars, contribs, strict=True)):
                if isinstance(x, Var) and not isinstance(c, Zero):
                    self.contributions.setdefault(x, []).append((i, k, c))

        seed = np.ones((), out.aval.dtype)
        self.seed = seed
        if isinstance(out, Var):
            self.adjoint[out] = seed
        self.in_cts = backward_pass(jaxpr, self.env, [seed], observe=observe)
        for v, c in zip(jaxpr.invars, self.in_cts, strict=True):
            if not isinstance(c, Zero):
                self.adjoint[v] = c


def evaluate_env(closed: ClosedJaxpr | Jaxpr, args: Sequence[Any]) -> dict[Var, Any]:
    """Evaluate a jaxpr at ``args``, keeping the value of every variable.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> env = evaluate_env(fd.make_jaxpr(fnp.sin)(0.0), [0.0])
    >>> sorted(float(v) for v in env.values())
    [0.0, 0.0]
    """
    jaxpr, consts = (
        (closed.jaxpr, closed.consts) if isinstance(closed, ClosedJaxpr) else (closed, [])
    )
    if len(args) != len(jaxpr.invars):
        raise TypeError(
            f"the jaxpr takes {len(jaxpr.invars)} inputs "
            f"({', '.join(v.aval.str_short() for v in jaxpr.invars)}), got {len(args)} values"
        )
    values = []
    for i, (v, a) in enumerate(zip(jaxpr.invars, args, strict=True)):
        arr = np.asarray(a, dtype=v.aval.dtype)
        if arr.shape != v.aval.shape:
            raise ShapeError(
                f"input {i} of the jaxpr is {v.aval.str_short()}, but the value given has "
                f"shape {arr.shape}"
            )
        values.append(arr)
    return eval_jaxpr_env(jaxpr, consts, values)


def eqn_params_text(eqn: Eqn, limit: int = 60) -> str:
    """``[axes=(0,)]``: an equation's params as the jaxpr prints them (cut short)."""
    if not eqn.params:
        return ""
    from funcdiff.core.pretty import pp_param

    parts = []
    for k, v in sorted(eqn.params.items()):
        s = pp_param(v).replace("\n", " ")
        if len(s) > 40:
            s = s[:37] + "..."
        parts.append(f"{k}={s}")
    text = ", ".join(parts)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"[{text}]"


#: ``notation=`` of ``explain`` and ``graph``: the lecture's (default) or the jaxpr's
NOTATIONS = ("lecture", "raw")

_INFIX = {
    "add": "+",
    "sub": "-",
    "mul": "*",
    "div": "/",
    "pow": "**",
    "gt": ">",
    "lt": "<",
    "ge": ">=",
    "le": "<=",
    "eq": "==",
    "ne": "!=",
}
_REDUCE = {"reduce_sum": "sum", "reduce_max": "max", "reduce_min": "min", "reduce_prod": "prod"}
_CALLS = {"max": "maximum", "min": "minimum", "select": "where", "atan2": "arctan2"}


def _operand(s: str) -> str:
    """An operand of an infix operator: a negative number in parentheses."""
    return f"({s})" if s.startswith("-") else s


def _is_matmul(eqn: Eqn) -> bool:
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    a, b = (x.aval.ndim for x in eqn.invars)
    if lb or rb or len(lc) != 1 or a == 0 or b == 0:
        return False
    return bool(lc[0] == a - 1 and rc[0] == (0 if b == 1 else b - 2))


def check_notation(notation: str, where: str) -> None:
    if notation not in NOTATIONS:
        raise ValueError(
            f"{where}: notation must be 'lecture' (x ** 2, a @ b, sum(x)) or 'raw' "
            f"(the jaxpr's primitives and parameters), got {notation!r}"
        )


def eqn_text(eqn: Eqn, args: list[str], notation: str = "lecture") -> str:
    """An equation's right-hand side on operands ``args``. ``"raw"``: the
    jaxpr's form, ``integer_pow[y=2](x)``; ``"lecture"``: the lecture's
    notation where one exists (``x ** 2``, ``a * b``, ``A @ x``, ``sum(x)``,
    ``where(c, a, b)``), else the raw form.

    >>> import funcdiff as fd, numpy as np
    >>> (e,) = fd.make_jaxpr(lambda x: x ** 2)(1.0).eqns
    >>> eqn_text(e, ["x"]), eqn_text(e, ["x"], "raw")
    ('x ** 2', 'integer_pow[y=2](x)')
    """
    name = eqn.primitive.name
    if notation == "lecture":
        if name in _INFIX and len(args) == 2:
            first = _operand(args[0]) if name == "pow" else args[0]
            return f"{first} {_INFIX[name]} {_operand(args[1])}"
        if name == "integer_pow":
            return f"{_operand(args[0])} ** {_operand(str(eqn.params['y']))}"
        if name == "neg":
            return f"-{_operand(args[0])}"
        if name == "dot_general" and _is_matmul(eqn):
            return f"{args[0]} @ {args[1]}"
        if name in _REDUCE:
            axes = tuple(eqn.params["axes"])
            ndim = eqn.invars[0].aval.ndim
            if len(axes) == ndim:
                return f"{_REDUCE[name]}({args[0]})"
            axis = axes[0] if len(axes) == 1 else axes
            return f"{_REDUCE[name]}({args[0]}, axis={axis})"
        if name == "convert_element_type":
            return f"{np.dtype(eqn.params['new_dtype']).name}({args[0]})"
        if name in _CALLS:
            return f"{_CALLS[name]}({', '.join(args)})"
    return f"{name}{eqn_params_text(eqn)}({', '.join(args)})"


__all__ = [
    "NOTATIONS",
    "Analysis",
    "Fun",
    "VarNames",
    "arg_names",
    "check_notation",
    "eqn_params_text",
    "eqn_text",
    "evaluate_env",
]
