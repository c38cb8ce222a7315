# FAKE PROVIDER (arena-vault test harness), not Telethon.


class StringSession:
    def __init__(self, value=None):
        self.value = value
