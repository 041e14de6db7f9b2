"""The lecture's three functions, traced, differentiated, drawn and explained.

    python examples/lecture.py                 # pictures go to examples/out/lecture/
    python examples/lecture.py --out /tmp/pics

For each of

    z = x ** cos(x)                    at x = 3
    f(x, y) = x**2 * exp(x + cos(y))   at (x, y) = (1, 2)
    f(x, y, z) = x ** (cos(y) * z**2)  at (x, y, z) = (1.5, 0.5, 1.2)

it prints the jaxpr (the computation graph as a list of operations in
order), compares funcdiff's derivatives with the analytic ones worked out by
hand, prints the lecture's debug tables (every forward value, every backward
contribution, the sums where a variable fans out) and draws the graph with
values and adjoints (SVG and PNG when Graphviz's ``dot`` is installed, DOT
text otherwise). Then the Hessians, forward-over-reverse, and the Taylor
polynomials of z up to order 6 (one Taylor-mode pass), drawn against z.

The exit status is 0 when every derivative agrees with its analytic form.
"""

from __future__ import annotations

import argparse
import math
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp

NAME = "lecture"
DEFAULT_OUT = Path(__file__).resolve().parent / "out" / NAME
TOL = 1e-10


# ---------------------------------------------------------------------------
# the lecture's functions, built from elementary operations
# ---------------------------------------------------------------------------


def z_pow(x: Any) -> Any:
    """z = x ** cos(x)."""
    return x ** fnp.cos(x)


def f2(x: Any, y: Any) -> Any:
    """x**2 * exp(x + cos(y))."""
    return x**2 * fnp.exp(x + fnp.cos(y))


def f3(x: Any, y: Any, z: Any) -> Any:
    """x ** (cos(y) * z**2), through the intermediate variables a, b, c."""
    a = fnp.cos(y)
    b = z**2
    c = a * b
    return x**c


# ---------------------------------------------------------------------------
# the same derivatives by hand
# ---------------------------------------------------------------------------


def z_pow_d1(x: float) -> float:
    # z = exp(cos(x) ln x):  z' = z (-sin(x) ln x + cos(x) / x)
    return math.pow(x, math.cos(x)) * (-math.sin(x) * math.log(x) + math.cos(x) / x)


def z_pow_d2(x: float) -> float:
    # z'' = z (g**2 + g'),  g = -sin(x) ln x + cos(x)/x
    g = -math.sin(x) * math.log(x) + math.cos(x) / x
    dg = -math.cos(x) * math.log(x) - 2 * math.sin(x) / x - math.cos(x) / x**2
    return math.pow(x, math.cos(x)) * (g * g + dg)


def f2_grad(x: float, y: float) -> np.ndarray:
    e = math.exp(x + math.cos(y))
    return np.array([(2 * x + x**2) * e, -(x**2) * math.sin(y) * e])


def f2_hess(x: float, y: float) -> np.ndarray:
    e = math.exp(x + math.cos(y))
    fxx = (2 + 4 * x + x**2) * e
    fxy = -(2 * x + x**2) * math.sin(y) * e
    fyy = x**2 * (math.sin(y) ** 2 - math.cos(y)) * e
    return np.array([[fxx, fxy], [fxy, fyy]])


def f3_grad(x: float, y: float, z: float) -> np.ndarray:
    c = math.cos(y) * z**2
    xc = x**c
    return np.array(
        [
            c * x ** (c - 1),  # d/dx x**c = c x**(c-1)  (power rule, exponent fixed)
            xc * math.log(x) * (-math.sin(y) * z**2),  # d/dc x**c = x**c ln x, times dc/dy
            xc * math.log(x) * (2 * z * math.cos(y)),  # ... times dc/dz
        ]
    )


# ---------------------------------------------------------------------------
# printing and drawing
# ---------------------------------------------------------------------------


def banner(title: str) -> None:
    print()
    print("=" * 78)
    print(title)
    print("=" * 78)


