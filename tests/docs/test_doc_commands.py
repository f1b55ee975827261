"""Every ``manage.py`` command the docs show exists and accepts the options shown, so docs cannot rot.

A command is checked with the parser ``call_command`` uses (``create_parser(...).parse_args``);
a few read-only, fast ones are also run for real.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError

from tests.docs.commands_in_docs import DocCommand, all_doc_commands, commands_in, doc_files

DOC_COMMANDS = all_doc_commands()
#: Read-only and quick: run them exactly as documented.
RUN_FOR_REAL = {("metrics", ("--list",)), ("dburl", ("--role", "app")), ("dburl", ("--role", "replication")),
                ("dbserver", ("status",))}


def _parse(command: DocCommand):
    app = get_commands()[command.name]
    instance = load_command_class(app, command.name)
    return instance.create_parser("manage.py", command.name).parse_args(list(command.args))


def test_the_docs_show_commands() -> None:
    assert doc_files(), "README.md and docs/*.md are missing"
    names = {c.name for c in DOC_COMMANDS}
    assert {"metrics", "report", "bench_rls"} <= names, names


@pytest.mark.parametrize("command", DOC_COMMANDS, ids=str)
def test_documented_command_exists_and_its_options_parse(command: DocCommand) -> None:
    assert command.name in get_commands(), f"{command}: no such management command"
    try:
        _parse(command)
    except CommandError as exc:
        pytest.fail(f"{command}: {exc}")


def test_the_extractor_finds_what_a_reader_would_type(tmp_path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Run `python manage.py metrics --tenant acme --json` or\n"
        "```bash\nLAKEHOUSE_NO_AUTOSTART=1 .venv/bin/python manage.py dbserver status  # prints the port\n"
        "python manage.py bootstrap_db && python manage.py migrate\n"
        "python manage.py report \\\n  --out /tmp/r.html | head\n```\n"
        "Usage: `python manage.py seed_all --scale small|medium [--clean]` (see `python manage.py dburl --role app)`\n"
        "manage.py alone, python manage.py --help or python manage.py <command>, is not a command line.\n"
    )
    found = [(c.name, c.args) for c in commands_in(page)]
    assert found == [
        ("metrics", ("--tenant", "acme", "--json")), ("dbserver", ("status",)), ("bootstrap_db", ()),
        ("migrate", ()), ("report", ("--out", "/tmp/r.html")),
        ("seed_all", ("--scale", "small", "--clean")), ("dburl", ("--role", "app")),
    ]


def test_a_wrong_option_is_caught() -> None:
    with pytest.raises(CommandError):
        _parse(DocCommand("x", "metrics", ("--no-such-option",)))


@pytest.mark.parametrize("command", [c for c in DOC_COMMANDS if (c.name, c.args) in RUN_FOR_REAL], ids=str)
def test_light_documented_commands_run(command: DocCommand, db) -> None:
    out = StringIO()
    call_command(command.name, *command.args, stdout=out)
    assert out.getvalue().strip(), f"{command} printed nothing"
