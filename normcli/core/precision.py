"""Extended precision: the one place core decides what it computes in, and how results come back to float64.

Every core module that sums, raises to powers or rescales in more than
float64 takes its type and its rounding from here; none decides on its own.

What is guaranteed
------------------
* :data:`EXTENDED` is True where numpy's ``long double`` has a mantissa of
  at least 64 bits: the x87 80-bit format (x86-64 Linux and BSD, macOS on
  Intel), IEEE binary128 (aarch64 and s390x Linux) or double-double
  (ppc64). :data:`EXT` is then ``np.longdouble``: at least 11 more bits
  than float64, and (but for double-double) an exponent range to about
  1e+-4932, so a sum, power or ratio of float64 values neither overflows nor
  underflows on the way, and the result is rounded to float64 once
  (:func:`to_float64`).
* Where ``long double`` is only a double -- Windows (MSVC), macOS on Apple
  silicon (arm64) -- :data:`EXTENDED` is False and :data:`EXT` is
  ``np.float64``. Nothing pretends otherwise: the norms sum their scaled
  terms exactly with ``math.fsum`` (:func:`ext` gives Python floats for
  those sums) and split exponents apart where a ratio could leave the
  float64 range, and sobolev forms weights beyond that range from
  logarithms. The results keep their range safety; a few carry a rounding
  error more.
* A module binds these names when it is imported (``from .precision import
  EXT``) and looks them up at call time, so a test forces the float64 path
  of one module by patching that module's ``EXT``.

Also here: :data:`LN2` and :func:`ext` (constants and scalars in the sums'
precision), and :func:`to_float64` / :func:`rows_to_float64`, which round
an extended result to float64 and say when it left the float64 range.
"""

from __future__ import annotations

import math

import numpy as np

from .result import Outcome

#: True where ``np.longdouble`` has a 64-bit (or longer) mantissa; see the module docstring.
EXTENDED: bool = bool(np.finfo(np.longdouble).nmant >= 63)

#: The extended type: ``np.longdouble`` where :data:`EXTENDED`, else ``np.float64``.
EXT = np.longdouble if EXTENDED else np.float64

#: ln 2 in the sums' precision: an :data:`EXT` scalar where :data:`EXTENDED`, else a Python float.
LN2 = np.log(np.longdouble(2)) if EXTENDED else math.log(2.0)


def ext(v: float):
    """``v`` as a scalar of the sums' precision: :data:`EXT` where :data:`EXTENDED`, else a Python float.

    Where there is no extended type the sums are ``math.fsum`` results,
    Python floats; this keeps a running total of the same kind.

    >>> float(ext(0.5))
    0.5
    """
    return np.longdouble(v) if EXTENDED else float(v)


def to_float64(exact, nonzero: bool = False) -> Outcome:
    """Round an extended-precision result to float64, noting range loss.

    ``nonzero``: the true result is known not to be 0, so a 0 here (even
    one the extended computation itself underflowed to) is range loss.

    >>> to_float64(ext(2.0) ** 1100 if EXTENDED else math.inf).note
    'the result exceeds the float64 range (about 1.8e308)'
    >>> to_float64(0.0, nonzero=True)
    Outcome(value=0.0, note='the result is below the smallest float64 and rounds to 0')
    """
    value = float(exact)
    if math.isinf(value):
        return Outcome(math.inf, "the result exceeds the float64 range (about 1.8e308)")
    if value == 0.0 and (nonzero or exact != 0):
        return Outcome(0.0, "the result is below the smallest float64 and rounds to 0")
    return Outcome(value)


def rows_to_float64(exact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Round an array of extended results to float64: (values, out_of_range).

    ``out_of_range`` marks the entries that became inf or 0 although the
    extended value was finite or non-zero.
    """
    with np.errstate(over="ignore"):
        values = exact.astype(np.float64)
    flags = (np.isinf(values) & np.isfinite(exact)) | ((values == 0) & (exact != 0))
    return values, flags


__all__ = ["EXT", "EXTENDED", "LN2", "ext", "rows_to_float64", "to_float64"]
