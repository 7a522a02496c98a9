"""Footnote on Discord: the bot, its cogs and the process runner."""
