"""Property-based tests: random programs over funcdiff.numpy.

hypothesis draws straight-line programs of up to six ops (see
``tests/transforms/_random_programs.py``: unary math with guarded domains, binary
arithmetic with Python, numpy and array constants, comparisons and ``where``,
integer and boolean intermediates (argmax, comparisons, astype), reductions,
reshapes, transposes, slices, fancy indexing, broadcasting, matmul,
concatenate, cumsum, constant outputs and pytrees of outputs). A program is a
list of op descriptors, so hypothesis shrinks it op by op and a failure prints
as runnable source. The properties:

(a) ``fd.jit(f)(x)`` equals eager ``f(x)`` leaf by leaf in value (tolerance
    by dtype, relative to the largest intermediate), dtype and Python type
    (eager is the reference), on float64 and float32 inputs; writing into the
    first call's results (``out += 1``) leaves the next call's alone.
(b) ``grad``, ``jacrev``, ``jacfwd`` (eager, ``jit`` of them, and of a
    ``jit``-ed function), ``hessian`` and ``jacrev(grad)``, and third and
    fourth directional derivatives (``jvp`` nested, ``grad`` of v'Hv, under
    ``jit``) equal the derivatives of the same program run by an mpmath
    interpreter of the op list at 50 digits. The reference is a central
    difference at that precision (steps 1e-15 for first, 1e-12 for second
    derivatives; ``mpmath.diff`` for orders 3 and 4): truncation ~h**2 and
    roundoff ~10**-50 / h**k leave it good to ~1e-20, so every disagreement
    is funcdiff's. Evaluating the program itself with mpmath's own
    elementwise functions (not numpy's) also checks the primal values, and
    needs no hand-written derivative: the reference shares nothing with the
    code under test but the op list.

Kinks: every op that is not smooth everywhere states its distance to the
nearest kink (0 for abs/sign/cbrt, ties for maximum/argmax/sort/comparisons,
integers for floor/astype(int), half-integers for round, poles for
division...); examples whose point lies closer than ``MARGIN`` (1e-3,
relative) are rejected. Finite-difference steps are 1e-12 or smaller, so no
stencil straddles a kink, and float64 rounding in jit or eager cannot flip a
comparison. Domains are guarded by the templates themselves (log(x*x + 0.25),
arcsin(0.9 sin x)...), and derivative examples with values beyond 1e6 are
rejected. Conventions at kinks are tested in the registry sweep, not here.

Known bugs owned elsewhere are named below (``*_BUGS``, ``KNOWN_ERRORS``, the
jit output categories): examples that run into one are left out of the
properties, and each has a strict-xfail test, so the marker must go when the
fix lands (and with it the exclusion).

Defaults keep the file well under a minute, deterministic
(``derandomize=True``, no example database). FUNCDIFF_HYPOTHESIS_EXAMPLES=3000
runs that many examples per property, with fresh random seeds, for long local
runs.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import mpmath
import numpy as np
import pytest
from _random_programs import (
    FNP,
    MARGIN,
    MAX_MAGNITUDE,
    MP,
    SPECS,
    Case,
    Config,
    KnownBug,
    Program,
    as_float_array,
    as_function,
    flatten_tree,
    known_bugs_hit,
    min_margin,
    programs,
    reference_directional,
    reference_hessian,
    reference_jacobians,
    run_slots,
    to_mp,
)
from hypothesis import HealthCheck, Phase, assume, event, given, settings

import funcdiff as fd
import funcdiff.numpy as fnp

_EXAMPLES = int(os.environ.get("FUNCDIFF_HYPOTHESIS_EXAMPLES", "0"))


def _settings(n: int, shrink: bool = True) -> settings:
    # the strict-xfail properties stop at their first failure: no shrinking
    phases = (Phase.explicit, Phase.generate, *((Phase.shrink,) if shrink else ()))
    return settings(
        max_examples=max(n, _EXAMPLES),
        deadline=None,
        derandomize=not _EXAMPLES,
        database=None,
        phases=phases,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


JIT_CONFIG = Config(in_dtypes=("float64", "float32"))
DERIV_CONFIG = Config(smooth_only=True, out_kinds="f")
DERIV32_CONFIG = Config(in_dtypes=("float32",), smooth_only=True, out_kinds="f")
COMPLEX_CONFIG = Config(allow_complex=True)
COMPLEX_DERIV_CONFIG = Config(
    allow_complex=True, smooth_only=True, out_kinds="f", require_real_output=True
)

_NUMPY2 = int(np.__version__.split(".")[0]) >= 2
NUMPY1_CASTING = pytest.mark.skipif(
    not _NUMPY2,
    reason="eager numpy scalar arithmetic on numpy 1.x uses value-based casting (NEP 50 "
    "changed it in numpy 2); funcdiff follows numpy 2's rules on every version, so jit and "
    "eager types differ there by design",
)

H1 = "complex conventions land on branch h1"


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _fresh(x: Any) -> Any:
    return x.copy() if isinstance(x, np.ndarray) else x


def _structure(tree: Any) -> Any:
    if isinstance(tree, (tuple, list)):
        return (type(tree).__name__, tuple(_structure(t) for t in tree))
    if isinstance(tree, dict):
        return ("dict", tuple((k, _structure(v)) for k, v in tree.items()))
    return "None" if tree is None else "leaf"


def _tol(dtype: np.dtype[Any]) -> tuple[float, float]:
    """(rtol, atol relative to the largest intermediate) for comparing two
    float computations of the same program in ``dtype``."""
    if np.finfo(dtype).bits <= 32:  # float32, complex64
        return 1e-4, 1e-5
    return 1e-10, 1e-12


def _scale(program: Program, x: Any) -> float:
    with np.errstate(all="ignore"):
        vals = run_slots(program, x, FNP)
    mags = [
        float(np.max(np.abs(v)))
        for v in vals
        if np.size(v) and np.asarray(v).dtype.kind in "fc" and np.all(np.isfinite(v))
    ]
    return max([1.0, *mags])


def _assert_leaf_equal(got: Any, want: Any, scale: float, what: str) -> None:
    assert type(got) is type(want), f"{what}: Python type {type(got)} != eager {type(want)}"
    g, w = np.asarray(got), np.asarray(want)
    assert g.dtype == w.dtype, f"{what}: dtype {g.dtype} != eager {w.dtype}"
    assert g.shape == w.shape, f"{what}: shape {g.shape} != eager {w.shape}"
    if w.dtype.kind in "fc":
        rtol, atol = _tol(w.dtype)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol * scale, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(g, w, err_msg=what)


def _mutate(leaf: Any) -> None:
    if isinstance(leaf, np.ndarray) and leaf.flags.writeable:
        if leaf.dtype == np.bool_:
            leaf ^= True
        else:
            leaf += 1


def _jit_constants(jf: Any) -> list[np.ndarray]:
    """The arrays a jitted function holds between calls (its folded constants)."""
    out = []
    for entry in jf._cache.values():
        out.extend(c for c in entry.closed.consts if isinstance(c, np.ndarray))
    return out


def _const_leaf_mask(program: Program) -> list[bool]:
    return [i is not None and program.slots[i].const for i in program.leaves()]


# ---------------------------------------------------------------------------
# (a) jit against eager
# ---------------------------------------------------------------------------


#: categories of jit-vs-eager disagreement that are known and owned elsewhere;
#: each has a strict-xfail test below that fails while any example shows it
CONST = "constant output"  # an output leaf computed without reading x
ALIAS = "aliased output"  # a result sharing memory with a cached constant, or the input itself
SCALAR_0D = "0-d array vs numpy scalar"  # same dtype and value, other Python type
OTHER = "other"


def _leaf_category(got: Any, want: Any, const: bool, aliased: bool) -> str:
    if const:
        return CONST
    if aliased:
        return ALIAS
    types = {type(got), type(want)}
    if (
        len(types) == 2
        and np.ndarray in types
        and all(isinstance(v, np.generic) or np.ndim(v) == 0 for v in (got, want))
    ):
        return SCALAR_0D
    return OTHER


def _jit_findings(case: Case) -> list[tuple[str, str]]:
    """Every way ``jit`` disagrees with eager on this case, as (category, message)."""
    program, x = case.program, case.x
    assume(min_margin(program, x) >= MARGIN)
    _reject_known(program, x, JIT_BUGS)
    f = as_function(program)
    with np.errstate(all="ignore"):
        eager = f(_fresh(x))
        jf = fd.jit(f)
        x1 = _fresh(x)
        first = jf(x1)
        consts = _jit_constants(jf)
        second = jf(_fresh(x))
    if _structure(first) != _structure(eager):
        return [(OTHER, f"output tree {first!r} != eager {eager!r}")]
    scale = _scale(program, x)
    e_leaves, f_leaves = flatten_tree(eager), flatten_tree(first)
    const = [c for c, i in zip(_const_leaf_mask(program), program.leaves()) if i is not None]
    # a view of the input is what eager returns too (x.T, x[1:]); the input
    # itself or memory shared with a cached constant is the lead's bug
    aliased = [
        isinstance(v, np.ndarray) and (v is x1 or any(np.shares_memory(v, c) for c in consts))
        for v in f_leaves
    ]
    findings: list[tuple[str, str]] = []

    def compare(results: Any, when: str) -> None:
        for k, (e, j) in enumerate(zip(e_leaves, flatten_tree(results))):
            try:
                _assert_leaf_equal(j, e, scale, f"leaf {k} ({when})")
            except AssertionError as err:
                findings.append((_leaf_category(j, e, const[k], aliased[k]), str(err)))

    compare(first, "first call")
    compare(second, "second call")
    findings.extend((ALIAS, f"leaf {k} shares memory") for k, a in enumerate(aliased) if a)
    # the results are the caller's: writing into the first call's results
    # must leave later calls alone
    with np.errstate(all="ignore"):
        for j in f_leaves:
            _mutate(j)
        third = jf(_fresh(x))
    n = len(findings)
    compare(third, "after writing into the first call's results")
    findings[n:] = [(ALIAS if c == OTHER else c, m) for c, m in findings[n:]]
    return findings


def _assert_no_findings(case: Case, categories: tuple[str, ...]) -> None:
    found = [m for c, m in _jit_findings(case) if c in categories]
    assert not found, "\n".join(found)


@NUMPY1_CASTING
@_settings(500)
@given(programs(JIT_CONFIG))
def test_jit_matches_eager(case: Case) -> None:
    _assert_no_findings(case, (OTHER,))


@_settings(100, shrink=False)
@given(programs(JIT_CONFIG))
def test_jit_constant_outputs_random(case: Case) -> None:
    _assert_no_findings(case, (CONST,))


@NUMPY1_CASTING
@_settings(100, shrink=False)
@given(programs(JIT_CONFIG))
def test_jit_results_are_fresh_buffers(case: Case) -> None:
    _assert_no_findings(case, (ALIAS,))


def _numpy_made_a_0d_array(case: Case) -> bool:
    """Whether numpy's own methods or indexing, run eagerly on a numpy array,
    made a 0-d array: numpy returns one there (``x.astype(int)``, ``x.T``,
    ``x[..., 0]``), where funcdiff's rule for results, which ``jit`` follows,
    gives a numpy scalar."""
    with np.errstate(all="ignore"):
        vals = run_slots(case.program, _fresh(case.x), FNP)
    return any(
        not SPECS[op.spec].template.startswith(("fnp.", "nn."))
        and type(v) is np.ndarray
        and v.ndim == 0
        for op, v in zip(case.program.ops, vals[1:])
    )


def test_array_methods_on_0d_arrays_are_numpys_business() -> None:
    # the one difference the test below leaves out, shown: eager runs numpy's
    # own method or indexing, jit applies funcdiff's rule for 0-d results
    cases = [(lambda x: x.astype(int), np.array(2.5)), (lambda x: x[..., 0], np.ones(2))]
    for f, x in cases:
        assert type(f(x)) is np.ndarray and isinstance(fd.jit(f)(x), np.generic)
    # funcdiff.numpy's own functions follow the rule eagerly too
    assert type(fnp.take(np.ones(2), 0)) is type(fd.jit(lambda x: x[0])(np.ones(2))) is np.float64


@_settings(100, shrink=False)
@given(programs(JIT_CONFIG))
def test_jit_scalar_outputs_have_eagers_python_type(case: Case) -> None:
    assume(not _numpy_made_a_0d_array(case))
    _assert_no_findings(case, (SCALAR_0D,))


# ---------------------------------------------------------------------------
# (b) derivatives against 50-digit finite differences
# ---------------------------------------------------------------------------


def _float_leaves(program: Program) -> list[int]:
    return [i for i in program.leaves() if i is not None and program.slots[i].kind == "f"]


def _weights(program: Program, leaves: list[int]) -> list[np.ndarray]:
    return [
        (1.0 + 0.25 * np.arange(math.prod(program.slots[i].shape))).reshape(program.slots[i].shape)
        for i in leaves
    ]


def _scalarizer(program: Program, mp: bool = False) -> Callable[[list[Any]], Any]:
    """sum_k <w_k, leaf_k> over the float output leaves, fixed weights w_k."""
    leaves = _float_leaves(program)
    weights = _weights(program, leaves)
    total_of = (lambda v: np.sum(np.asarray(v, dtype=object))) if mp else fnp.sum

    def scalarize(vals: list[Any]) -> Any:
        total: Any = 0.0
        for i, w in zip(leaves, weights):
            total = total + total_of(vals[i] * w)
        return total

    return scalarize


# ---------------------------------------------------------------------------
# bugs these tests found, owned elsewhere: examples that run into one are left
# out of the property tests (``hit`` sees the op's float64 operands), and each
# has a strict-xfail regression test at the end of this file
# ---------------------------------------------------------------------------

SINC = (
    "issue 9 item 3: sinc's derivatives of order >= 2 are 0 at 0, and wrong (cancellation, "
    "0 or NaN) for 0 < |x| < 1e-4"
)

HYPOT = (
    "issue 9 item 3: abs at 0 and what is built on it: hessian of hypot(x, y) is 0 in x "
    "where x == 0 (truth 1/|y|), and loses its x - y direction where |x| == |y| (hypot "
    "goes through maximum/minimum of |x|, |y|, whose tie convention splits the tangent)"
)


#: errors that are known bugs (message patterns), raised where an answer is due
KNOWN_ERRORS: list[tuple[str, str]] = []


@contextlib.contextmanager
def _known_errors() -> Iterator[None]:
    """Reject the example when a transform raises one of KNOWN_ERRORS."""
    try:
        yield
    except fd.FuncdiffError as err:
        for pattern, reason in KNOWN_ERRORS:
            if re.search(pattern, str(err)):
                event(f"known bug: {reason[:60]}")
                assume(False)
        raise


#: bugs in second derivatives
HESSIAN_BUGS: list[KnownBug] = []
#: bugs in derivatives of order 3 and 4
HIGHER_ORDER_BUGS: list[KnownBug] = []
#: bugs in first derivatives
FIRST_ORDER_BUGS: list[KnownBug] = []
#: bugs in jit's values (not its output types, see the categories above)
JIT_BUGS: list[KnownBug] = []


def _reject_known(program: Program, x: Any, bugs: list[KnownBug]) -> None:
    hits = known_bugs_hit(program, x, bugs)
    if hits:
        event(f"known bug: {hits[0][:60]}")
    assume(not hits)


def _reject_bad_point(program: Program, x: Any) -> None:
    assume(min_margin(program, x) >= MARGIN)
    with np.errstate(all="ignore"):
        vals = run_slots(program, x, FNP)
    for v in vals:
        a = np.asarray(v)
        if a.dtype.kind in "fc":
            assume(
                bool(np.all(np.isfinite(a))) and float(np.max(np.abs(a), initial=0)) < MAX_MAGNITUDE
            )


def _tolerances(program: Program) -> tuple[float, float]:
    """(values, derivatives) tolerance against the exact reference, relative to
    the largest entry: the rounding of a short program in its lowest precision,
    with room for moderate cancellation."""
    if program.in_dtype == "float32":
        return 1e-4, 2e-3
    if any(sl.kind in "fc" and np.finfo(sl.dtype).bits <= 32 for sl in program.slots):
        return 1e-5, 1e-5  # a float32 constant rounds what it touches
    return 1e-9, 1e-7


def _assert_derivative(
    got: Any,
    want: np.ndarray,
    what: str,
    tol: float,
    dtypes: tuple[Any, ...] = (np.float64,),
) -> None:
    g = np.asarray(got)
    assert g.shape == want.shape, f"{what}: shape {g.shape} != {want.shape}"
    assert g.dtype in dtypes, f"{what}: dtype {g.dtype}, expected one of {dtypes}"
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(g, want, rtol=tol, atol=tol * scale, err_msg=what)


def _check_first_order(case: Case) -> None:
    program, values, x = case.program, case.values, case.x
    _reject_bad_point(program, x)
    _reject_known(program, x, FIRST_ORDER_BUGS)
    leaves = _float_leaves(program)
    refs = reference_jacobians(program, values, leaves)
    scalarize = _scalarizer(program)
    weights = _weights(program, leaves)
    in_dtype = np.dtype(program.in_dtype)
    tol, dtol = _tolerances(program)

    def s(x: Any) -> Any:
        return scalarize(run_slots(program, x, FNP))

    def vec(x: Any) -> Any:
        vals = run_slots(program, x, FNP)
        return [vals[i] for i in leaves]

    # primal values too: eager funcdiff against the same program in mpmath
    with np.errstate(all="ignore"):
        eager_vals = run_slots(program, _fresh(x), FNP)
    mp_vals = run_slots(program, to_mp(np.asarray(x, dtype=np.float64)), MP)
    for i in leaves:
        want = as_float_array(mp_vals[i])
        scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
        np.testing.assert_allclose(
            np.asarray(eager_vals[i], dtype=np.float64),
            want,
            rtol=tol,
            atol=tol * scale,
            err_msg=f"value of output slot v{i}",
        )
    ref_grad = sum(
        (np.tensordot(w, r, axes=w.ndim) for w, r in zip(weights, refs)),
        np.zeros(program.in_shape),
    )
    with np.errstate(all="ignore"):
        for name, g in [
            ("grad", fd.grad(s)),
            ("jit(grad)", fd.jit(fd.grad(s))),
            ("grad(jit)", fd.grad(fd.jit(s))),
        ]:
            with _known_errors():
                got_grad = g(_fresh(x))
            _assert_derivative(got_grad, ref_grad, name, dtol, (in_dtype,))
        for name, jac in [
            ("jacrev", fd.jacrev(vec)),
            ("jacfwd", fd.jacfwd(vec)),
            ("jit(jacrev)", fd.jit(fd.jacrev(vec))),
            ("jacfwd(jit)", fd.jacfwd(fd.jit(vec))),
        ]:
            with _known_errors():
                got = jac(_fresh(x))
            for k, (i, r) in enumerate(zip(leaves, refs)):
                # a Jacobian's dtype is the output's (forward mode, as in JAX) or the input's
                # (reverse mode: cotangents take the input's dtype)
                dtypes = (in_dtype, program.slots[i].dtype)
                _assert_derivative(got[k], r, f"{name} of output {k}", dtol, dtypes)


def _check_hessian(case: Case) -> None:
    program, values, x = case.program, case.values, case.x
    _reject_bad_point(program, x)
    _reject_known(program, x, HESSIAN_BUGS)
    _, _, ref_h = reference_hessian(program, values, _scalarizer(program, mp=True))
    scalarize = _scalarizer(program)

    def s(x: Any) -> Any:
        return scalarize(run_slots(program, x, FNP))

    shape = program.in_shape
    ref_h = ref_h.reshape(shape + shape)
    with np.errstate(all="ignore"):
        for name, h in [
            ("hessian", fd.hessian(s)),
            ("jit(hessian)", fd.jit(fd.hessian(s))),
            ("hessian(jit)", fd.hessian(fd.jit(s))),
            ("jacrev(grad)", fd.jacrev(fd.grad(s))),
        ]:
            _assert_derivative(h(_fresh(x)), ref_h, name, _tolerances(program)[1])


def _direction(shape: tuple[int, ...]) -> np.ndarray:
    n = math.prod(shape)
    return np.array([1.0, -0.5, 0.75, 0.25, -1.25, 0.5][:n]).reshape(shape)


def _check_higher_order(case: Case) -> None:
    """Third and fourth directional derivatives d^k/dt^k s(x + t v), forward
    (jvp of jvp of jvp), reverse over forward over reverse (grad of v'Hv) and
    under jit, against mpmath."""
    program, values, x = case.program, case.values, case.x
    _reject_bad_point(program, x)
    _reject_known(program, x, HESSIAN_BUGS + HIGHER_ORDER_BUGS)
    v = _direction(program.in_shape)
    ref3, ref4 = reference_directional(
        program, values, v, _scalarizer(program, mp=True), orders=(3, 4)
    )
    scalarize = _scalarizer(program)
    n = math.prod(program.in_shape)

    def s(x: Any) -> Any:
        return scalarize(run_slots(program, x, FNP))

    def along(g: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return lambda x: fd.jvp(g, (x,), (v,))[1]

    def vhv(x: Any) -> Any:
        h = fnp.reshape(fd.hessian(s)(x), (n, n))
        w = fnp.ravel(v)
        return fnp.sum((h @ w) * w)

    def d3_reverse(x: Any) -> Any:
        return fnp.sum(fd.grad(vhv)(x) * v)

    d3 = along(along(along(s)))
    with np.errstate(all="ignore"):
        got3 = {
            "jvp^3": d3(_fresh(x)),
            "jit(jvp^3)": fd.jit(d3)(_fresh(x)),
            "jvp(v'Hv)": along(vhv)(_fresh(x)),
            "<v, grad(v'Hv)>": d3_reverse(_fresh(x)),
        }
        got4 = {"jvp^4": along(d3)(_fresh(x)), "jvp(<v, grad(v'Hv)>)": along(d3_reverse)(_fresh(x))}
    # higher derivatives of float64 code lose more digits than the Hessian;
    # 1e-6 relative to max(1, |truth|) still sees any wrong rule
    tol = max(1e-6, _tolerances(program)[1])
    for name, got in got3.items():
        assert float(got) == pytest.approx(ref3, rel=tol, abs=tol), f"{name}: truth {ref3}"
    for name, got in got4.items():
        assert float(got) == pytest.approx(ref4, rel=tol, abs=tol), f"{name}: truth {ref4}"


@_settings(250)
@given(programs(DERIV_CONFIG))
def test_first_derivatives_match_high_precision(case: Case) -> None:
    _check_first_order(case)


@NUMPY1_CASTING
@_settings(150)
@given(programs(DERIV32_CONFIG))
def test_float32_first_derivatives_match_high_precision(case: Case) -> None:
    _check_first_order(case)


@_settings(200)
@given(programs(DERIV_CONFIG))
def test_hessians_match_high_precision(case: Case) -> None:
    _check_hessian(case)


@_settings(100)
@given(programs(DERIV_CONFIG))
def test_third_and_fourth_derivatives_match_high_precision(case: Case) -> None:
    _check_higher_order(case)


# ---------------------------------------------------------------------------
# complex intermediates in real-valued programs
# ---------------------------------------------------------------------------


@_settings(60, shrink=False)
@given(programs(COMPLEX_DERIV_CONFIG))
def test_complex_intermediates_derivatives(case: Case) -> None:
    _check_first_order(case)
    _check_hessian(case)


@_settings(300, shrink=False)
@given(programs(COMPLEX_CONFIG))
def test_complex_programs_jit_matches_eager(case: Case) -> None:
    _assert_no_findings(case, (OTHER,))


# ---------------------------------------------------------------------------
# the examples of wrong jit outputs, one by one
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        lambda x: 3,
        lambda x: np.float32(2.5),
        lambda x: (x * 2, fnp.sum(fnp.ones(3, dtype=int))),
    ],
    ids=["python_int", "numpy_float32", "int_sum_of_ones"],
)
def test_jit_constant_outputs_match_eager(f: Callable[[Any], Any]) -> None:
    x = np.float64(1.0)
    eager, jitted = flatten_tree(f(x)), flatten_tree(fd.jit(f)(x))
    for e, j in zip(eager, jitted, strict=True):
        _assert_leaf_equal(j, e, 1.0, "constant output")


def test_jit_abs_of_complex_is_real() -> None:
    # found by the random programs: abs of a complex array is declared complex in
    # the jaxpr, so jit returns complex128 where eager returns float64
    f = lambda x: fnp.abs(x * (1 + 1j))  # noqa: E731
    x = np.array([0.5, 0.25])
    _assert_leaf_equal(fd.jit(f)(x), f(x), 1.0, "abs of complex")


def test_jit_identity_returns_a_fresh_array() -> None:
    x = np.arange(3.0)
    assert fd.jit(lambda x: x)(x) is not x


# ---------------------------------------------------------------------------
# minimal reproductions of the bugs the random programs found
# ---------------------------------------------------------------------------


def _mp_sinc_second_derivative(x: float) -> float:
    with mpmath.workdps(40):
        if x == 0:
            return float(-(mpmath.pi**2) / 3)
        return float(mpmath.diff(lambda t: mpmath.sin(mpmath.pi * t) / (mpmath.pi * t), x, 2))


@pytest.mark.parametrize("x", [0.0, 1e-300, 1e-20, 1e-8])
def test_sinc_second_derivative_near_zero(x: float) -> None:
    with np.errstate(all="ignore"):
        got = float(fd.hessian(fnp.sinc)(x))
    assert got == pytest.approx(_mp_sinc_second_derivative(x), rel=1e-9)


def test_hypot_hessian_at_zero() -> None:
    # d2/dx2 hypot(x, 2) = 4 / (x**2 + 4)**1.5 = 1/2 at x = 0
    assert float(fd.hessian(lambda x: fnp.hypot(x, 2.0))(0.0)) == pytest.approx(0.5, rel=1e-12)


def test_hypot_hessian_where_arguments_tie() -> None:
    # hypot(x, y) = r is smooth at (1, 1): its Hessian is [[y*y, -x*y], [-x*y, x*x]] / r**3
    got = fd.hessian(lambda v: fnp.hypot(v[0], v[1]))(np.array([1.0, 1.0]))
    want = np.array([[1.0, -1.0], [-1.0, 1.0]]) / 2**1.5
    np.testing.assert_allclose(got, want, rtol=1e-12)


MAX_TIMES_MIN = (
    "maximum/minimum tie convention (1 +- sign(x - y)) / 2 splits the tangent evenly, so the "
    "smooth maximum(x, y) * minimum(x, y) == x * y gets the Hessian [[.5, .5], [.5, .5]] at "
    "x == y (truth [[0, 1], [1, 0]]); JAX gives the same. A complementary tie-break "
    "(maximum follows x, minimum follows y at a tie) keeps max*min, max+min and hypot right"
)


@pytest.mark.xfail(strict=True, reason=MAX_TIMES_MIN)
def test_maximum_times_minimum_hessian_at_a_tie() -> None:
    got = fd.hessian(lambda v: fnp.maximum(v[0], v[1]) * fnp.minimum(v[0], v[1]))(np.ones(2))
    np.testing.assert_allclose(got, [[0.0, 1.0], [1.0, 0.0]], atol=1e-12)


def _nth_derivative(f: Callable[[Any], Any], n: int) -> Callable[[Any], Any]:
    for _ in range(n):
        f = (lambda g: lambda x: fd.jvp(g, (x,), (1.0,))[1])(f)
    return f


def test_pow_hessian_where_the_exponent_is_zero() -> None:
    # exp(x) ** x == exp(x**2): second derivative 2 at 0
    assert float(fd.hessian(lambda x: fnp.exp(x) ** x)(0.0)) == pytest.approx(2.0, rel=1e-12)


def test_pow_fourth_derivative_at_an_integer_exponent() -> None:
    with mpmath.workdps(40):
        truth = float(mpmath.diff(lambda t: t**t, 2, 4))
    got = float(_nth_derivative(lambda x: x**x, 4)(2.0))
    assert got == pytest.approx(truth, rel=1e-9), f"{got} != {truth}"


def test_jit_grad_of_where_with_a_python_scalar_in_float32() -> None:
    f = lambda x: fnp.where(x > 0, x, 0.0) * 2.0  # noqa: E731
    assert fd.jit(fd.grad(f))(np.float32(1.0)) == np.float32(2.0)


def test_jacrev_with_a_python_float_output_and_float32_input() -> None:
    jac = fd.jacrev(lambda x: (2.5 * x, 2.5))(np.array(0.5, np.float32))
    assert [np.asarray(j).dtype for j in jac] == [np.float32, np.float32]


def test_jacrev_dtype_is_the_same_on_every_call_and_under_jit() -> None:
    # a triple negation keeps this jaxpr's structure out of the compiled-pass
    # cache of other tests: the first call here is the interpreted one
    f = lambda x: [2.5, -(-(-x))]  # noqa: E731
    x = np.array([0.5, 1.0], np.float32)
    calls = [fd.jacrev(f)(x), fd.jacrev(f)(x), fd.jit(fd.jacrev(f))(x)]
    dtypes = [[str(np.asarray(j).dtype) for j in jac] for jac in calls]
    assert dtypes == [["float32", "float32"]] * 3, dtypes


@pytest.mark.parametrize("x", [0.0, 1e-200, -1e-300, 2.0])
@pytest.mark.parametrize(
    "f",
    [lambda x: x**0.0, lambda x: x**0, lambda x: fnp.power(x, np.float32(0.0))],
    ids=["float", "int", "float32"],
)
def test_derivatives_of_x_to_a_constant_zero_are_zero(f: Callable[[Any], Any], x: float) -> None:
    # x**0 = 1 everywhere: every derivative is 0, also where x**-2, x**-3
    # overflow (tiny x), which once gave 0 * inf = NaN from the second on
    g = f
    with np.errstate(all="ignore"):
        for order in range(1, 5):
            g = fd.grad(g)
            assert float(g(x)) == 0.0, order


@NUMPY1_CASTING
def test_jit_float32_times_numpy_float64_scalar() -> None:
    f = lambda x: x * np.float64(1.5)  # noqa: E731
    x = np.array([0.5, 0.25], np.float32)
    assert fd.jit(f)(x).dtype == f(x).dtype == np.float64
