"""Who may run admin commands, and the per-user question cooldown shared by /ask, mentions and DMs."""
from __future__ import annotations

import time

import discord
from discord import app_commands


class NotAdmin(app_commands.CheckFailure):
    """Raised by `admin_only`; its message is shown to the user as is."""


def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server in this channel, or the role named by ADMIN_ROLE (case-insensitive)."""
    if interaction.guild is None:
        return False
    if interaction.permissions.manage_guild:
        return True
    role_name = interaction.client.settings.admin_role.strip().lower()  # type: ignore[attr-defined]
    roles = getattr(interaction.user, "roles", [])
    return bool(role_name) and any(r.name.lower() == role_name for r in roles)


def admin_only():
    """An app-command check: only admins pass; others get a one-line reason via tree.on_error."""
    def predicate(interaction: discord.Interaction) -> bool:
        if is_admin(interaction):
            return True
        role = interaction.client.settings.admin_role  # type: ignore[attr-defined]
        needs = f"the Manage Server permission or the {role!r} role" if role else "the Manage Server permission"
        raise NotAdmin(f"Only admins can do that: it needs {needs}.")
    return app_commands.check(predicate)


class UserCooldown:
    """One question per user every `seconds`, whatever the route (slash command, mention or DM).

    A plain dict, not commands.CooldownMapping: that keys on a Message, and slash commands have none."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: dict[int, float] = {}

    def retry_after(self, user_id: int) -> float:
        """0 and the use recorded when the user may ask now; otherwise the seconds left to wait."""
        if self.seconds <= 0:
            return 0.0
        now = time.monotonic()
        left = self._last.get(user_id, -self.seconds) + self.seconds - now
        if left > 0:
            return left
        self._last[user_id] = now
        if len(self._last) > 10_000:  # forget users whose cooldown has long passed
            self._last = {u: t for u, t in self._last.items() if now - t < self.seconds}
        return 0.0
