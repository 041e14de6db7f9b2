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

Orders (``order=``): the greedy loops ("largest_first", "natural",
"smallest_last") visit each vertex once, in Python, over plain lists (a few
set operations each: about 1-2 s per million vertices). "banded" is the
greedy in the order (i mod L, i), vectorized: one numpy pass per residue
(see below), fast when the bandwidth is small, but it may take more colors
than the loops on wide bands and grids. "auto" (the default) takes the
"banded" result when its passes are few and its color count meets a lower
bound (the nonzeros of one row for Jacobians; 3 for a Hessian with a path
on 4 vertices), so it is optimal (a chained, tridiagonal Hessian: 3 colors
at any n), and otherwise the better of it and "largest_first". Everything
around the loops (the intersection graph, orderings, checks and recovery
indices) is vectorized numpy/scipy. No recursion.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

Order = Literal["auto", "banded", "largest_first", "natural", "smallest_last"]
ORDERS = ("auto", "banded", "largest_first", "natural", "smallest_last")
# "auto" takes the vectorized "banded" order when its passes are this many
# times fewer than the vertices, else "largest_first"
_BANDED_RATIO = 1000


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
    if order == "auto":
        order = "largest_first"
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
    used = 0
    for v in order.tolist():
        nbrs = ind[ptr[v] : ptr[v + 1]]
        forbidden = {color[u] for u in nbrs}
        c = 0
        while c in forbidden:
            c += 1
        color[v] = c
        if c == used:
            used += 1
    return np.asarray(color, dtype=np.int64)


def _intersection_graph(pattern: Any) -> Any:
    """Columns of ``pattern`` that share a row, as a csr graph without diagonal."""
    sp = _scipy_sparse()
    p = sp.csr_array(pattern, dtype=np.int32)  # counts of shared rows: no wrap-around
    g = (p.T.tocsr() @ p).tocsr()
    g.sort_indices()
    return drop_diagonal(g)


def column_coloring(pattern: Any, order: Order = "auto") -> np.ndarray:
    """Colors of the columns of a Jacobian pattern (m, n): columns sharing a
    row get different colors. Returns an int array of n colors 0..k-1.

    >>> import numpy as np
    >>> column_coloring(np.eye(4, dtype=bool) | np.eye(4, k=1, dtype=bool)).tolist()
    [1, 0, 1, 0]
    """
    p = as_pattern(pattern)
    g = _intersection_graph(p)
    width = bandwidth(g) + 1
    if order == "banded":
        return _batched_distance1(g, width)
    if order == "auto" and width * _BANDED_RATIO <= g.shape[0]:
        fast = _batched_distance1(g, width)
        # the columns of one row need distinct colors: at that bound it is optimal
        if ncolors(fast) <= int(np.diff(p.indptr).max(initial=0)):
            return fast
        slow = _greedy_distance1(g, _ordering(g, "largest_first"))
        return fast if ncolors(fast) < ncolors(slow) else slow
    return _greedy_distance1(g, _ordering(g, order))


def row_coloring(pattern: Any, order: Order = "auto") -> np.ndarray:
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


def star_coloring(pattern: Any, order: Order = "auto") -> np.ndarray:
    """A star coloring of a symmetric (Hessian) pattern: a proper coloring of
    its graph in which no path on 4 vertices is bicolored. Greedy: each vertex
    takes the smallest color that keeps the colored part a star coloring.

    >>> import numpy as np
    >>> tri = np.eye(6, dtype=bool) | np.eye(6, k=1, dtype=bool) | np.eye(6, k=-1, dtype=bool)
    >>> int(star_coloring(tri).max()) + 1
    3
    """
    return star_coloring_graph(_symmetric_graph(pattern), order)


def _star_lower_bound(g: Any) -> int:
    """A lower bound on the star colors of the graph ``g``: 3 if it has a path
    on 4 vertices or a triangle (an edge between two vertices of degree 2+),
    else 2 with an edge, else 1 (0 without vertices)."""
    if g.shape[0] == 0:
        return 0
    if g.nnz == 0:
        return 1
    deg = np.diff(g.indptr)
    rows = np.repeat(np.arange(g.shape[0]), deg)
    return 3 if bool(np.any((deg[rows] >= 2) & (deg[g.indices] >= 2))) else 2


