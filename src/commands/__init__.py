"""The project's own CLI groups, added to the Litestar CLI by `src.cli.main`."""

from __future__ import annotations

import click

from src.commands.db_functions import db_functions
from src.commands.seed import seed


def register(cli: click.Group) -> None:
    for command in (db_functions, seed):
        cli.add_command(command)
