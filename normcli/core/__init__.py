"""Pure numerics: no I/O, no printing, no exits."""
