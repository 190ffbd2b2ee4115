"""One module per `python -m media` subcommand (see media/cli.py)."""
