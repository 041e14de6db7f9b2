"""``funcdiff.scipy``: scipy functions, traceable and differentiable.

``linalg`` is implemented on funcdiff's primitives with numpy only: scipy
itself is not needed (``import funcdiff.scipy.linalg`` works without it).
``special`` computes its values with scipy (an optional extra,
``pip install funcdiff[scipy]``), imported when a value is first needed;
``stats`` (the distributions) is built on ``special``.
"""

from funcdiff.scipy import linalg as linalg
from funcdiff.scipy import special as special
from funcdiff.scipy import stats as stats

__all__ = ["linalg", "special", "stats"]
