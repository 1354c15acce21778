"""normcli: norms, their gradients, model comparison and regularized steps, from the shell.

The numerical functions live in :mod:`normcli.core` and are importable
without the command line::

    from normcli.core.norms import norm, power_sum, power_mean, matrix_norm
"""

__version__ = "0.1.0"

__all__ = ["__version__", "norm", "power_sum", "power_mean", "matrix_norm", "NormAccumulator"]


def __getattr__(name):
    # Re-export the core functions lazily so `normcli --help` never loads numpy.
    if name in __all__[1:]:
        from .core import norms

        return getattr(norms, name)
    raise AttributeError(f"module 'normcli' has no attribute {name!r}")
