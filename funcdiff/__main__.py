"""``python -m funcdiff``: the command line. ``demo`` shows the lecture's examples."""

from __future__ import annotations

import sys


def demo() -> None:
    """The lecture's examples: a jaxpr, a derivative, gradients and a Hessian."""
    import numpy as np

    import funcdiff as fd
    import funcdiff.numpy as fnp

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
    print(np.array2string(fd.hessian(h)(v), precision=6, prefix="  "))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m funcdiff demo")
        return 0
    if argv[0] == "demo":
        demo()
        return 0
    print(f"unknown command {argv[0]!r}; try: python -m funcdiff demo", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
