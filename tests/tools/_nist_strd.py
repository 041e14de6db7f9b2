"""Reference problems for nonlinear least squares: NIST StRD nonlinear regression.

Source: NIST Statistical Reference Datasets (StRD), Nonlinear Regression
(https://www.itl.nist.gov/div898/strd/nls/nls_main.shtml; public domain data of
the U.S. government). The data, the model, both published starting points and
the certified parameter values (11 significant digits, computed by NIST in
128-bit precision) are copied from the dataset files Misra1a.dat, BoxBOD.dat,
Eckerle4.dat, MGH09.dat, MGH10.dat, Rat42.dat and Rat43.dat (as vendored by several
public projects; the values agree between them). Each problem's residual is
``model(b, x) - y``; a fit matches NIST when its parameters agree with
``certified`` to the certified digits and its residual sum of squares with
``rss``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import funcdiff.numpy as fnp


@dataclass(frozen=True)
class NistProblem:
    name: str
    difficulty: str  # "lower", "average" or "higher", as NIST classifies it
    model: Callable[[Any, np.ndarray], Any]  # (b, x) -> predicted y
    x: np.ndarray
    y: np.ndarray
    start1: tuple[float, ...]
    start2: tuple[float, ...]
    certified: tuple[float, ...]
    rss: float

    def residual(self, b: Any) -> Any:
        return self.model(b, self.x) - self.y

    def residual_np(self, b: np.ndarray) -> np.ndarray:
        """The residual in plain numpy (for scipy)."""
        return np.asarray(self.residual(np.asarray(b, dtype=np.float64)), dtype=np.float64)


def _misra1a(b: Any, x: np.ndarray) -> Any:
    return b[0] * (1.0 - fnp.exp(-b[1] * x))


def _eckerle4(b: Any, x: np.ndarray) -> Any:
    return (b[0] / b[1]) * fnp.exp(-0.5 * ((x - b[2]) / b[1]) ** 2)


def _mgh09(b: Any, x: np.ndarray) -> Any:
    return b[0] * (x**2 + x * b[1]) / (x**2 + x * b[2] + b[3])


def _mgh10(b: Any, x: np.ndarray) -> Any:
    return b[0] * fnp.exp(b[1] / (x + b[2]))


def _rat42(b: Any, x: np.ndarray) -> Any:
    return b[0] / (1.0 + fnp.exp(b[1] - b[2] * x))


def _rat43(b: Any, x: np.ndarray) -> Any:
    return b[0] / (1.0 + fnp.exp(b[1] - b[2] * x)) ** (1.0 / b[3])


def _xy(pairs: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(y, x) rows as in the NIST files -> (x, y) arrays."""
    a = np.array(pairs, dtype=np.float64)
    return a[:, 1].copy(), a[:, 0].copy()


# fmt: off
_MISRA1A_X, _MISRA1A_Y = _xy([
    (10.07, 77.6), (14.73, 114.9), (17.94, 141.1), (23.93, 190.8), (29.61, 239.9),
    (35.18, 289.0), (40.02, 332.8), (44.82, 378.4), (50.76, 434.8), (55.05, 477.3),
    (61.01, 536.8), (66.40, 593.1), (75.47, 689.1), (81.78, 760.0),
])
_BOXBOD_X, _BOXBOD_Y = _xy([
    (109.0, 1.0), (149.0, 2.0), (149.0, 3.0), (191.0, 5.0), (213.0, 7.0), (224.0, 10.0),
])
_ECKERLE4_X, _ECKERLE4_Y = _xy([
    (0.0001575, 400.0), (0.0001699, 405.0), (0.0002350, 410.0), (0.0003102, 415.0),
    (0.0004917, 420.0), (0.0008710, 425.0), (0.0017418, 430.0), (0.0046400, 435.0),
    (0.0065895, 436.5), (0.0097302, 438.0), (0.0149002, 439.5), (0.0237310, 441.0),
    (0.0401683, 442.5), (0.0712559, 444.0), (0.1264458, 445.5), (0.2073413, 447.0),
    (0.2902366, 448.5), (0.3445623, 450.0), (0.3698049, 451.5), (0.3668534, 453.0),
    (0.3106727, 454.5), (0.2078154, 456.0), (0.1164354, 457.5), (0.0616764, 459.0),
    (0.0337200, 460.5), (0.0194023, 462.0), (0.0117831, 463.5), (0.0074357, 465.0),
    (0.0022732, 470.0), (0.0008800, 475.0), (0.0004579, 480.0), (0.0002345, 485.0),
    (0.0001586, 490.0), (0.0001143, 495.0), (0.0000710, 500.0),
])
_MGH09_X, _MGH09_Y = _xy([
    (1.957000e-01, 4.000000e00), (1.947000e-01, 2.000000e00), (1.735000e-01, 1.000000e00),
    (1.600000e-01, 5.000000e-01), (8.440000e-02, 2.500000e-01), (6.270000e-02, 1.670000e-01),
    (4.560000e-02, 1.250000e-01), (3.420000e-02, 1.000000e-01), (3.230000e-02, 8.330000e-02),
    (2.350000e-02, 7.140000e-02), (2.460000e-02, 6.250000e-02),
])
_MGH10_X, _MGH10_Y = _xy([
    (3.478000e04, 5.000000e01), (2.861000e04, 5.500000e01), (2.365000e04, 6.000000e01),
    (1.963000e04, 6.500000e01), (1.637000e04, 7.000000e01), (1.372000e04, 7.500000e01),
    (1.154000e04, 8.000000e01), (9.744000e03, 8.500000e01), (8.261000e03, 9.000000e01),
    (7.030000e03, 9.500000e01), (6.005000e03, 1.000000e02), (5.147000e03, 1.050000e02),
    (4.427000e03, 1.100000e02), (3.820000e03, 1.150000e02), (3.307000e03, 1.200000e02),
    (2.872000e03, 1.250000e02),
])
_RAT42_X, _RAT42_Y = _xy([
    (8.930, 9.0), (10.800, 14.0), (18.590, 21.0), (22.330, 28.0), (39.350, 42.0),
    (56.110, 57.0), (61.730, 63.0), (64.620, 70.0), (67.080, 79.0),
])
_RAT43_X, _RAT43_Y = _xy([
    (16.08, 1.0), (33.83, 2.0), (65.80, 3.0), (97.20, 4.0), (191.55, 5.0),
    (326.20, 6.0), (386.87, 7.0), (520.53, 8.0), (590.03, 9.0), (651.92, 10.0),
    (724.93, 11.0), (699.56, 12.0), (689.96, 13.0), (637.56, 14.0), (717.41, 15.0),
])
# fmt: on

