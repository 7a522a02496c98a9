"""Footnote's only entry point: `python bot.py index|ask|run|feedback|gaps|status`."""

from footnote.cli import main

if __name__ == "__main__":
    main()
