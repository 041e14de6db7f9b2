"""The subcommands: each takes a :class:`Problem` (an expression bound to its
values) and the parsed arguments, and returns the JSON data and the text lines.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable
from typing import Any

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.cli.errors import MathError, UsageError
from funcdiff.cli.expr import MAX_ELEMENTS, MAX_TOTAL_ELEMENTS, Expression, parse_order
from funcdiff.cli.output import entry_labels, fmt, jsonable, matrix_text, point, signature
from funcdiff.tree import ravel_pytree

#: Most scalar inputs for a dense Hessian / Taylor model.
MAX_HESSIAN_N = 1000
#: Largest array ``--json`` prints (a dense Hessian has at most 1000**2 entries).
MAX_JSON_ELEMENTS = 1_000_000
#: Largest ``graph --max-nodes`` (Graphviz's layout time grows fast with the nodes).
MAX_GRAPH_NODES = 2000


def demo() -> None:
    """The lecture's examples: a jaxpr, a derivative, gradients and a Hessian."""

    def f(x):  # type: ignore[no-untyped-def]
        return x ** fnp.cos(x)

    print("z = x ** cos(x), traced into a jaxpr:")
    print(fd.make_jaxpr(f)(3.0))
    print(f"\ndz/dx at x = 3: {float(fd.grad(f)(3.0)):.6f}   (the lecture: -0.1634)")
    print(f"d2z/dx2 at x = 3: {float(fd.grad(fd.grad(f))(3.0)):.6f}")
    print("\nThe jaxpr of its derivative (reverse mode):")
    print(fd.make_jaxpr(fd.grad(f))(3.0))

    def g(x, y):  # type: ignore[no-untyped-def]
        return x**2 * fnp.exp(x + fnp.cos(y))

    gx, gy = fd.grad(g, argnums=(0, 1))(1.0, 2.0)
    print(
        f"\nf(x, y) = x**2 * exp(x + cos(y)) at (1, 2): grad = ({float(gx):.6f}, {float(gy):.6f})"
    )

    def h(v):  # type: ignore[no-untyped-def]
        x, y, z = v[0], v[1], v[2]
        return x ** (fnp.cos(y) * z**2)

    v = np.array([1.5, 0.5, 1.2])
    print(f"\nf(x, y, z) = x ** (cos(y) * z**2) at {v}:")
    print("  gradient:", np.array2string(fd.grad(h)(v), precision=6))
    print("  Hessian (forward-over-reverse):")
    print("  " + np.array2string(fd.hessian(h)(v), precision=6, prefix="  "))


class Problem:
    """An expression bound to its values, ready for the transforms."""

    def __init__(self, expr: Expression, names: list[str], values: list[np.ndarray]) -> None:
        self.expr = expr
        self.names = names
        self.values = values
        self.f = parse_order(expr, names).function()
        self.n = len(names)
        self.size = sum(int(v.size) for v in values)

    def batched(self) -> Callable[..., Any]:
        """f for a Hessian: n basis vectors run at once, so each may use 1/n of
        the element budgets."""
        n = max(self.size, 1)
        return parse_order(
            self.expr, self.names, MAX_ELEMENTS // n, MAX_TOTAL_ELEMENTS // n
        ).function()

    def require_hessian_size(self, what: str) -> None:
        """Refuse a dense Hessian of more than MAX_HESSIAN_N inputs before any work."""
        if self.size > MAX_HESSIAN_N:
            raise MathError(
                f"{what}: {self.size} scalar inputs is too many for a dense Hessian "
                f"({self.size}x{self.size} entries; at most {MAX_HESSIAN_N} inputs)"
            )

    def value(self) -> np.ndarray:
        try:
            return np.asarray(self.f(*self.values))
        except Exception as err:
            raise MathError(f"evaluating {self.expr.text!r} failed: {_msg(err)}") from None

    def require_scalar(self, what: str) -> np.ndarray:
        v = self.value()
        if v.shape != ():
            raise MathError(
                f"{what} needs a scalar expression, but {self.expr.text!r} has shape "
                f"{v.shape} at this point; reduce it, e.g. sum({self.expr.text})"
            )
        if self.n == 0:
            raise MathError(f"{what}: the expression {self.expr.text!r} has no variables")
        return v

    def base(self, command: str) -> dict[str, Any]:
        return {
            "command": command,
            "expression": self.expr.text,
            "variables": list(self.names),
            "inputs": {n: jsonable(v) for n, v in zip(self.names, self.values, strict=True)},
        }

    def flat(self) -> tuple[np.ndarray, Callable[[Any], Any], list[str]]:
        """The flat point, f of the flat vector (for Hessians) and entry labels."""
        x0, unravel = ravel_pytree(tuple(self.values))
        f = self.batched()

        def f_flat(v: Any) -> Any:
            return f(*unravel(v))

        return np.asarray(x0), f_flat, entry_labels(self.names, self.values)


