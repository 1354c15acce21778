"""Text from the user made safe to show: no terminal control characters reach the screen.

Both :mod:`normcli.render` (tables, errors) and :mod:`normcli.plots`
(picture titles and labels) show names that came from the input; this is
their one rule for it, so neither imports the other.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_text(text: str) -> str:
    r"""Show control characters as escapes so they cannot act on a terminal.

    >>> safe_text("a\x1b[31mb")
    'a\\x1b[31mb'
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
