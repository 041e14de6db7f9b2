"""Colorings for compressed derivatives: validity (checked by brute force on
small graphs), the color counts of known structures, and direct recovery."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

sp = pytest.importorskip("scipy.sparse")

from funcdiff.sparse import _coloring as col  # noqa: E402


def tridiagonal(n: int) -> object:
    ones = np.ones(n)
    return sp.diags([ones[1:], ones, ones[1:]], [-1, 0, 1], format="csr").astype(bool)


def banded(m: int, n: int, lower: int, upper: int) -> np.ndarray:
    i, j = np.indices((m, n))
    return (j - i <= upper) & (i - j <= lower)


def grid(k: int) -> object:
    t = tridiagonal(k).astype(float)
    eye = sp.identity(k)
    return (sp.kron(eye, t) + sp.kron(t, eye)).astype(bool).tocsr()


def random_symmetric(rng: np.random.Generator, n: int, density: float) -> np.ndarray:
    m = rng.random((n, n)) < density
    return m | m.T | np.eye(n, dtype=bool)


def brute_force_star(pattern: np.ndarray, colors: np.ndarray) -> bool:
    """Proper, and no path on 4 vertices a-b-c-d uses only 2 colors."""
    n = pattern.shape[0]
    adj = pattern & ~np.eye(n, dtype=bool)
    if np.any(adj & (colors[:, None] == colors[None, :])):
        return False
    for b, c in zip(*np.nonzero(adj), strict=True):
        for a in np.nonzero(adj[b])[0]:
            if a == c or colors[a] != colors[c]:
                continue
            for d in np.nonzero(adj[c])[0]:
                if d not in (a, b) and colors[d] == colors[b]:
                    return False
    return True


def brute_force_columns(pattern: np.ndarray, colors: np.ndarray) -> bool:
    for j, k in itertools.combinations(range(pattern.shape[1]), 2):
        if colors[j] == colors[k] and np.any(pattern[:, j] & pattern[:, k]):
            return False
    return True


@pytest.mark.parametrize("n", [10, 1000, 100_000])
def test_tridiagonal_star_coloring_takes_three_colors(n: int) -> None:
    p = tridiagonal(n)
    colors = col.star_coloring(p)
    assert col.ncolors(colors) == 3
    assert col.verify_star_coloring(p, colors)


@pytest.mark.parametrize("order", col.ORDERS)
def test_random_colorings_are_valid_by_brute_force(order: str) -> None:
    rng = np.random.default_rng(1)
    for _ in range(40):
        n = int(rng.integers(2, 16))
        p = random_symmetric(rng, n, float(rng.random()) * 0.4)
        star = col.star_coloring(p, order)  # type: ignore[arg-type]
        assert brute_force_star(p, star)
        assert col.verify_star_coloring(p, star)
        rect = p[:, : n // 2 + 1]
        cols = col.column_coloring(rect, order)  # type: ignore[arg-type]
        assert brute_force_columns(rect, cols)
        assert col.verify_column_coloring(rect, cols)
        rows = col.row_coloring(rect, order)  # type: ignore[arg-type]
        assert brute_force_columns(rect.T, rows)
        assert col.verify_row_coloring(rect, rows)


def test_checkers_reject_bad_colorings() -> None:
    path = np.asarray(tridiagonal(4).toarray())
    # 0-1-2-3 colored a b a b: proper, but the path is bicolored
    assert brute_force_star(path, np.array([0, 1, 0, 1])) is False
    assert col.verify_star_coloring(path, np.array([0, 1, 0, 1])) is False
    assert col.verify_star_coloring(path, np.array([0, 0, 1, 2])) is False
    assert col.verify_star_coloring(path, np.array([0, 1, 0, 2])) is True
    assert col.verify_column_coloring(path, np.array([0, 1, 0, 1])) is False
    assert col.verify_column_coloring(path, np.array([0, 1, 2, 0])) is True
    with pytest.raises(ValueError, match="bicolored"):
        col.star_sources(path, np.array([0, 1, 0, 1]))


def test_banded_jacobian_takes_bandwidth_colors() -> None:
    for lower, upper in [(0, 0), (1, 1), (2, 1), (0, 3)]:
        p = banded(50, 50, lower, upper)
        assert col.ncolors(col.column_coloring(p)) == lower + upper + 1
        assert col.ncolors(col.row_coloring(p)) == lower + upper + 1


def test_arrowhead_star_coloring_beats_column_coloring() -> None:
    n = 40
    p = np.eye(n, dtype=bool)
    p[0] = p[:, 0] = True
    assert col.ncolors(col.star_coloring(p)) == 2
    assert col.ncolors(col.column_coloring(p)) == n
    # a Jacobian with one dense row: reverse mode needs 2 colors, forward n - 1
    assert col.ncolors(col.row_coloring(p[:, 1:])) == 2
    assert col.ncolors(col.column_coloring(p[:, 1:])) == n - 1
    # and with one dense column, the other way round
    assert col.ncolors(col.column_coloring(p[1:])) == 2
    assert col.ncolors(col.row_coloring(p[1:])) == n - 1


def test_grid_star_coloring() -> None:
    p = grid(30)
    colors = col.star_coloring(p)
    assert col.verify_star_coloring(p, colors)
    assert col.ncolors(colors) == 5


def test_dense_pattern_takes_n_colors() -> None:
    p = np.ones((25, 25), dtype=bool)
    assert col.ncolors(col.star_coloring(p)) == 25
    assert col.ncolors(col.column_coloring(p)) == 25


def test_star_sources_recover_every_entry_exactly() -> None:
    rng = np.random.default_rng(2)
    for _ in range(30):
        n = int(rng.integers(1, 20))
        p = random_symmetric(rng, n, float(rng.random()) * 0.5)
        h = np.where(p, rng.standard_normal((n, n)), 0.0)
        h = h + h.T
        colors = col.star_coloring(p)
        seeds = np.eye(col.ncolors(colors))[colors]  # (n, k)
        compressed = h @ seeds
        csr = col.as_pattern(p)
        src_row, src_color = col.star_sources(csr, colors)
        rows = np.repeat(np.arange(n), np.diff(csr.indptr))
        np.testing.assert_array_equal(compressed[src_row, src_color], h[rows, csr.indices])


def test_pattern_checks() -> None:
    with pytest.raises(ValueError, match="not symmetric"):
        col.star_coloring(np.triu(np.ones((3, 3), dtype=bool)))
    with pytest.raises(ValueError, match="square"):
        col.star_coloring(np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*shape \(3, 3\)"):
        col.as_pattern(np.ones((2, 3), dtype=bool), (3, 3))
    with pytest.raises(ValueError, match="order"):
        col.column_coloring(np.eye(2, dtype=bool), "random")  # type: ignore[arg-type]
    # explicit False entries and duplicates do not count
    coo = sp.coo_array(([True, True, False], ([0, 0, 1], [0, 0, 0])), shape=(2, 2))
    p = col.as_pattern(coo)
    assert p.nnz == 1 and p.dtype == bool


def test_empty_pattern() -> None:
    p = np.zeros((0, 0), dtype=bool)
    assert col.star_coloring(p).shape == (0,)
    assert col.ncolors(col.star_coloring(p)) == 0
    assert col.ncolors(col.column_coloring(np.zeros((3, 0), dtype=bool))) == 0


def test_star_sources_with_many_colors_count_by_sorting() -> None:
    # n * ncolors beyond the counting table's bound: the sorted-keys path
    n, clique = 20_000, 60
    p = sp.lil_array((n, n), dtype=bool)
    p.setdiag(True)
    p[:clique, :clique] = True
    p[clique, clique + 1] = p[clique + 1, clique] = True
    p = p.tocsr()
    colors = col.star_coloring(p)
    assert col.ncolors(colors) == clique
    rng = np.random.default_rng(3)
    h = sp.csr_array((rng.standard_normal(p.nnz), p.indices, p.indptr), shape=p.shape)
    h = (h + h.T).tocsr()
    h.sort_indices()
    compressed = h @ np.eye(clique)[colors]
    src_row, src_color = col.star_sources(p, colors)
    np.testing.assert_array_equal(compressed[src_row, src_color], h.data)


def random_banded(rng: np.random.Generator, n: int, b: int, density: float) -> np.ndarray:
    i, j = np.indices((n, n))
    m = (rng.random((n, n)) < density) & (np.abs(i - j) <= b)
    return m | m.T | np.eye(n, dtype=bool)


def test_banded_order_is_valid_by_brute_force() -> None:
    rng = np.random.default_rng(4)
    for _ in range(40):
        n, b = int(rng.integers(5, 40)), int(rng.integers(1, 4))
        p = random_banded(rng, n, b, float(rng.random()))
        star = col.star_coloring(p, "banded")
        assert brute_force_star(p, star)
        rect = p[:, : n // 2 + 1]
        assert brute_force_columns(rect, col.column_coloring(rect, "banded"))
        assert brute_force_columns(rect.T, col.row_coloring(rect, "banded"))


def test_banded_order_on_large_patterns() -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    ones = np.ones(n)
    for b in (1, 2, 3):
        p = sp.diags([ones[abs(k) :] for k in range(-b, b + 1)], list(range(-b, b + 1)))
        p = p.tocsr().astype(bool)
        star = col.star_coloring(p, "banded")
        assert col.verify_star_coloring(p, star)
        cols = col.column_coloring(p, "banded")
        assert col.verify_column_coloring(p, cols)
        assert col.ncolors(cols) == 2 * b + 1  # the band of one row: optimal
        # auto is never worse than the greedy loop
        assert col.ncolors(col.star_coloring(p)) <= col.ncolors(col.star_coloring(p, "natural"))
    assert col.ncolors(col.star_coloring(tridiagonal(n), "banded")) == 3
    # random sparse band: still valid
    i = rng.integers(0, n - 3, size=3 * n)
    j = i + rng.integers(0, 4, size=3 * n)
    p = sp.csr_array((np.ones(i.size, bool), (i, j)), shape=(n, n))
    p = (p + p.T).tocsr()
    assert col.verify_star_coloring(p, col.star_coloring(p, "banded"))
    assert col.verify_star_coloring(p, col.star_coloring(p))


def test_many_shared_rows_still_conflict() -> None:
    # 256 rows shared by every column: a count that wraps around in int8
    p = np.ones((256, 4), dtype=bool)
    assert col.ncolors(col.column_coloring(p)) == 4
    assert col.ncolors(col.row_coloring(p.T)) == 4
