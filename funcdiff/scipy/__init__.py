"""``funcdiff.scipy``: scipy functions, traceable and differentiable.

Implemented on funcdiff's primitives with numpy only: scipy itself is not
needed (``import funcdiff.scipy.linalg`` works without it).
"""

from funcdiff.scipy import linalg as linalg

__all__ = ["linalg"]
