"""The project's own CLI groups, added to the Litestar CLI by `src.cli.main`."""

from __future__ import annotations

import click

from src.commands.api_keys import api_keys
from src.commands.db_functions import db_functions
from src.commands.seed import seed
from src.commands.users import users


def register(cli: click.Group) -> None:
    for command in (db_functions, seed, users, api_keys):
        cli.add_command(command)
