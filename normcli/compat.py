"""The one home of typer's private names that normcli needs.

typer 0.28 vendors click as ``typer._click``; normcli subclasses its group,
command and option classes and catches its exceptions, so those names are
imported here and nowhere else. pyproject pins ``typer>=0.28,<0.29``: 0.29
converts every parameter through pydantic, which costs about 70 ms per call
and breaks the startup budget (<= 1.3x a minimal typer + numpy script).
Moving to a newer typer (or to click itself, typer's engine) means
changing only this module.
"""

from __future__ import annotations

from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer._click.exceptions import UsageError as ClickUsageError
from typer._click.globals import get_current_context
from typer._click.shell_completion import CompletionItem
from typer._click.types import ParamType
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.exceptions import Abort

__all__ = [
    "Abort", "ClickException", "ClickUsageError", "CompletionItem", "NoArgsIsHelpError", "ParamType",
    "TyperCommand", "TyperGroup", "TyperOption", "get_current_context",
]
