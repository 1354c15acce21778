"""normcli: norms, their gradients, model comparison and regularized steps, from the shell and from Python.

The functions of :mod:`normcli.api` are importable from here::

    import normcli
    normcli.norm([3, 4])                      # 5.0
    normcli.norm(X, p=1, axis=1)              # one L1 norm per row
    normcli.grad([3, 4]), normcli.dist(a, b), normcli.normalize(x)
    normcli.compare({"A": errors_a, "B": errors_b})
    normcli.regstep(w, g, lr=0.1, l2=0.01)

``import normcli`` loads neither numpy nor the command line: each name is
imported on first use, so ``normcli --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "norm", "grad", "dist", "normalize", "compare", "regstep",
           "power_sum", "power_mean", "matrix_norm", "NormAccumulator"]
_API = ("norm", "grad", "dist", "normalize", "compare", "regstep")
_CORE = ("power_sum", "power_mean", "matrix_norm", "NormAccumulator")

if TYPE_CHECKING:  # for type checkers and editors; at run time these load lazily
    from .api import compare, dist, grad, norm, normalize, regstep
    from .core.norms import NormAccumulator, matrix_norm, power_mean, power_sum


def __getattr__(name: str) -> Any:
    if name in _API:
        from . import api

        return getattr(api, name)
    if name in _CORE:
        from .core import norms

        return getattr(norms, name)
    raise AttributeError(f"module 'normcli' has no attribute {name!r}")
