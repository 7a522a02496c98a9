"""Who may run admin commands, and the per-user question cooldown shared by /ask, mentions and DMs."""

from __future__ import annotations

import time

import discord
from discord import app_commands


class NotAdmin(app_commands.CheckFailure):
    """Raised by `admin_only`; its message is shown to the user as is."""


def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server in this channel, or a role whose id is in ADMIN_ROLE_ID. By id, not name: any
    member allowed to make roles could otherwise name one alike."""
    if interaction.guild is None:
        return False
    if interaction.permissions.manage_guild:
        return True
    admin_roles = set(interaction.client.settings.admin_role_id)  # type: ignore[attr-defined]
    return any(r.id in admin_roles for r in getattr(interaction.user, "roles", []))


def admin_only():
    """An app-command check: only admins pass; others get a one-line reason via tree.on_error."""

    def predicate(interaction: discord.Interaction) -> bool:
        if is_admin(interaction):
            return True
        roles = interaction.client.settings.admin_role_id  # type: ignore[attr-defined]
        # <@&id> shows the role's name and, sent with NO_PINGS, notifies nobody.
        needs = "the Manage Server permission" + (
            " or the role " + " or ".join(f"<@&{r}>" for r in roles) if roles else ""
        )
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
