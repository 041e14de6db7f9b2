"""Colorings of sparsity patterns, for compressed Jacobians and Hessians.

A coloring groups columns (or rows) whose derivatives can be computed
together: one seed vector per color, one jvp / vjp / hvp per seed, and every
nonzero of the derivative is read back from exactly one entry of the
compressed product (no arithmetic, so the recovery is exact).

- Jacobians: columns that share no row are structurally orthogonal and may
  share a color (a distance-2 coloring of the bipartite row/column graph,
  i.e. a distance-1 coloring of the column intersection graph). Forward
  mode seeds columns; reverse mode colors the rows, the columns of ``J.T``.
- Hessians: a star coloring of the adjacency graph of H (Gebremedhin,
  Manne and Pothen, "What color is your Jacobian?", SIAM Review 2005): a
  proper coloring in which every path on four vertices uses at least three
  colors. Then for each nonzero H_ij, j is the only neighbor of i with
  color(j), or i is the only neighbor of j with color(i), so H_ij is one
  entry of the compressed product (direct recovery). A banded tridiagonal
  Hessian takes 3 colors at any n, where column coloring would too, and an
  arrowhead Hessian (one dense row and column) takes 2, where column
  coloring takes n.

The greedy loops visit each vertex once, in Python, over plain lists (the
per-vertex work is a few set operations); everything around them (the
intersection graph, orderings, checks and recovery indices) is vectorized
numpy/scipy. No recursion.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

Order = Literal["largest_first", "natural", "smallest_last"]
ORDERS = ("largest_first", "natural", "smallest_last")


def _scipy_sparse() -> Any:
    try:
        import scipy.sparse as sp
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "funcdiff's sparse derivatives need scipy: pip install 'funcdiff[scipy]' "
            "(or pip install scipy)"
        ) from err
    return sp


def as_pattern(pattern: Any, shape: tuple[int, int] | None = None, what: str = "sparsity") -> Any:
    """``pattern`` (any scipy.sparse matrix or array, or a boolean ndarray) as a
    canonical boolean ``csr_array``: sorted indices, no duplicates, no stored
    ``False``. ``shape`` checks the shape (the error names both)."""
    sp = _scipy_sparse()
    if sp.issparse(pattern):
        p = sp.csr_array(pattern, copy=True)
        p.data = np.asarray(p.data != 0)
    else:
        arr = np.asarray(pattern)
        if arr.ndim != 2:
            raise ValueError(
                f"{what} must be a 2-D pattern (a scipy.sparse matrix or a boolean array), "
                f"got an array of shape {arr.shape}"
            )
        p = sp.csr_array(arr != 0)
    p.sum_duplicates()
    p.eliminate_zeros()
    p = sp.csr_array(p, dtype=bool)
    p.sort_indices()
    if shape is not None and tuple(p.shape) != tuple(shape):
        raise ValueError(f"{what} has shape {tuple(p.shape)}, but the derivative has shape {shape}")
    return p


def _ordering(adj: Any, order: str) -> np.ndarray:
    """Vertex order for greedy coloring of the graph ``adj`` (csr, no diagonal)."""
    n = adj.shape[0]
    if order == "natural":
        return np.arange(n)
    deg = np.diff(adj.indptr)
    if order == "largest_first":
        return np.argsort(-deg, kind="stable")
    if order == "smallest_last":
        return _smallest_last(adj)
    raise ValueError(f"order must be one of {ORDERS}, got {order!r}")


def _smallest_last(adj: Any) -> np.ndarray:
    """Smallest-last (degeneracy) ordering, with bucket queues: O(n + edges)."""
    n = adj.shape[0]
    ptr = adj.indptr.tolist()
    ind = adj.indices.tolist()
    deg = np.diff(adj.indptr).tolist()
    maxdeg = max(deg, default=0)
    buckets: list[set[int]] = [set() for _ in range(maxdeg + 1)]
    for v, d in enumerate(deg):
        buckets[d].add(v)
    removed = [False] * n
    out = [0] * n
    low = 0
    for k in range(n - 1, -1, -1):
        while not buckets[low]:
            low += 1
        v = buckets[low].pop()
        removed[v] = True
        out[k] = v
        for u in ind[ptr[v] : ptr[v + 1]]:
            if not removed[u]:
                d = deg[u]
                buckets[d].discard(u)
                deg[u] = d - 1
                buckets[d - 1].add(u)
        if low > 0:
            low -= 1
    return np.asarray(out, dtype=np.int64)


def _greedy_distance1(adj: Any, order: np.ndarray) -> np.ndarray:
    """Greedy coloring of the graph ``adj`` in ``order``: smallest color not
    used by a colored neighbor."""
    ptr = adj.indptr.tolist()
    ind = adj.indices.tolist()
    color = [-1] * adj.shape[0]
    ncolors = 0
    for v in order.tolist():
        nbrs = ind[ptr[v] : ptr[v + 1]]
        forbidden = {color[u] for u in nbrs}
        c = 0
        while c in forbidden:
            c += 1
        color[v] = c
        if c == ncolors:
            ncolors += 1
    return np.asarray(color, dtype=np.int64)


def _intersection_graph(pattern: Any) -> Any:
    """Columns of ``pattern`` that share a row, as a csr graph without diagonal."""
    sp = _scipy_sparse()
    p = sp.csr_array(pattern, dtype=np.int8)
    g = (p.T @ p).tocsr()
    g.sort_indices()
    return drop_diagonal(g)


def column_coloring(pattern: Any, order: Order = "largest_first") -> np.ndarray:
    """Colors of the columns of a Jacobian pattern (m, n): columns sharing a
    row get different colors. Returns an int array of n colors 0..k-1.

    >>> import numpy as np
    >>> column_coloring(np.eye(4, dtype=bool) | np.eye(4, k=1, dtype=bool)).tolist()
    [1, 0, 1, 0]
    """
    p = as_pattern(pattern)
    g = _intersection_graph(p)
    return _greedy_distance1(g, _ordering(g, order))


def row_coloring(pattern: Any, order: Order = "largest_first") -> np.ndarray:
    """Colors of the rows of a Jacobian pattern (for reverse mode): the
    column coloring of its transpose."""
    return column_coloring(as_pattern(pattern).T, order)


def check_symmetric(p: Any) -> None:
    """Raise unless the canonical csr pattern ``p`` is square and symmetric."""
    n, m = p.shape
    if n != m:
        raise ValueError(f"a Hessian sparsity pattern must be square, got shape {(n, m)}")
    t = p.T.tocsr()  # canonical too, so equal patterns have equal arrays
    t.sort_indices()
    if not (np.array_equal(t.indptr, p.indptr) and np.array_equal(t.indices, p.indices)):
        raise ValueError(
            "the Hessian sparsity pattern is not symmetric (a Hessian is); pass the full "
            "pattern, e.g. P + P.T for a triangle P"
        )


def _symmetric_graph(pattern: Any) -> Any:
    """The adjacency graph of a symmetric pattern: csr without the diagonal;
    raises if the pattern is not square and symmetric."""
    p = as_pattern(pattern)
    check_symmetric(p)
    return drop_diagonal(p)


def drop_diagonal(p: Any) -> Any:
    """A canonical square csr pattern without its diagonal (vectorized)."""
    sp = _scipy_sparse()
    n = p.shape[0]
    rows = np.repeat(np.arange(n), np.diff(p.indptr))
    keep = rows != p.indices
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[keep], minlength=n), out=indptr[1:])
    return sp.csr_array((p.data[keep], p.indices[keep], indptr), shape=p.shape)


def star_coloring(pattern: Any, order: Order = "largest_first") -> np.ndarray:
    """A star coloring of a symmetric (Hessian) pattern: a proper coloring of
    its graph in which no path on 4 vertices is bicolored. Greedy: each vertex
    takes the smallest color that keeps the colored part a star coloring.

    >>> import numpy as np
    >>> tri = np.eye(6, dtype=bool) | np.eye(6, k=1, dtype=bool) | np.eye(6, k=-1, dtype=bool)
    >>> int(star_coloring(tri).max()) + 1
    3
    """
    return star_coloring_graph(_symmetric_graph(pattern), order)


def star_coloring_graph(g: Any, order: Order = "largest_first") -> np.ndarray:
    """``star_coloring`` of the graph ``g`` (canonical csr, symmetric, no diagonal)."""
    order_arr = _ordering(g, order)
    ptr = g.indptr.tolist()
    ind = g.indices.tolist()
    color = [-1] * g.shape[0]
    ncolors = 0
    for v in order_arr.tolist():
        nbrs = ind[ptr[v] : ptr[v + 1]]
        colored = [w for w in nbrs if color[w] >= 0]
        forbidden = {color[w] for w in colored}
        if len(forbidden) < ncolors:
            # how many neighbors of v have each color: a repeated color b makes
            # v the center of a 2-colored star, so v may not take the color of
            # any vertex beyond a neighbor of color b (z-v-w-x would be bicolored)
            seen: set[int] = set()
            repeated: set[int] = set()
            for w in colored:
                b = color[w]
                if b in seen:
                    repeated.add(b)
                seen.add(b)
            for w in colored:
                b = color[w]
                rep = b in repeated
                for x in ind[ptr[w] : ptr[w + 1]]:
                    c = color[x]
                    if c < 0 or x == v or c in forbidden:
                        continue
                    if rep:
                        forbidden.add(c)
                        continue
                    # v-w-x-y bicolored if x has another neighbor y of color b
                    for y in ind[ptr[x] : ptr[x + 1]]:
                        if y != w and color[y] == b:
                            forbidden.add(c)
                            break
                if len(forbidden) == ncolors:
                    break
        c = 0
        while c in forbidden:
            c += 1
        color[v] = c
        if c == ncolors:
            ncolors += 1
    return np.asarray(color, dtype=np.int64)


def ncolors(colors: np.ndarray) -> int:
    """The number of colors of a coloring (0 for no vertices)."""
    return int(colors.max()) + 1 if colors.size else 0


def verify_column_coloring(pattern: Any, colors: np.ndarray) -> bool:
    """True iff no two columns of ``pattern`` that share a row have the same color."""
    p = as_pattern(pattern)
    colors = np.asarray(colors)
    if colors.shape != (p.shape[1],) or (colors.size and colors.min() < 0):
        return False
    rows = np.repeat(np.arange(p.shape[0]), np.diff(p.indptr))
    pairs = np.unique(np.stack([rows, colors[p.indices]]), axis=1)
    return bool(pairs.shape[1] == p.nnz)


def verify_row_coloring(pattern: Any, colors: np.ndarray) -> bool:
    """True iff no two rows of ``pattern`` that share a column have the same color."""
    return verify_column_coloring(as_pattern(pattern).T, colors)


def star_sources(pattern: Any, colors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Direct recovery for a star coloring: for each stored entry (i, j) of the
    canonical csr ``pattern``, in order, the (row, color) of the compressed
    product ``H @ S`` (``S[k, colors[k]] = 1``) that holds H_ij exactly; (i, j)
    and (j, i) read the same entry, so the recovered matrix is exactly symmetric.
    Raises ValueError if ``colors`` is not a star coloring of ``pattern``."""
    p = as_pattern(pattern)
    check_symmetric(p)
    return star_sources_canonical(p, colors)


