"""One cog per feature: ask (questions), admin (/reindex, /add, /status), watch (seeds/ changes)."""
