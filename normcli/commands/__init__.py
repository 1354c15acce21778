"""The commands, one module each, registered in ``COMMANDS`` in their ``--help`` order.

A command module holds one function named after its command (Typer turns
``compare_models`` into ``compare-models``) and ``COMMAND``, the keyword
arguments of its registration (short help, epilog). It reads its operands,
refuses option combinations with ``UsageError``, calls core and hands one
``Result`` to :mod:`.common`: no arithmetic, no note text. Modules import
numpy, inputs and core inside the function, so that ``--help`` and
completion load none of them.
"""

from __future__ import annotations

from importlib import import_module

#: Module names, in --help order; each module's function has the same name.
COMMANDS = ("norm", "grad", "compare_models", "regstep", "backprop", "dist", "normalize", "sobolev", "ball")


def load(name: str):
    """The module of command ``name`` (module spelling: ``compare_models``)."""
    return import_module(f"{__name__}.{name}")