def star_coloring_graph(g: Any, order: Order = "auto") -> np.ndarray:
    """``star_coloring`` of the graph ``g`` (canonical csr, symmetric, no diagonal)."""
    width = 3 * bandwidth(g) + 1
    if order == "banded":
        return _batched_star(g, width)
    if order == "auto" and width * _BANDED_RATIO <= g.shape[0]:
        fast = _batched_star(g, width)
        if ncolors(fast) <= _star_lower_bound(g):
            return fast
        slow = star_coloring_graph(g, "largest_first")
        return fast if ncolors(fast) < ncolors(slow) else slow
    order_arr = _ordering(g, order)
    ptr = g.indptr.tolist()
    ind = g.indices.tolist()
    color = [-1] * g.shape[0]
    used = 0
    for v in order_arr.tolist():
        nbrs = ind[ptr[v] : ptr[v + 1]]
        colored = [w for w in nbrs if color[w] >= 0]
        forbidden = {color[w] for w in colored}
        if len(forbidden) < used:
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
                if len(forbidden) == used:
                    break
        c = 0
        while c in forbidden:
            c += 1
        color[v] = c
        if c == used:
            used += 1
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
    k = ncolors(colors)
    # int32 where the keys fit: half the memory traffic on large patterns
    it = np.int32 if n * max(k, 1) < 2**31 - 1 else np.int64
    colors = colors.astype(it)
    rows = np.repeat(np.arange(n, dtype=it), np.diff(p.indptr))
    cols = p.indices.astype(it, copy=False)
    color_i, color_j = colors[rows], colors[cols]
    if np.any((color_i == color_j) & (rows != cols)):
        raise ValueError("not a proper coloring: two adjacent vertices share a color")
    # how many neighbors i has of color(j), for every entry (i, j): count the
    # keys i * k + color(j), in an (n, k) table when it is small, else by
    # sorting. A diagonal entry's key counts 1 (no neighbor shares i's color).
    key_ij = rows * it(k)
    key_ij += color_j
    key_ji = cols * it(k)  # the key of entry (j, i): present, by symmetry
    key_ji += color_i
    if n * k <= max(4 * rows.size, 1 << 20):
        table = np.bincount(key_ij, minlength=n * k).astype(it)
        one_ij, one_ji = table[key_ij] == 1, table[key_ji] == 1
    else:
        uniq, counts = np.unique(key_ij, return_counts=True)
        one_ij = counts[np.searchsorted(uniq, key_ij)] == 1
        one_ji = counts[np.searchsorted(uniq, key_ji)] == 1
    if not np.all(one_ij | one_ji):
        raise ValueError("not a star coloring: a path on 4 vertices is bicolored")
    # (i, j) and (j, i) read the same entry, so the result is exactly
    # symmetric: the row of the smaller index when it can, else the other
    upper = rows <= cols
    from_i = upper == np.where(upper, one_ij, one_ji)
    src_row = np.where(from_i, rows, cols).astype(np.int64)
    src_color = np.where(from_i, color_j, color_i).astype(np.int64)
    return src_row, src_color


def seed_matrix(colors: np.ndarray, dtype: Any) -> np.ndarray:
    """The tangents (or cotangents) of the compressed products: row ``c``
    is the sum of the unit vectors of the columns of color ``c``."""
    n = colors.shape[0]
    seeds = np.zeros((ncolors(colors), n), dtype=dtype)
    seeds[colors, np.arange(n)] = 1
    return seeds


