"""``python -m normcli``."""

from .cli import main

main()
