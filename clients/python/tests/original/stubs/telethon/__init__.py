# FAKE PROVIDER (arena-vault test harness), not Telethon. Telegram's collector talks MTProto through
# Telethon, not HTTP, so httpx.MockTransport cannot stand in for it; this fake plays Telegram the
# way MockTransport plays the HTTP providers. `script` says what the next session does:
#   script.flood_wait_seconds = N  → get_messages raises FloodWaitError(N), as Telegram's rate limit.
#   script.sessions                → the StringSession values the collector connected with.
from __future__ import annotations

from types import SimpleNamespace

from telethon.errors import FloodWaitError

script = SimpleNamespace(flood_wait_seconds=None, sessions=[])


class TelegramClient:
    def __init__(self, session, api_id, api_hash, **_kwargs):
        script.sessions.append(session.value)
        self.api_id, self.api_hash = api_id, api_hash

    async def connect(self):
        return None

    async def disconnect(self):
        return None

    async def get_me(self):
        return SimpleNamespace(id=1, username="fake")

    async def get_entity(self, channel):
        return SimpleNamespace(id=1000, username=str(channel), title=str(channel))

    async def get_messages(self, *_args, **_kwargs):
        if script.flood_wait_seconds is not None:
            raise FloodWaitError(request=None, capture=script.flood_wait_seconds)
        return []
