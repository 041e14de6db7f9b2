"""jacobian_sparsity and hessian_sparsity: exact patterns of known functions,
independence of the point, control flow, custom rules, errors, and scale."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _random_programs import FNP, MARGIN, Case, Config, min_margin, programs, run
from hypothesis import assume, given, settings

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.sparse._detect import conservative_primitives, hessian_sparsity, jacobian_sparsity
from funcdiff.tree import tree_leaves

sp = pytest.importorskip("scipy.sparse")


def rosenbrock(x: Any) -> Any:
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def grid_energy(m: int) -> Any:
    """A 2-D grid Laplacian-type energy on an m x m grid, plus a local
    non-linearity: its Hessian is the 5-point stencil."""

    def f(x: Any) -> Any:
        u = fnp.reshape(x, (m, m))
        dx = u[1:, :] - u[:-1, :]
        dy = u[:, 1:] - u[:, :-1]
        return 0.5 * fnp.sum(dx**2) + 0.5 * fnp.sum(dy**2) + fnp.sum(fnp.cos(u))

    return f


def stencil(m: int) -> np.ndarray:
    lap = sp.diags([1.0, 1.0, 1.0], [-1, 0, 1], shape=(m, m))
    eye = sp.identity(m)
    return ((sp.kron(lap, eye) + sp.kron(eye, lap)) != 0).toarray()


def dense_pattern(h: Any) -> np.ndarray:
    return np.asarray(h) != 0


def test_result_type_and_shapes() -> None:
    j = jacobian_sparsity(lambda x: fnp.sin(x[:3]) * 2.0)(np.ones(5))
    assert isinstance(j, sp.csr_array) and j.dtype == bool and j.shape == (3, 5)
    h = hessian_sparsity(rosenbrock)(np.ones(5))
    assert isinstance(h, sp.csr_array) and h.dtype == bool and h.shape == (5, 5)


def test_chained_rosenbrock_is_tridiagonal() -> None:
    n = 9
    h = hessian_sparsity(rosenbrock)(np.zeros(n)).toarray()
    want = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= 1
    np.testing.assert_array_equal(h, want)
    np.testing.assert_array_equal(h, dense_pattern(fd.hessian(rosenbrock)(np.ones(n) * 0.3)))


def test_grid_energy_is_five_point_stencil() -> None:
    m = 6
    f = grid_energy(m)
    h = hessian_sparsity(f)(np.zeros(m * m)).toarray()
    np.testing.assert_array_equal(h, stencil(m))
    x = np.random.default_rng(0).normal(size=m * m)
    np.testing.assert_array_equal(h, dense_pattern(fd.hessian(f)(x)))


def test_separable_sum_is_diagonal() -> None:
    h = hessian_sparsity(lambda x: fnp.sum(fnp.exp(x) + x**3))(np.ones(7))
    np.testing.assert_array_equal(h.toarray(), np.eye(7, dtype=bool))


def test_quadratic_form_with_dense_matrix_is_dense() -> None:
    a = np.random.default_rng(0).normal(size=(5, 5))
    h = hessian_sparsity(lambda x: x @ a @ x)(np.ones(5))
    assert h.nnz == 25


def test_quadratic_form_with_sparse_constant_follows_its_zeros() -> None:
    a = np.diag(np.arange(1.0, 6.0)) + np.diag(np.ones(4), 1)
    h = hessian_sparsity(lambda x: x @ a @ x)(np.ones(5)).toarray()
    np.testing.assert_array_equal(h, (a + a.T) != 0)
    j = jacobian_sparsity(lambda x: a @ x)(np.ones(5)).toarray()
    np.testing.assert_array_equal(j, a != 0)


def test_linear_function_has_empty_hessian() -> None:
    a = np.random.default_rng(0).normal(size=(3, 6))
    h = hessian_sparsity(lambda x: fnp.sum(a @ x) + 2.0 * x[0] - fnp.sum(x[::2]))(np.ones(6))
    assert h.nnz == 0 and h.shape == (6, 6)


def test_pattern_does_not_depend_on_the_point() -> None:
    x = np.random.default_rng(0).normal(size=9)
    for f in (rosenbrock, grid_energy(3), lambda x: fnp.sum(x[:4] * x[4:8])):
        for pattern in (hessian_sparsity, jacobian_sparsity):
            a, b = pattern(f)(x), pattern(f)(np.zeros_like(x))
            assert (a != b).nnz == 0


def test_jacobian_of_shape_operations() -> None:
    def f(x: Any) -> Any:
        m = fnp.reshape(x, (2, 3))
        return fnp.concatenate([m.T.ravel(), fnp.cumsum(x[:3]), fnp.max(m, axis=1)])

    j = jacobian_sparsity(f)(np.ones(6)).toarray()
    x = np.random.default_rng(0).normal(size=6)
    dense = dense_pattern(fd.jacfwd(f)(x))
    np.testing.assert_array_equal(j[:9], dense[:9])  # exact where no ties decide
    assert (j >= dense).all()
    np.testing.assert_array_equal(j[9:], [[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]])


def test_gather_with_constant_indices_is_exact() -> None:
    idx = np.array([4, 0, 0, 2])
    j = jacobian_sparsity(lambda x: x[idx] * 3.0)(np.ones(5)).toarray()
    np.testing.assert_array_equal(j, np.eye(5, dtype=bool)[idx])


def test_piecewise_linear_adds_no_hessian_terms() -> None:
    def f(x: Any) -> Any:
        return fnp.sum(fnp.maximum(x, 0.0) + fnp.abs(x) + fnp.where(x > 0, x, 2 * x))

    assert hessian_sparsity(f)(np.ones(4)).nnz == 0


def test_quotient_and_power_structure() -> None:
    h = hessian_sparsity(lambda x: x[0] / x[1] + x[2] * x[3] + x[4] ** x[5])(np.ones(6))
    want = np.zeros((6, 6), dtype=bool)
    want[0, 1] = want[1, 0] = want[1, 1] = True  # a / b: linear in a
    want[2, 3] = want[3, 2] = True  # a * b: bilinear
    want[4:, 4:] = True  # a ** b
    np.testing.assert_array_equal(h.toarray(), want)


def test_cond_is_the_union_over_branches() -> None:
    def f(x: Any) -> Any:
        return lax.cond(x[0] > 0, lambda v: v[1] * v[2], lambda v: fnp.sin(v[3]), x)

    h = hessian_sparsity(f)(np.ones(4)).toarray()
    want = np.zeros((4, 4), dtype=bool)
    want[1, 2] = want[2, 1] = want[3, 3] = True
    np.testing.assert_array_equal(h, want)


def test_custom_jvp_follows_the_rule() -> None:
    @fd.custom_jvp
    def f(x: Any) -> Any:
        return fnp.round(x)  # straight-through: the rule says identity

    f.defjvp(lambda primals, tangents: (f(primals[0]), tangents[0]))
    j = jacobian_sparsity(lambda x: f(x))(np.ones(3)).toarray()
    np.testing.assert_array_equal(j, np.eye(3, dtype=bool))


def test_custom_vjp_follows_bwd() -> None:
    @fd.custom_vjp
    def f(x: Any) -> Any:
        return fnp.round(x)

    f.defvjp(lambda x: (fnp.round(x), None), lambda res, ct: (ct,))
    g = lambda x: f(x[:3]) * x[3:]  # noqa: E731
    j = jacobian_sparsity(g)(np.ones(6)).toarray()
    np.testing.assert_array_equal(j, np.hstack([np.eye(3), np.eye(3)]) != 0)
    x = np.random.default_rng(0).normal(size=6)
    assert (j >= dense_pattern(fd.jacrev(g)(x))).all()


def test_checkpoint_is_its_body() -> None:
    g = fd.checkpoint(lambda x: fnp.sin(x) * 2.0)
    np.testing.assert_array_equal(jacobian_sparsity(g)(np.ones(3)).toarray(), np.eye(3, dtype=bool))


def test_linear_algebra_is_dense_per_matrix() -> None:
    def f(x: Any) -> Any:
        a = fnp.reshape(x[:8], (2, 2, 2)) + np.eye(2) * 3
        b = fnp.reshape(x[8:], (2, 2, 1))
        return fnp.concatenate([fnp.linalg.solve(a, b).ravel(), fnp.linalg.det(a)])

    j = jacobian_sparsity(f)(np.ones(12)).toarray()
    first = np.zeros(12, dtype=bool)
    first[[0, 1, 2, 3, 8, 9]] = True  # the first matrix and right-hand side
    second = np.zeros(12, dtype=bool)
    second[[4, 5, 6, 7, 10, 11]] = True
    det1, det2 = first.copy(), second.copy()
    det1[8:] = det2[8:] = False  # det reads the matrix only
    np.testing.assert_array_equal(j, [first, first, second, second, det1, det2])
    h = hessian_sparsity(lambda x: fnp.sum(f(x)))(np.ones(12)).toarray()
    np.testing.assert_array_equal(h, np.outer(first, first) | np.outer(second, second))


def test_solve_is_dense_in_its_inputs() -> None:
    def f(x: Any) -> Any:
        a = fnp.reshape(x[:4], (2, 2)) + np.eye(2) * 3
        return fnp.concatenate([fnp.linalg.solve(a, x[4:6]), x[6:] ** 2])

    j = jacobian_sparsity(f)(np.ones(8)).toarray()
    np.testing.assert_array_equal(j[:2, :6], np.ones((2, 6), dtype=bool))
    assert not j[:2, 6:].any()
    np.testing.assert_array_equal(j[2:, 6:], np.eye(2, dtype=bool))


def test_other_arguments_and_argnums() -> None:
    def f(a: Any, x: Any) -> Any:
        return fnp.sum(a * x**2)

    a = np.array([1.0, 0.0, 2.0])
    h = hessian_sparsity(f, argnums=1)(a, np.ones(3))
    assert h.shape == (3, 3) and h.nnz == 3  # a * x**2: x's square interacts with itself


def test_errors() -> None:
    with pytest.raises(TypeError, match="floating-point"):
        jacobian_sparsity(lambda x: x)(np.arange(3))
    with pytest.raises(ValueError, match="argnums"):
        jacobian_sparsity(lambda x: x, argnums=3)(np.ones(3))


def _timed(f: Any, x: np.ndarray) -> tuple[Any, float]:
    t = time.perf_counter()
    h = hessian_sparsity(f)(x)
    return h, time.perf_counter() - t


def test_scales_to_a_hundred_thousand() -> None:
    n = 100_000
    h, seconds = _timed(rosenbrock, np.zeros(n))
    assert h.nnz == 3 * n - 2 and seconds < 10
    m = 300
    h, seconds = _timed(grid_energy(m), np.zeros(m * m))
    assert h.nnz == m * m + 4 * m * (m - 1) and seconds < 10


def test_scales_to_a_million() -> None:
    # about 1 s each here (2 cores); the bound leaves room for a loaded machine
    n = 1_000_000
    h, seconds = _timed(rosenbrock, np.zeros(n))
    assert h.nnz == 3 * n - 2 and seconds < 20
    m = 1000
    h, seconds = _timed(grid_energy(m), np.zeros(m * m))
    assert h.nnz == m * m + 4 * m * (m - 1) and seconds < 20


def test_docs_list_the_conservative_primitives() -> None:
    root = Path(__file__).resolve().parents[2]
    page = (root / "docs" / "sparse.md").read_text()
    listed = page.split("<!-- conservative-primitives -->")[1].split("<!--")[0]
    # in a fresh process: tests and docs register primitives of their own
    code = "from funcdiff.sparse._detect import conservative_primitives as c; print(c())"
    path = os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    ours = ast.literal_eval(run.stdout.strip())
    assert re.findall(r"`(\w+)`", listed) == ours
    assert set(ours) <= set(conservative_primitives())


def _rosen_scan(x: Any) -> Any:
    def step(c: Any, xi: Any) -> Any:
        return xi, 100.0 * (xi - c**2) ** 2 + (1.0 - c) ** 2

    _, terms = lax.scan(step, x[0], x[1:])
    return fnp.sum(terms)


def test_scan_is_unrolled_exactly() -> None:
    n = 7
    h = hessian_sparsity(_rosen_scan)(np.zeros(n)).toarray()
    np.testing.assert_array_equal(h, hessian_sparsity(rosenbrock)(np.zeros(n)).toarray())
    j = jacobian_sparsity(lambda x: lax.scan(lambda c, xi: (c + xi, c * xi), 0.0, x)[1])(
        np.zeros(4)
    ).toarray()
    np.testing.assert_array_equal(j, np.tril(np.ones((4, 4), dtype=bool)))


def test_long_scan_is_a_sound_fixpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    from funcdiff.primitives import control

    monkeypatch.setattr(control, "SCAN_UNROLL", 3)
    n = 7
    x = np.random.default_rng(0).uniform(0.5, 1.5, n)
    h = hessian_sparsity(_rosen_scan)(np.zeros(n)).toarray()
    assert (h >= dense_pattern(fd.hessian(_rosen_scan)(x))).all()
    assert h[0, 0] and h[3, 4]


def test_while_loop_carry_fixpoint() -> None:
    def f(x: Any) -> Any:
        def body(c: Any) -> Any:
            i, v = c
            return i + 1, fnp.concatenate([v[:1] * v[1:2], v[1:] * 1.0])

        return lax.while_loop(lambda c: c[0] < 3, body, (0, x))[1]

    j = jacobian_sparsity(f)(np.zeros(3)).toarray()
    want = np.eye(3, dtype=bool)
    want[0, 1] = True
    np.testing.assert_array_equal(j, want)
    h = hessian_sparsity(lambda x: fnp.sum(f(x)))(np.zeros(3)).toarray()
    assert h[0, 1] and h[1, 1] and not h[2].any()


def test_a_linear_primitive_without_a_rule_is_dense_without_hessian_terms() -> None:
    from funcdiff.core.primitive import REGISTRY, Primitive
    from funcdiff.primitives.rules import linear

    name = "test_sparsity_double"
    prim = REGISTRY.get(name) or Primitive(
        name,
        impl=lambda x: 2.0 * x,
        abstract_eval=lambda x: x,
        rules=linear(lambda ct, x: 2.0 * ct),
    )
    try:
        f = lambda x: fnp.sum(prim.bind(x) ** 2)  # noqa: E731
        assert jacobian_sparsity(lambda x: prim.bind(x))(np.ones(3)).nnz == 9
        assert hessian_sparsity(f)(np.ones(3)).nnz == 9  # from the square
        assert hessian_sparsity(lambda x: fnp.sum(prim.bind(x)))(np.ones(3)).nnz == 0
    finally:
        REGISTRY.pop(name, None)


# ---------------------------------------------------------------------------
# random programs: the detected patterns contain the dense derivatives
# ---------------------------------------------------------------------------

_DERIV = Config(smooth_only=True, out_kinds="f")


def _flat_outputs(program: Any) -> Any:
    def g(x: Any) -> Any:
        leaves = [fnp.ravel(fnp.asarray(v)) for v in tree_leaves(run(program, x, FNP))]
        return fnp.concatenate(leaves) if leaves else fnp.zeros(0)

    return g


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(programs(_DERIV))
def test_random_programs_patterns_contain_dense_derivatives(case: Case) -> None:
    program = case.program
    x = np.asarray(case.x, dtype=np.float64)
    assume(min_margin(program, case.x) >= MARGIN)
    g = _flat_outputs(program)
    with np.errstate(all="ignore"):
        out = np.asarray(g(x))
        assume(bool(np.all(np.isfinite(out))))
        jac = np.asarray(fd.jacfwd(g)(x)).reshape(out.size, x.size)
        w = np.linspace(0.5, 1.5, out.size)
        s = lambda v: fnp.sum(w * g(v))  # noqa: E731
        hess = np.asarray(fd.hessian(s)(x)).reshape(x.size, x.size)
    j = jacobian_sparsity(g)(x).toarray()
    h = hessian_sparsity(s)(x).toarray()
    missed_j = np.isfinite(jac) & (jac != 0) & ~j
    missed_h = np.isfinite(hess) & (hess != 0) & ~h
    assert not missed_j.any(), f"Jacobian pattern misses {np.argwhere(missed_j)[:5]}"
    assert not missed_h.any(), f"Hessian pattern misses {np.argwhere(missed_h)[:5]}"


def test_constant_matrix_costs_its_nonzeros() -> None:
    n = 4000
    a = np.zeros((n, n))
    i = np.arange(n)
    a[i, i] = 2.0
    a[i[1:], i[:-1]] = a[i[:-1], i[1:]] = -1.0  # a 1-D Laplacian, stored dense
    t = time.perf_counter()
    j = jacobian_sparsity(lambda x: a @ x)(np.zeros(n))
    h = hessian_sparsity(lambda x: x @ (a @ x))(np.zeros(n))
    jt = jacobian_sparsity(lambda x: x @ a)(np.zeros(n))
    seconds = time.perf_counter() - t
    assert j.nnz == h.nnz == jt.nnz == 3 * n - 2
    np.testing.assert_array_equal(j.toarray(), a != 0)
    assert seconds < 20


def test_pytree_argument_is_its_leaves_concatenated() -> None:
    def f(p: Any) -> Any:
        return fnp.sum(p["a"] ** 2) + fnp.sum(p["a"][0] * p["b"])

    p = {"a": np.ones(2), "b": np.ones(3)}
    h = hessian_sparsity(f)(p).toarray()
    want = np.zeros((5, 5), dtype=bool)
    want[0, 0] = want[1, 1] = True
    want[0, 2:] = want[2:, 0] = True
    np.testing.assert_array_equal(h, want)
    j = jacobian_sparsity(lambda p: p["b"] * p["a"][1])(p).toarray()
    np.testing.assert_array_equal(
        j, np.array([[0, 1, 1, 0, 0], [0, 1, 0, 1, 0], [0, 1, 0, 0, 1]]) != 0
    )
