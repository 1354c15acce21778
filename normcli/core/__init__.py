"""Pure numerics: no I/O, no printing, no exits.

Core imports nothing from outside core. What it refuses it raises as
:class:`normcli.core.errors.CoreError` (a ``ValueError``); the extended
precision it computes in, and the rounding back to float64, are
:mod:`normcli.core.precision`'s.
"""
