"""``plot.taylor_line``: f along a line against its Taylor polynomials."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp

pytest.importorskip("matplotlib")
from funcdiff import plot


def lecture(p: Any) -> Any:
    return p[0] ** 2 * fnp.exp(p[0] + fnp.cos(p[1]))


def test_curves_are_f_and_its_taylor_polynomials() -> None:
    x0, v = (1.0, 2.0), (0.6, -0.8)
    ax = plot.taylor_line(lecture, x0, v, orders=(1, 3), radius=0.5, n=11)
    try:
        f_line, p1, p3 = ax.get_lines()[:3]
        t = f_line.get_xdata()
        np.testing.assert_allclose(t, np.linspace(-0.5, 0.5, 11))
        ref_f = [float(lecture((1.0 + s * 0.6, 2.0 - s * 0.8))) for s in t]
        np.testing.assert_allclose(f_line.get_ydata(), ref_f, rtol=1e-14)
        # independent coefficients: nested jvp along v
        g = lambda p: lecture((p[0], p[1]))  # noqa: E731
        x, d = np.array(x0), np.array(v)
        cs = [float(g(x))]
        h = g
        for k in range(1, 4):
            h = (lambda u: lambda y: fd.jvp(u, (y,), (d,))[1])(h)
            cs.append(float(h(x)) / math.factorial(k))
        np.testing.assert_allclose(p1.get_ydata(), cs[0] + cs[1] * t, rtol=1e-13)
        poly3 = sum(c * t**j for j, c in enumerate(cs))
        np.testing.assert_allclose(p3.get_ydata(), poly3, rtol=1e-12)
        assert [line.get_label() for line in (f_line, p1, p3)] == ["f", "order 1", "order 3"]
        # the higher order is closer to f at the ends of the interval
        assert abs(p3.get_ydata()[-1] - ref_f[-1]) < abs(p1.get_ydata()[-1] - ref_f[-1])
    finally:
        plot.close(ax)


def test_scalar_point_is_drawn_over_x() -> None:
    ax = plot.taylor_line(fnp.sin, 1.0, orders=(2,), radius=1.0, n=5)
    try:
        xs = ax.get_lines()[0].get_xdata()
        np.testing.assert_allclose(xs, [0.0, 0.5, 1.0, 1.5, 2.0])
        assert ax.get_xlabel() == "x"
    finally:
        plot.close(ax)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="orders must be ints >= 1"):
        plot.taylor_line(fnp.sin, 1.0, orders=(0,))
    with pytest.raises(ValueError, match="pass the direction v"):
        plot.taylor_line(lecture, (1.0, 2.0))
    with pytest.raises(ValueError, match="must return a scalar"):
        plot.taylor_line(fnp.sin, np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="radius must be > 0"):
        plot.taylor_line(fnp.sin, 1.0, radius=0.0)