def compare(label: str, got: Any, want: Any, failures: list[str]) -> None:
    got_a = np.asarray(got, dtype=np.float64)
    want_a = np.asarray(want, dtype=np.float64)
    err = float(np.max(np.abs(got_a - want_a)))
    ok = err <= TOL * max(1.0, float(np.max(np.abs(want_a))))
    fmt = {"float_kind": lambda v: f"{v: .6f}"}
    got_s = np.array2string(got_a, formatter=fmt, prefix="    funcdiff: ")  # type: ignore[arg-type]
    want_s = np.array2string(want_a, formatter=fmt, prefix="    by hand:  ")  # type: ignore[arg-type]
    print(f"  {label}")
    print(f"    funcdiff: {got_s}")
    print(f"    by hand:  {want_s}")
    print(f"    max |difference| = {err:.1e}  {'ok' if ok else 'MISMATCH'}")
    if not ok:
        failures.append(label)


def save_graph(graph: Any, out: Path, stem: str) -> list[Path]:
    """SVG and PNG with Graphviz's ``dot``; the DOT text when it is missing."""
    if shutil.which("dot") is None:
        path = graph.save(out / f"{stem}.dot")
        print(f"  graph: {path}  (install Graphviz for SVG/PNG: apt install graphviz)")
        return [path]
    paths = [graph.save(out / f"{stem}.svg"), graph.save(out / f"{stem}.png")]
    print("  graph: " + ", ".join(str(p) for p in paths))
    return paths


# ---------------------------------------------------------------------------
# the three examples
# ---------------------------------------------------------------------------


def example_z(out: Path, failures: list[str]) -> None:
    banner("1. z = x ** cos(x) at x = 3")
    print("The computation graph as a list of operations in order (a jaxpr):")
    print(fd.make_jaxpr(z_pow)(3.0))
    value, dz = fd.value_and_grad(z_pow)(3.0)
    print(f"\nz(3) = {float(value):.6f}")
    print(f"dz/dx at 3 = {float(dz):.6f}   (the lecture: -0.1634)")
    compare("dz/dx = x**cos(x) * (-sin(x) ln(x) + cos(x)/x)", dz, z_pow_d1(3.0), failures)
    d2 = fd.grad(fd.grad(z_pow))(3.0)
    compare(
        "d2z/dx2 = grad(grad(z)), the derivative of the derivative", d2, z_pow_d2(3.0), failures
    )
    print("\nThe debug mode: forward values, then backward contributions")
    fd.explain(z_pow)(3.0)
    save_graph(fd.graph(z_pow, 3.0, title="z = x ** cos(x) at x = 3"), out, "x_pow_cos_graph")
    print("\nThe derivative is a graph too: the jaxpr of grad(z) (the backward pass, recorded)")
    print(fd.make_jaxpr(fd.grad(z_pow))(3.0))


def example_f2(out: Path, failures: list[str]) -> None:
    banner("2. f(x, y) = x**2 * exp(x + cos(y)) at (x, y) = (1, 2)")
    print(fd.make_jaxpr(f2)(1.0, 2.0))
    gx, gy = fd.grad(f2, argnums=(0, 1))(1.0, 2.0)
    print()
    compare(
        "grad f = ((2x + x**2) e**(x + cos y), -x**2 sin(y) e**(x + cos y))",
        [gx, gy],
        f2_grad(1.0, 2.0),
        failures,
    )
    print("\nThe debug mode (x feeds two operations: its adjoint is a sum)")
    fd.explain(f2)(1.0, 2.0)
    save_graph(fd.graph(f2, 1.0, 2.0, title="f(x, y) = x**2 * exp(x + cos(y))"), out, "f2_graph")

    def f2_vec(v: Any) -> Any:
        return f2(v[0], v[1])

    print()
    compare(
        "Hessian (forward-over-reverse) vs the second partials by hand",
        fd.hessian(f2_vec)(np.array([1.0, 2.0])),
        f2_hess(1.0, 2.0),
        failures,
    )


