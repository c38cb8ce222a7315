# STUB (arena-vault test harness), not the original file. The original builds its Settings with
# pydantic-settings from a .env; nothing on the collectors' credential path reads it. Every caller
# in the vendored modules wraps get_settings() in try/except and falls back to os.environ, so this
# stub raises to take that fallback (e.g. PSEUDONYMIZATION_SALT for the normalizer).


class Settings:
    """Import-time placeholder for config/__init__.py's re-export."""


def get_settings() -> Settings:
    raise RuntimeError("issue_observatory settings are stubbed in arena-vault's test harness; use the environment")