def _msg(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return f"{type(err).__name__}: {text}" if type(err).__module__ == "builtins" else text


def _run_math(fn: Callable[[], Any], what: str) -> Any:
    try:
        return fn()
    except (MathError, UsageError):
        raise
    except Exception as err:
        raise MathError(f"{what} failed: {_msg(err)}") from None


def cmd_grad(p: Problem, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    p.require_scalar("grad")
    value, grads = _run_math(
        lambda: fd.value_and_grad(p.f, argnums=tuple(range(p.n)))(*p.values), "grad"
    )
    data = p.base("grad")
    data["value"] = jsonable(value)
    data["gradient"] = {n: jsonable(g) for n, g in zip(p.names, grads, strict=True)}
    lines = [
        f"{signature(p.names)} = {p.expr.text}",
        f"at {point(p.names, p.values)}",
        f"f = {fmt(value)}",
    ]
    lines += [f"df/d{n} = {fmt(g)}" for n, g in zip(p.names, grads, strict=True)]
    return data, lines


def _hessian_flat(p: Problem, what: str) -> tuple[np.ndarray, np.ndarray, list[str], Any]:
    value = p.require_scalar(what)
    p.require_hessian_size(what)
    x0, f_flat, labels = p.flat()
    H = _run_math(lambda: np.asarray(fd.hessian(f_flat)(x0)), what)
    return value, H, labels, f_flat


def cmd_hessian(p: Problem, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    value, H, labels, _ = _hessian_flat(p, "hessian")
    data = p.base("hessian")
    data["value"] = jsonable(value)
    data["index"] = labels
    data["hessian"] = jsonable(H)
    lines = [
        f"{signature(p.names)} = {p.expr.text}",
        f"at {point(p.names, p.values)}",
        f"f = {fmt(value)}",
        "Hessian (forward-over-reverse):",
        *matrix_text(H, labels),
    ]
    return data, lines


def cmd_taylor(p: Problem, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    p.require_scalar("taylor")
    p.require_hessian_size("taylor")
    x0, f_flat, labels = p.flat()
    value, g, H = _run_math(lambda: _taylor_parts(f_flat, x0), "taylor")
    eig = np.linalg.eigvalsh((H + H.T) / 2) if H.size else np.zeros(0)
    convex = bool(eig.size and np.all(eig > 0))
    step: np.ndarray | None = None
    if convex:
        step = np.linalg.solve(H, -g)
    data = p.base("taylor")
    data.update(
        {
            "value": jsonable(value),
            "index": labels,
            "gradient": jsonable(g),
            "hessian": jsonable(H),
            "eigenvalues": jsonable(eig),
            "convex": convex,
            "newton_step": None if step is None else jsonable(step),
            "model": "m(x) = f(x0) + g.(x - x0) + 1/2 (x - x0)^T H (x - x0)",
        }
    )
    lines = [
        f"{signature(p.names)} = {p.expr.text}",
        f"second-order Taylor model at x0: {point(p.names, p.values)}",
        "  m(x) = f(x0) + g.(x - x0) + 1/2 (x - x0)^T H (x - x0)",
        f"f(x0) = {fmt(value)}",
        f"g = grad f(x0), entries ({', '.join(labels)}):",
        f"  {fmt(g)}",
        "H = Hessian of f at x0:",
        *matrix_text(H, labels),
        f"eigenvalues of H: {fmt(eig)}",
    ]
    if step is not None:
        pred = float(g @ step + 0.5 * step @ H @ step)
        lines.append(
            f"H is positive definite: the model has its minimum at x0 + p, with the Newton "
            f"step p = -H^-1 g = {fmt(step)} (model change {fmt(pred)})"
        )
        data["model_change"] = jsonable(pred)
    else:
        lines.append("H is not positive definite: the model has no minimum (no Newton step)")
    return data, lines


def _taylor_parts(f_flat: Callable[[Any], Any], x0: np.ndarray) -> tuple[Any, Any, Any]:
    """value, gradient and Hessian of the quadratic model (one ``taylor2`` trace)."""
    from funcdiff.quadratic import taylor2  # loaded by this command only

    m = taylor2(f_flat, matrix_free=False)(x0)
    return np.asarray(m.value), np.asarray(m.g_flat), np.asarray(m.H_flat)


def _transformed(p: Problem, of: str) -> Callable[..., Any]:
    if of == "f":
        return p.f
    if p.n == 0:
        raise MathError(f"--of {of}: the expression has no variables to differentiate")
    argnums = tuple(range(p.n))
    if of == "grad":
        p.require_scalar("--of grad")
        return fd.grad(p.f, argnums=argnums)
    p.require_scalar("--of hessian")
    p.require_hessian_size("--of hessian")
    return fd.hessian(p.batched(), argnums=argnums)


def cmd_jaxpr(p: Problem, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    fun = _transformed(p, args.of)
    closed = _run_math(lambda: fd.make_jaxpr(fun)(*p.values), "tracing")
    text = str(closed)
    data = p.base("jaxpr")
    data.update({"of": args.of, "jaxpr": text, "equations": len(closed.eqns)})
    what = {"f": "", "grad": "the gradient of ", "hessian": "the Hessian of "}[args.of]
    header = f"# jaxpr of {what}{signature(p.names)} = {p.expr.text}"
    return data, [header, text]


def cmd_graph(p: Problem, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    from funcdiff.see import GraphvizNotFoundError, graph  # loaded by this command only

    if args.max_nodes > MAX_GRAPH_NODES:
        raise UsageError(
            f"--max-nodes {args.max_nodes} is too many: at most {MAX_GRAPH_NODES} "
            "(larger graphs are collapsed to their first and last equations)"
        )
    fun = _transformed(p, args.of)
    what = {"f": "", "grad": "gradient of ", "hessian": "Hessian of "}[args.of]
    title = f"{what}{signature(p.names)} = {p.expr.text}  at {point(p.names, p.values)}"
    g = _run_math(
        lambda: graph(
            fun,
            *p.values,
            adjoints=not args.no_adjoints,
            max_nodes=args.max_nodes,
            title=title,
            rankdir=args.rankdir,
            notation=args.notation,
        ),
        "drawing the graph",
    )
    data = p.base("graph")
    data.update({"of": args.of, "equations": g.num_eqns, "collapsed": g.collapsed})
    if args.output is None:
        data["dot"] = g.dot
        return data, [g.dot.rstrip("\n")]
    try:
        path = g.save(args.output)
    except GraphvizNotFoundError as err:
        raise MathError(str(err)) from None
    except (ValueError, RuntimeError, OSError) as err:
        raise MathError(f"writing {args.output} failed: {err}") from None
    data["output"] = str(path)
    return data, [f"wrote {path} ({g!r})"]


def cmd_explain(p: Problem, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    from funcdiff.see import explain  # loaded by this command only

    buf = io.StringIO()
    value, grads = _run_math(
        lambda: explain(p.f, file=buf, notation=args.notation)(*p.values), "explain"
    )
    if args.json and np.size(value) > MAX_JSON_ELEMENTS:
        raise MathError(
            f"explain --json: the value has {np.size(value):,} elements, more than the "
            f"{MAX_JSON_ELEMENTS:,} --json prints; reduce it (e.g. sum(...)) or drop --json "
            "(the text tables show a summary of each array)"
        )
    text = buf.getvalue().rstrip("\n")
    data = p.base("explain")
    data["value"] = jsonable(value)
    if grads is not None:
        gs = (grads,) if p.n == 1 else grads
        data["gradient"] = {n: jsonable(g) for n, g in zip(p.names, gs, strict=True)}
    else:
        data["gradient"] = None
    data["text"] = text
    return data, [f"{signature(p.names)} = {p.expr.text}", "", text]


COMMANDS: dict[str, tuple[Callable[[Problem, argparse.Namespace], Any], str]] = {
    "grad": (cmd_grad, "value and gradient of a scalar expression"),
    "hessian": (cmd_hessian, "Hessian matrix (forward-over-reverse)"),
    "taylor": (cmd_taylor, "second-order Taylor model: value, gradient, Hessian, Newton step"),
    "explain": (cmd_explain, "the lecture's debug tables: every forward value and adjoint"),
    "jaxpr": (cmd_jaxpr, "the traced jaxpr (of f, its gradient or its Hessian)"),
    "graph": (cmd_graph, "the computation graph as Graphviz DOT / SVG / PNG"),
}


__all__ = ["COMMANDS", "MAX_GRAPH_NODES", "MAX_HESSIAN_N", "MAX_JSON_ELEMENTS", "Problem", "demo"]
