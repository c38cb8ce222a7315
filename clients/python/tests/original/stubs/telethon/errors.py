# FAKE PROVIDER (arena-vault test harness), not Telethon: the error classes the collector catches.


class RPCError(Exception):
    pass


class FloodWaitError(RPCError):
    def __init__(self, request=None, capture=0):
        super().__init__(f"A wait of {capture} seconds is required")
        self.seconds = capture


class UserDeactivatedBanError(RPCError):
    pass


class ChannelPrivateError(RPCError):
    pass


class PeerIdInvalidError(RPCError):
    pass