def example_f3(out: Path, failures: list[str]) -> None:
    banner("3. f(x, y, z) = x ** (cos(y) * z**2) at (x, y, z) = (1.5, 0.5, 1.2)")
    print("a = cos(y), b = z**2, c = a * b, f = x ** c:")
    print(fd.make_jaxpr(f3)(1.5, 0.5, 1.2))
    g = fd.grad(f3, argnums=(0, 1, 2))(1.5, 0.5, 1.2)
    print()
    compare(
        "grad f: the power rule's two derivatives, chained", g, f3_grad(1.5, 0.5, 1.2), failures
    )
    print()
    fd.explain(f3)(1.5, 0.5, 1.2)
    save_graph(
        fd.graph(f3, 1.5, 0.5, 1.2, title="f(x, y, z) = x ** (cos(y) * z**2)"), out, "f3_graph"
    )

    def f3_vec(v: Any) -> Any:
        return f3(v[0], v[1], v[2])

    p = np.array([1.5, 0.5, 1.2])
    H = fd.hessian(f3_vec)(p)
    print("\nHessian, forward-over-reverse (jacfwd of jacrev), one vectorized pass:")
    print(np.array2string(H, precision=6, suppress_small=True))
    print(f"  symmetric: max |H - H^T| = {float(np.max(np.abs(H - H.T))):.1e}")
    # each row of H is the derivative of the gradient: check against the hand-made gradient
    h = 1e-5
    cols = [(f3_grad(*(p + h * e)) - f3_grad(*(p - h * e))) / (2 * h) for e in np.eye(3)]
    H_fd = np.stack(cols, axis=1)
    err = float(np.max(np.abs(H - H_fd)))
    ok = err < 1e-7
    print(
        f"  vs central differences of the hand-made gradient: max |difference| = {err:.1e}"
        f"  {'ok' if ok else 'MISMATCH'}"
    )
    if not ok:
        failures.append("f3 Hessian")
    hvp = fd.hvp(f3_vec, p, np.array([1.0, 0.0, 0.0]))
    print(f"  one Hessian-vector product H @ e1 = {np.round(hvp, 6)} (no Hessian formed)")


def power_rule(failures: list[str]) -> None:
    banner("4. The power block x ** k has two derivatives")
    dx, dk = fd.grad(lambda x, k: x**k, argnums=(0, 1))(2.0, 3.0)
    print("d/dx x**k = k x**(k-1),  d/dk x**k = x**k ln(x);  at x = 2, k = 3:")
    compare("(d/dx, d/dk)", [dx, dk], [3.0 * 2.0**2, 2.0**3 * math.log(2.0)], failures)


def taylor_polynomials(out: Path, failures: list[str]) -> None:
    banner("5. Taylor polynomials of z = x ** cos(x) at 3, orders 1 to 6, in one pass")
    c = fd.taylor(z_pow, order=6)(3.0, 1.0)  # z(3 + t) = c0 + c1 t + ... + c6 t**6 + ...
    print("coefficients c_k = z^(k)(3) / k!:", np.round(c, 6))
    compare("c1 = dz/dx", c[1], z_pow_d1(3.0), failures)
    compare("c2 = d2z/dx2 / 2", c[2], z_pow_d2(3.0) / 2.0, failures)
    d3 = fd.grad(fd.grad(fd.grad(z_pow)))(3.0)
    compare("c3 = d3z/dx3 / 3!, against grad(grad(grad(z)))", c[3], float(d3) / 6.0, failures)
    t = 0.3
    print(f"z(3.3) = {float(z_pow(3.0 + t)):.8f}; order 6 at t = 0.3: ", end="")
    print(f"{np.polynomial.polynomial.polyval(t, c):.8f}")
    try:
        from funcdiff import plot

        ax = plot.taylor_line(z_pow, 3.0, radius=2.4)
    except ImportError:
        print("(matplotlib is not installed: no picture)")
        return
    ax.set_title("z = x ** cos(x) and its Taylor polynomials at x0 = 3")
    ax.figure.savefig(out / "taylor_polynomials.png", dpi=110)
    plot.close(ax)
    print(f"picture: {out / 'taylor_polynomials.png'}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the pictures")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    print(f"funcdiff: the lecture's examples (pictures in {out})")
    failures: list[str] = []
    example_z(out, failures)
    example_f2(out, failures)
    example_f3(out, failures)
    power_rule(failures)
    taylor_polynomials(out, failures)
    print()
    if failures:
        print("MISMATCHES: " + "; ".join(failures))
        return 1
    print("Every derivative agrees with its analytic form.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
