"""The lecture's examples: jaxprs, derivatives and a Hessian.

    python examples/lecture.py
"""

from __future__ import annotations

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp


def z(x):  # z = x ** cos(x)
    return x ** fnp.cos(x)


def f2(x, y):  # x**2 * exp(x + cos(y))
    return x**2 * fnp.exp(x + fnp.cos(y))


def f3(x, y, z):  # x ** (cos(y) * z**2), through intermediate variables
    a = fnp.cos(y)
    b = z**2
    c = a * b
    return x**c


def main() -> None:
    print("z = x ** cos(x):")
    print(fd.make_jaxpr(z)(3.0))
    print(f"dz/dx at 3 = {float(fd.grad(z)(3.0)):.6f}\n")

    print("f(x, y) = x**2 * exp(x + cos(y)):")
    print(fd.make_jaxpr(f2)(1.0, 2.0))
    gx, gy = fd.grad(f2, argnums=(0, 1))(1.0, 2.0)
    print(f"grad at (1, 2) = ({float(gx):.6f}, {float(gy):.6f})\n")

    print("f(x, y, z) = x ** (cos(y) * z**2):")
    print(fd.make_jaxpr(f3)(1.5, 0.5, 1.2))
    g = fd.grad(f3, argnums=(0, 1, 2))(1.5, 0.5, 1.2)
    print("grad at (1.5, 0.5, 1.2) =", np.round([float(v) for v in g], 6))
    h = fd.hessian(lambda v: f3(v[0], v[1], v[2]))(np.array([1.5, 0.5, 1.2]))
    print("Hessian (forward-over-reverse):")
    print(np.round(h, 6))


if __name__ == "__main__":
    main()
