"""``funcdiff.numpy.linalg``. STUB."""
