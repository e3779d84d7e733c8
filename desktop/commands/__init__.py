"""Subcommands of ``soumu-desk``; each module has ``register(subparsers)``."""

from desktop.commands import ask, kb, log, models, screenshots

COMMAND_MODULES = (kb, ask, log, models, screenshots)
