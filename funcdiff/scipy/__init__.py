"""``funcdiff.scipy``: scipy functions, traceable and differentiable.

``linalg`` imports without scipy, and most of it runs on numpy alone
(``expm`` included); ``sqrtm``, ``logm``, ``solve_sylvester`` and ``polar``'s
derivatives compute with scipy, imported when first needed.
``special`` computes its values with scipy (an optional extra,
``pip install funcdiff[scipy]``), imported when a value is first needed;
``stats`` (the distributions) is built on ``special``.
"""

from funcdiff.scipy import linalg as linalg
from funcdiff.scipy import special as special
from funcdiff.scipy import stats as stats

__all__ = ["linalg", "special", "stats"]