def star_recovery(
    p: Any, dtype: Any, order: Order = "auto"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A compressed Hessian for the canonical symmetric csr pattern ``p``:
    its star coloring, the seeds (``seed_matrix``), and for each stored
    entry in CSR order its flat index in the products ``H @ seeds.T``
    stacked as (colors, n)."""
    colors = star_coloring_graph(drop_diagonal(p), order)
    src_row, src_color = star_sources_canonical(p, colors)
    return colors, seed_matrix(colors, dtype), src_color * p.shape[0] + src_row


def verify_star_coloring(pattern: Any, colors: np.ndarray) -> bool:
    """True iff ``colors`` is a star coloring of the symmetric ``pattern``:
    adjacent vertices differ, and every path on 4 vertices has 3+ colors."""
    try:
        star_sources(pattern, colors)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------
# vectorized greedy for small bandwidth
# ---------------------------------------------------------------------------
#
# A vertex's greedy choice depends only on the colors near it: its neighbors
# (distance-1 coloring), or vertices up to 3 edges away (star coloring). If
# every edge joins vertices at most b apart in index (bandwidth b), vertices
# whose indices differ by more than 3b are more than 3 edges apart, so the
# vertices i = r mod (3b + 1) can be colored all at once, one numpy pass per
# residue r: the greedy in the order (i mod L, i), vectorized. It is used
# when those L passes are far fewer than the n vertices (chained and banded
# problems, stencils on grids), and is the "banded" order.


def bandwidth(g: Any) -> int:
    """max |i - j| over the entries of the csr graph ``g`` (0 if none)."""
    if g.nnz == 0:
        return 0
    rows = np.repeat(np.arange(g.shape[0]), np.diff(g.indptr))
    return int(np.abs(rows - g.indices).max())


def _expand(indptr: np.ndarray, indices: np.ndarray, verts: np.ndarray) -> tuple[Any, Any]:
    """For vertices ``verts``: (position in verts, neighbor) for each neighbor."""
    starts = indptr[verts]
    lens = indptr[verts + 1] - starts
    total = int(lens.sum())
    src = np.repeat(np.arange(verts.size), lens)
    ends = np.cumsum(lens)
    offs = np.arange(total) - np.repeat(ends - lens, lens)
    return src, indices[np.repeat(starts, lens) + offs]


def _unique(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values (by a sort: numpy's hashed unique is slower here)."""
    s = np.sort(keys)
    keep = np.ones(s.size, dtype=bool)
    keep[1:] = s[1:] != s[:-1]
    return s[keep]


def _count_each(keys: np.ndarray, size: int) -> np.ndarray:
    """For each of ``keys`` (ints in [0, size)), how often it occurs in ``keys``."""
    if size <= 4 * keys.size + (1 << 20):
        counts: np.ndarray = np.bincount(keys, minlength=size)[keys]
        return counts
    order = np.argsort(keys, kind="stable")
    s = keys[order]
    first = np.ones(s.size, dtype=bool)
    first[1:] = s[1:] != s[:-1]
    starts = np.flatnonzero(first)
    sizes = np.diff(np.append(starts, s.size))
    out = np.empty(keys.size, dtype=np.int64)
    out[order] = np.repeat(sizes, sizes)
    return out


def _smallest_free(nv: int, who: np.ndarray, forbidden: np.ndarray) -> np.ndarray:
    """For each of ``nv`` vertices, the smallest color not among the
    ``forbidden`` colors paired with it (``who``: its position)."""
    out = np.zeros(nv, dtype=np.int64)
    if who.size == 0:
        return out
    k = int(forbidden.max()) + 2
    keys = _unique(who * k + forbidden)
    v, c = keys // k, keys % k
    first = np.ones(keys.size, dtype=bool)
    first[1:] = v[1:] != v[:-1]
    starts = np.flatnonzero(first)
    sizes = np.diff(np.append(starts, keys.size))
    rank = np.arange(keys.size) - np.repeat(starts, sizes)
    # colors sorted per vertex: the first color that is not its rank is free
    big = np.iinfo(np.int64).max
    low = np.minimum.reduceat(np.where(c != rank, rank, big), starts)
    out[v[starts]] = np.where(low == big, sizes, low)
    return out


def _batched_distance1(g: Any, width: int) -> np.ndarray:
    """Greedy distance-1 coloring in the order (i mod width, i), one pass per
    residue; needs every edge to join indices less than ``width`` apart."""
    n = g.shape[0]
    ptr, ind = g.indptr.astype(np.int64), g.indices.astype(np.int64)
    color = np.full(n, -1, dtype=np.int64)
    for r in range(min(width, n)):
        verts = np.arange(r, n, width)
        a, w = _expand(ptr, ind, verts)
        cw = color[w]
        keep = cw >= 0
        color[verts] = _smallest_free(verts.size, a[keep], cw[keep])
    return color


def _batched_star(g: Any, width: int) -> np.ndarray:
    """Greedy star coloring in the order (i mod width, i), one pass per
    residue; needs indices ``width`` apart to be 4+ edges apart."""
    n = g.shape[0]
    ptr, ind = g.indptr.astype(np.int64), g.indices.astype(np.int64)
    color = np.full(n, -1, dtype=np.int64)
    for r in range(min(width, n)):
        verts = np.arange(r, n, width)
        # colored neighbors w of each v: their colors are forbidden
        a, w = _expand(ptr, ind, verts)
        keep = color[w] >= 0
        a, w = a[keep], w[keep]
        b = color[w]
        k = int(color.max()) + 2
        # a color b on two neighbors makes v a star center (repeated)
        rep = _count_each(a * k + b, verts.size * k) > 1
        # colored x beyond each w (x != v): forbid color(x) if v's color b is
        # repeated (z-v-w-x) or x has another neighbor of color b (v-w-x-y)
        e, x = _expand(ptr, ind, w)
        keep = (color[x] >= 0) & (x != verts[a[e]])
        e, x = e[keep], x[keep]
        # colored neighbors of each x, counted per color
        ux = _unique(x)
        f, y = _expand(ptr, ind, ux)
        cy = color[y]
        ok = cy >= 0
        table = np.bincount(f[ok] * k + cy[ok], minlength=ux.size * k)
        two = table[np.searchsorted(ux, x) * k + b[e]] >= 2
        bad = rep[e] | two
        who = np.concatenate([a, a[e[bad]]])
        forbidden = np.concatenate([b, color[x[bad]]])
        color[verts] = _smallest_free(verts.size, who, forbidden)
    return color
