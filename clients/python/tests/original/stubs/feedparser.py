# STUB (arena-vault test harness), not feedparser. youtube/_client.py imports it at import time for
# poll_channel_rss (channel RSS, no credential), which the tests do not call.


def parse(*_args, **_kwargs):
    raise RuntimeError("feedparser is stubbed in arena-vault's test harness")