PROBLEMS: dict[str, NistProblem] = {
    p.name: p
    for p in [
        NistProblem(
            "Misra1a",
            "lower",
            _misra1a,
            _MISRA1A_X,
            _MISRA1A_Y,
            (500.0, 1e-4),
            (250.0, 5e-4),
            (2.3894212918e02, 5.5015643181e-04),
            1.2455138894e-01,
        ),
        NistProblem(
            "BoxBOD",
            "higher",
            _misra1a,
            _BOXBOD_X,
            _BOXBOD_Y,
            (1.0, 1.0),
            (100.0, 0.75),
            (2.1380940889e02, 5.4723748542e-01),
            1.1680088766e03,
        ),
        NistProblem(
            "Eckerle4",
            "higher",
            _eckerle4,
            _ECKERLE4_X,
            _ECKERLE4_Y,
            (1.0, 10.0, 500.0),
            (1.5, 5.0, 450.0),
            (1.5543827178e00, 4.0888321754e00, 4.5154121844e02),
            1.4635887487e-03,
        ),
        NistProblem(
            "MGH09",
            "higher",
            _mgh09,
            _MGH09_X,
            _MGH09_Y,
            (25.0, 39.0, 41.5, 39.0),
            (0.25, 0.39, 0.415, 0.39),
            (1.9280693458e-01, 1.9128232873e-01, 1.2305650693e-01, 1.3606233068e-01),
            3.0750560385e-04,
        ),
        NistProblem(
            "MGH10",
            "higher",
            _mgh10,
            _MGH10_X,
            _MGH10_Y,
            (2.0, 400000.0, 25000.0),
            (0.02, 4000.0, 250.0),
            (5.6096364710e-03, 6.1813463463e03, 3.4522363462e02),
            8.7945855171e01,
        ),
        NistProblem(
            "Rat42",
            "higher",
            _rat42,
            _RAT42_X,
            _RAT42_Y,
            (100.0, 1.0, 0.1),
            (75.0, 2.5, 0.07),
            (7.2462237576e01, 2.6180768402e00, 6.7359200066e-02),
            8.0565229338e00,
        ),
        NistProblem(
            "Rat43",
            "higher",
            _rat43,
            _RAT43_X,
            _RAT43_Y,
            (100.0, 10.0, 1.0, 1.0),
            (700.0, 5.0, 0.75, 1.3),
            (6.9964151270e02, 5.2771253025e00, 7.5962938329e-01, 1.2792483859e00),
            8.7864049080e03,
        ),
    ]
}


def digits_matched(b: Any, certified: tuple[float, ...]) -> float:
    """The log relative error (LRE) NIST uses: the smallest, over the parameters,
    of ``-log10(|b - c| / |c|)`` (capped at 11, the certified digits)."""
    b = np.asarray(b, dtype=np.float64)
    c = np.asarray(certified, dtype=np.float64)
    with np.errstate(divide="ignore"):
        lre = -np.log10(np.abs(b - c) / np.abs(c))
    return float(np.min(np.minimum(np.nan_to_num(lre, nan=0.0, posinf=11.0), 11.0)))
