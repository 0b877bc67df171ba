"""The `recoup` subcommands, one module each."""
