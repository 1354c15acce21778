"""The shared options: declared once, placed where a command's ``opts`` is, checked while parsing."""

from __future__ import annotations

import inspect

import pytest

from normcli import env
from normcli.commands import COMMANDS, load
from normcli.commands.options import Shared, Words, shared
from normcli.errors import UsageError


def test_shared_puts_the_options_where_opts_is_and_hands_them_over_as_one_value():
    seen = {}

    @shared("file", "nan", "output")
    def command(values: list | None = None, p: str | None = None, opts: Shared = Shared(), last: int = 0) -> None:
        seen.update(values=values, p=p, opts=opts, last=last)

    names = list(inspect.signature(command).parameters)
    assert names == ["values", "p", "file", "nan", "output", "last"]
    command(values=["1"], p="2", file="a.csv", nan="omit", output="json", last=3)
    assert seen == {"values": ["1"], "p": "2", "opts": Shared(file="a.csv", nan="omit", output="json"), "last": 3}
    with pytest.raises(TypeError, match="no shared option 'bogus'"):
        shared("bogus")


def test_every_command_module_declares_itself_and_takes_its_shared_options_once():
    for name in COMMANDS:
        module = load(name)
        function = getattr(module, name)
        params = list(inspect.signature(function).parameters)
        assert "opts" not in params and len(params) == len(set(params))
        assert module.COMMAND["short_help"]


def test_strict_words_refuse_other_words_with_one_message_and_complete_to_their_choices():
    words = Words("auto", "table", strict="--output")
    assert words.convert("table", None, None) == "table"
    with pytest.raises(UsageError, match=r"^--output must be one of auto, table, not 'x'$"):
        words.convert("x", None, None)
    assert Words("half", "full").convert("anything", None, None) == "anything"  # the command checks it
    assert [item.value for item in words.shell_complete(None, None, "t")] == ["table"]
    assert words.get_metavar(None) == "[auto|table]"


def test_a_cli_runner_test_can_ask_for_a_terminal(run):
    piped = run(["norm", "1,2,3"])
    assert piped.stdout == "3.7416573867739413\n"
    with env.use(env.Environment(stdout_tty=True, columns=60)):
        terminal = run(["norm", "1,2,3"])
    assert terminal.exit_code == 0 and "L2 norm" in terminal.stdout and "┃" in terminal.stdout
    assert max(map(len, terminal.stdout.splitlines())) <= 60


def test_the_environment_is_read_once_from_the_process():
    e = env.detect(environ={"NO_COLOR": "1", "COLUMNS": "77", "FORCE_COLOR": "", "NORMCLI_READER": " Polars "})
    assert e.no_color and e.columns == 77 and e.reader == "polars" and e.styled is False
    assert env.detect(environ={"TTY_COMPATIBLE": "1"}).styled is True
    assert env.detect(environ={"NORMCLI_PROGRESS_DELAY": "x"}).progress_delay == 1.0
