"""The fixed words of the command-line contract every command shares (no imports: --help loads it)."""

#: --output: auto is a table on a terminal and plain in a pipe.
FORMATS = ("auto", "table", "plain", "csv", "json")
#: --nan: what a missing, non-numeric or non-finite value does.
NAN_POLICIES = ("error", "omit", "propagate")