def star_sources_canonical(p: Any, colors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``star_sources`` for a canonical, symmetric csr pattern (not rechecked)."""
    colors = np.asarray(colors, dtype=np.int64)
    n = p.shape[0]
    if colors.shape != (n,) or (n and colors.min() < 0):
        raise ValueError(f"colors must be {n} nonnegative ints, got shape {colors.shape}")
    rows = np.repeat(np.arange(n), np.diff(p.indptr))
    cols = p.indices.astype(np.int64)
    color_i, color_j = colors[rows], colors[cols]
    if np.any((color_i == color_j) & (rows != cols)):
        raise ValueError("not a proper coloring: two adjacent vertices share a color")
    # how many neighbors i has of color(j), for every entry (i, j): count the
    # keys i * k + color(j), in an (n, k) table when it is small, else by
    # sorting. A diagonal entry's key counts 1 (no neighbor shares i's color).
    k = ncolors(colors)
    key_ij = rows * k + color_j
    key_ji = cols * k + color_i  # the key of entry (j, i): present, by symmetry
    if n * k <= max(4 * rows.size, 1 << 20):
        table = np.bincount(key_ij, minlength=n * k)
        cnt_ij, cnt_ji = table[key_ij], table[key_ji]
    else:
        uniq, counts = np.unique(key_ij, return_counts=True)
        cnt_ij = counts[np.searchsorted(uniq, key_ij)]
        cnt_ji = counts[np.searchsorted(uniq, key_ji)]
    if not np.all((cnt_ij == 1) | (cnt_ji == 1)):
        raise ValueError("not a star coloring: a path on 4 vertices is bicolored")
    # (i, j) and (j, i) read the same entry, so the result is exactly
    # symmetric: the row of the smaller index when it can, else the other
    upper = rows <= cols
    from_i = upper == (np.where(upper, cnt_ij, cnt_ji) == 1)
    src_row = np.where(from_i, rows, cols)
    src_color = np.where(from_i, color_j, color_i)
    return src_row, src_color


def verify_star_coloring(pattern: Any, colors: np.ndarray) -> bool:
    """True iff ``colors`` is a star coloring of the symmetric ``pattern``:
    adjacent vertices differ, and every path on 4 vertices has 3+ colors."""
    try:
        star_sources(pattern, colors)
    except ValueError:
        return False
    return True
