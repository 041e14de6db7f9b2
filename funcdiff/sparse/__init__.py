"""Large sparse problems: sparsity patterns read from the jaxpr, coloring,
and sparse Jacobians and Hessians by compressed evaluation.

- ``jacobian_sparsity(f)(x)`` / ``hessian_sparsity(f)(x)``: the structural
  pattern (``scipy.sparse`` boolean), valid for every ``x`` of that shape
  and dtype, found by interpreting ``f``'s jaxpr over index sets; every
  primitive states how its pattern propagates (``Primitive(...,
  sparsity=...)``), ``conservative_primitives()`` lists those without a rule.
- ``sparse_jacobian(f)(x)`` / ``sparse_hessian(f)(x)``: ``csr_array``
  derivatives, one vmapped jvp / vjp / Hessian-vector product over the
  colors of the pattern (column or row coloring for Jacobians, star coloring
  for Hessians), prepared once per input signature.
- ``column_coloring``, ``row_coloring``, ``star_coloring``: the colorings,
  for patterns of your own.

scipy is needed (``pip install funcdiff[scipy]``); without it these
functions raise an error that names the extra.

>>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
>>> def rosen(x):
...     return fnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
>>> x = np.zeros(10_000)
>>> fd.hessian_sparsity(rosen)(x).nnz  # tridiagonal
29998
>>> hess = fd.sparse_hessian(rosen)
>>> H = hess(x)  # detected and colored once for this shape, then 3 HVPs
>>> hess.prepare(x).ncolors, float(H[1, 1])
(3, 202.0)
"""

from funcdiff.sparse._coloring import column_coloring, row_coloring, star_coloring
from funcdiff.sparse._detect import conservative_primitives, hessian_sparsity, jacobian_sparsity
from funcdiff.sparse._eval import (
    HessianPlan,
    JacobianPlan,
    SparseHessian,
    SparseJacobian,
    sparse_hessian,
    sparse_jacobian,
)

__all__ = [
    "HessianPlan",
    "JacobianPlan",
    "SparseHessian",
    "SparseJacobian",
    "column_coloring",
    "conservative_primitives",
    "hessian_sparsity",
    "jacobian_sparsity",
    "row_coloring",
    "sparse_hessian",
    "sparse_jacobian",
    "star_coloring",
]
