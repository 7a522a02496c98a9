"""Helpers the cogs share: admin checks and cooldowns, Discord-limit formatting, answer buttons."""
