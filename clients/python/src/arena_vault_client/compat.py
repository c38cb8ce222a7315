"""A drop-in for the original platform's ``CredentialPool``: change one import.

    # from issue_observatory.core.credential_pool import CredentialPool, get_credential_pool
    from arena_vault_client.compat import CredentialPool, get_credential_pool

    pool = get_credential_pool()                # ARENA_VAULT_URL, ARENA_VAULT_API_KEY
    cred = await pool.acquire("serper", "medium", task_id=self.request.id)
    if cred is None:
        raise NoCredentialAvailableError(...)   # nothing available, vault unreachable: as before
    try:
        call(cred["api_key"])
    except ArenaRateLimitError as e:
        await pool.report_error(cred["id"], e)  # → kind rate_limited; never raises
    finally:
        await pool.release(cred["id"])          # never raises

The signatures, return values and failure behaviour are the original's
(alterPublics/issue_obervatory, core/credential_pool.py). Underneath, each
acquire is a vault lease, **shared** by default: like the original's
informational leases it blocks nobody, so two runs of one platform share its
key and a collector that never releases holds nothing past the lease's TTL.
Its lease id stays here, keyed by ``(credential_id, task_id)``, so
``release`` and ``report_error`` find it. Redis, which the original's
collectors reached through ``pool._get_redis()``, is replaced by the vault for
the two key patterns they use (``VaultRedis``).
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from ._core import ERROR_KINDS, SecretFields, check_mode, configured, credential_id_of, error_kind, exception_retry_after
from .aio import AsyncLease, AsyncVaultClient
from .client import parse_time
from .errors import CollectionLocked, CredentialNotFound, LeaseExpired, NoCredentialAvailable, VaultError

logger = logging.getLogger("arena_vault_client.compat")

#: The vault requires a task label; an acquire without ``task_id`` sends this prefix plus a random suffix.
ANONYMOUS_TASK_PREFIX = "compat-"
#: ``report_error`` after the lease ended cools the credential down by id for the error's
#: ``retry_after``, or this many seconds (the vault's first backoff step) when it has none.
COOLDOWN_BY_ID_SECONDS = 60
#: The original's circuit breaker for environment-variable credentials (kept in memory, per pool).
ENV_CIRCUIT_BREAKER_THRESHOLD = 5
#: An ended or expired lease is forgotten this long after its expiry (the vault accepts a late
#: release or report for an hour), so collectors that never release leave nothing behind.
FORGET_AFTER = timedelta(hours=1)

#: ``(platform, tier)`` → ``{field: environment variable}``: the original's ``_PLATFORM_ENV_MAP``,
#: names unchanged, for the fallback when the vault has no usable credential.
PLATFORM_ENV_MAP: dict[tuple[str, str], dict[str, str]] = {
    ("serper", "medium"): {"api_key": "SERPER_API_KEY"},
    ("serpapi", "premium"): {"api_key": "SERPAPI_API_KEY"},
    ("youtube", "free"): {"api_key": "YOUTUBE_API_KEY"},
    ("reddit", "free"): {"client_id": "REDDIT_CLIENT_ID", "client_secret": "REDDIT_CLIENT_SECRET", "user_agent": "REDDIT_USER_AGENT"},
    ("tiktok", "free"): {"client_key": "TIKTOK_CLIENT_KEY", "client_secret": "TIKTOK_CLIENT_SECRET"},
    ("telegram", "free"): {"api_id": "TELEGRAM_API_ID", "api_hash": "TELEGRAM_API_HASH", "session_string": "TELEGRAM_SESSION_STRING"},
    ("bluesky", "free"): {"handle": "BLUESKY_HANDLE", "app_password": "BLUESKY_APP_PASSWORD"},
    ("event_registry", "medium"): {"api_key": "EVENT_REGISTRY_API_KEY"},
    ("event_registry", "premium"): {"api_key": "EVENT_REGISTRY_API_KEY"},
    ("twitterapi_io", "medium"): {"api_key": "TWITTERAPIIO_API_KEY"},
    ("x_twitter", "premium"): {"bearer_token": "X_BEARER_TOKEN", "api_key": "X_API_KEY", "api_secret": "X_API_SECRET"},
    ("discord", "free"): {"bot_token": "DISCORD_BOT_TOKEN"},
    ("openrouter", "medium"): {"api_key": "OPENROUTER_API_KEY"},
    ("openrouter", "premium"): {"api_key": "OPENROUTER_API_KEY"},
    ("gab", "free"): {"access_token": "GAB_ACCESS_TOKEN"},
    ("threads", "free"): {"access_token": "THREADS_ACCESS_TOKEN"},
    ("brightdata_facebook", "medium"): {"api_token": "BRIGHTDATA_FACEBOOK_API_TOKEN"},
    ("brightdata_instagram", "medium"): {"api_token": "BRIGHTDATA_INSTAGRAM_API_TOKEN"},
    ("majestic", "premium"): {"api_key": "MAJESTIC_API_KEY"},
    ("twitch", "free"): {"client_id": "TWITCH_CLIENT_ID", "client_secret": "TWITCH_CLIENT_SECRET"},
}


class CredentialRow:
    """One row of ``_query_db_credentials``: what the original's ORM rows
    offered the collectors, without a field value. ``id`` is a ``str``."""

    __slots__ = ("id", "name", "platform", "tier", "is_active", "expires_at", "cooldown_until")

    def __init__(self, meta: dict[str, Any]) -> None:
        self.id = str(meta["id"])
        self.name: str = meta.get("name", "")
        self.platform: str = meta.get("platform", "")
        self.tier: str = meta.get("tier", "")
        self.is_active: bool = bool(meta.get("active"))
        self.expires_at: str | None = meta.get("expires_at")
        self.cooldown_until: str | None = meta.get("cooldown_until")

    @property
    def active(self) -> bool:
        return self.is_active

    def __repr__(self) -> str:
        return f"CredentialRow(id={self.id!r}, platform={self.platform!r}, tier={self.tier!r}, name={self.name!r})"


class UnsupportedRedisKey(KeyError):
    """``VaultRedis`` was asked for a key outside the patterns it serves."""

    def __str__(self) -> str:
        return self.args[0]


class VaultRedis:
    """What ``await pool._get_redis()`` returns: ``get``, ``setex`` and
    ``delete`` for exactly the two key patterns the original collectors use,
    backed by the vault so every worker sees the same value:

    - ``credential:cooldown:{id}``: ``setex`` cools the credential down for
      that many seconds (the value is the reason); ``get`` → the cooldown's
      end (ISO 8601) while it runs, else None; ``delete`` clears it.
    - ``threads:token_expiry:{id}``: ``setex`` sets the credential's
      ``expires_at`` to the value (an ISO 8601 time; the TTL is ignored);
      ``get`` → that time as Python's ``isoformat()`` (UTC, to the
      millisecond), None when unset; ``delete`` clears it.

    Any other key raises ``UnsupportedRedisKey`` naming both patterns.
    Vault failures raise ``VaultError`` (the original collectors catch them)."""

    PATTERNS = {
        "cooldown": re.compile(r"credential:cooldown:(\d+)"),
        "token_expiry": re.compile(r"threads:token_expiry:(\d+)"),
    }

    def __init__(self, client: AsyncVaultClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return "VaultRedis(patterns=['credential:cooldown:{id}', 'threads:token_expiry:{id}'])"

    @classmethod
    def _parse(cls, key: Any) -> tuple[str, int]:
        for what, pattern in cls.PATTERNS.items():
            match = pattern.fullmatch(key) if isinstance(key, str) else None
            if match:
                return what, int(match.group(1))
        raise UnsupportedRedisKey(
            "compat's _get_redis() serves only the keys 'credential:cooldown:{id}' and "
            "'threads:token_expiry:{id}' ({id}: a vault credential id); this key matches neither"
        )

    async def get(self, key: str) -> str | None:
        what, credential_id = self._parse(key)
        try:
            meta = await self._client.credential(credential_id)
        except CredentialNotFound:
            return None
        if what == "cooldown":
            until = parse_time(meta.get("cooldown_until"))
            return meta["cooldown_until"] if until and until > datetime.now(timezone.utc) else None
        expires = parse_time(meta.get("expires_at"))
        return expires.isoformat() if expires else None

    async def setex(self, key: str, seconds: int | timedelta, value: Any) -> bool:
        what, credential_id = self._parse(key)
        if what == "cooldown":
            seconds = seconds.total_seconds() if isinstance(seconds, timedelta) else seconds
            await self._client.set_cooldown(credential_id, int(seconds), str(value)[:200])
        else:
            await self._client.set_expires_at(credential_id, value.decode() if isinstance(value, bytes) else value)
        return True

    async def delete(self, *keys: str) -> int:
        parsed = [self._parse(k) for k in keys]
        for what, credential_id in parsed:
            if what == "cooldown":
                await self._client.clear_cooldown(credential_id)
            else:
                await self._client.set_expires_at(credential_id, None)
        return len(parsed)


class CredentialPool:
    """``CredentialPool(url=None, api_key=None, *, redis_url=None, env=None)``.

    ``url`` / ``api_key`` default to ``$ARENA_VAULT_URL`` /
    ``$ARENA_VAULT_API_KEY`` (a missing one is a ``ValueError`` naming the
    variable); ``redis_url`` is accepted and ignored (the vault holds what
    Redis held); ``env``, a dict as in the original, replaces ``os.environ``
    for the environment-variable fallback. ``mode``: ``"shared"`` (default,
    as the original never enforced exclusivity) or ``"exclusive"``;
    ``ttl_seconds``: the lease TTL asked for (default the vault's 600)."""

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        redis_url: str | None = None,
        env: dict[str, str] | None = None,
        mode: str = "shared",
        ttl_seconds: int | None = None,
    ) -> None:
        del redis_url  # the vault replaces Redis
        url, api_key = configured(url, api_key, "CredentialPool")
        self._client = AsyncVaultClient(url, api_key)
        self._env: dict[str, str] = dict(env) if env is not None else dict(os.environ)
        self._mode = check_mode(mode)
        self._ttl_seconds = ttl_seconds
        self._leases: dict[tuple[int, str | None], list[AsyncLease]] = {}
        self._env_errors: dict[str, int] = defaultdict(int)
        self._env_cooldown: set[str] = set()
        self._redis = VaultRedis(self._client)

    def __repr__(self) -> str:
        held = sum(len(v) for v in self._leases.values())
        return f"CredentialPool(client={self._client!r}, mode={self._mode!r}, leases_held={held})"

    __str__ = __repr__

    # -- The original's public interface ---------------------------------------

    async def acquire(self, platform: str, tier: str, task_id: str | None = None, *, mode: str | None = None) -> dict[str, Any] | None:
        """A credential as a dict: ``id`` (a ``str``), ``platform``, ``tier``
        and every decrypted field (plus ``api_key`` = the first field when no
        field has that name). When the vault has no usable credential, the
        original's environment-variable fallback; ``None`` when that has
        nothing either, while a key rotation locks collection (WARNING), or
        when the vault is unreachable or refuses the API key (ERROR naming
        the cause). Never raises a ``VaultError``."""
        self._forget_old_leases()
        label = task_id if task_id is not None else ANONYMOUS_TASK_PREFIX + uuid.uuid4().hex
        try:
            lease = await self._client.acquire(platform, tier, label, self._ttl_seconds, mode=check_mode(mode or self._mode))
        except NoCredentialAvailable as e:
            logger.warning("no usable %s/%s credential in the vault (%s); trying the environment", platform, tier, e.reason)
            return self._acquire_from_env(platform, tier)
        except CollectionLocked:
            logger.warning("acquire %s/%s: collection is locked by a credential-key rotation (ROTATION_IN_PROGRESS)", platform, tier)
            return None
        except VaultError as e:
            logger.error("acquire %s/%s failed: %s", platform, tier, e)
            return None
        self._leases.setdefault((lease.credential_id, task_id), []).append(lease)
        cred = SecretFields(id=str(lease.credential_id), platform=lease.platform, tier=lease.tier)
        cred.update(lease.fields)
        if "api_key" not in lease.fields and lease.fields:
            cred["api_key"] = next(iter(lease.fields.values()))
        return cred

    async def release(self, credential_id: str | int, task_id: str | None = None, platform: str | None = None) -> None:
        """Gives the credential back (a vault ``release``). ``credential_id``:
        the dict's ``id``, as a ``str`` or an ``int``. Releasing one this pool
        holds no lease for, or whose lease already ended, is a no-op, as the
        original's was. Never raises: a failure is a WARNING with its code.
        ``platform`` is accepted and unused."""
        del platform
        lease = self._take(credential_id, task_id)
        if lease is None:
            return
        try:
            await lease.release()
        except LeaseExpired:
            logger.debug("release of credential %s: the lease had already ended", lease.credential_id)
        except VaultError as e:
            logger.warning("release of credential %s failed: %s", lease.credential_id, e.code)
        except Exception as e:  # noqa: BLE001 - called from collectors' finally blocks
            logger.warning("release of credential %s failed: %s", lease.credential_id, type(e).__name__)

    async def report_error(self, credential_id: str | int, error: BaseException | str, platform: str | None = None) -> None:
        """Reports that the credential failed. ``error``: the exception (its
        class name gives the kind: ``*RateLimitError`` → ``rate_limited``,
        ``*AuthError`` → ``auth_failed``, else ``other``; a numeric
        ``retry_after`` attribute is passed on) or a string (a vault kind name
        is used as is, anything else is ``other``). The error text is never sent.

        With a lease held: the vault's report-error (ends the lease, cools the
        credential down by its backoff). Without one (it ended, or another
        pool held it): a cooldown by id, for ``retry_after`` or
        ``COOLDOWN_BY_ID_SECONDS``. Never raises: a failure is a WARNING with
        its code. ``platform`` is accepted and unused."""
        del platform
        if isinstance(error, BaseException):
            kind, retry_after = error_kind(error), exception_retry_after(error)
        else:
            kind, retry_after = (error if error in ERROR_KINDS else "other"), None
        try:
            cid = credential_id_of(credential_id)
        except ValueError:
            self._env_error(str(credential_id), kind)
            return
        lease = self._take(cid, _task_of(self._leases, cid))
        try:
            if lease is not None:
                try:
                    await lease.report_error(kind, retry_after=retry_after)
                    return
                except LeaseExpired:
                    pass  # ended meanwhile: cool down by id instead
            await self._client.set_cooldown(cid, int(retry_after or COOLDOWN_BY_ID_SECONDS), kind)
        except VaultError as e:
            logger.warning("report_error for credential %s failed: %s", cid, e.code)
        except Exception as e:  # noqa: BLE001 - called from collectors' except blocks
            logger.warning("report_error for credential %s failed: %s", cid, type(e).__name__)

    # -- What the original's collectors reach into --------------------------------

    async def _get_redis(self) -> VaultRedis:
        """The vault-backed stand-in for the original's Redis client (``VaultRedis``)."""
        return self._redis

    async def _query_db_credentials(self, platform: str, tier: str) -> list[CredentialRow]:
        """The active ``platform``/``tier`` credentials as rows with ``.id``
        (a ``str``), ``.name``, ``.is_active``, ``.expires_at`` and
        ``.cooldown_until``; never a field value. ``[]`` (with an ERROR log) when
        the vault cannot answer, as the original on a database error."""
        try:
            listed = await self._client.credentials(platform, tier)
        except VaultError as e:
            logger.error("listing %s/%s credentials failed: %s", platform, tier, e)
            return []
        return [CredentialRow(meta) for meta in listed if meta.get("active")]

    # -- Internals -------------------------------------------------------------------

    def _take(self, credential_id: Any, task_id: str | None) -> AsyncLease | None:
        """The oldest lease held for (credential_id, task_id); with task_id None,
        any lease of that credential (the original's release ignored task_id).
        An id that is no vault id (an environment credential's) holds nothing."""
        try:
            credential_id = credential_id_of(credential_id)
        except ValueError:
            return None
        key = (credential_id, task_id)
        if key not in self._leases and task_id is None:
            key = next((k for k in self._leases if k[0] == credential_id), key)
        held = self._leases.get(key)
        if not held:
            return None
        lease = held.pop(0)
        if not held:
            del self._leases[key]
        return lease

    def _forget_old_leases(self) -> None:
        cutoff = datetime.now(timezone.utc) - FORGET_AFTER
        for key in list(self._leases):
            kept = [lease for lease in self._leases[key] if lease.expires_at is None or lease.expires_at > cutoff]
            if kept:
                self._leases[key] = kept
            else:
                del self._leases[key]

    def _acquire_from_env(self, platform: str, tier: str) -> dict[str, Any] | None:
        """The original's fallback: the mapped variables of ``PLATFORM_ENV_MAP``
        (id ``env:{platform}:{tier}``), then ``{PLATFORM}_{TIER}_API_KEY``,
        ``..._API_KEY_2``, ... (id: the variable's name); the first one not
        cooled down and under the circuit breaker."""
        fields = {f: self._env[v] for f, v in PLATFORM_ENV_MAP.get((platform, tier), {}).items() if self._env.get(v)}
        candidates = [(f"env:{platform}:{tier}", fields)] if fields else []
        prefix = f"{platform.upper()}_{tier.upper()}_"
        candidates += [(name, {"api_key": value}) for name, value in self._discover_env(prefix)]
        for cred_id, payload in candidates:
            if cred_id in self._env_cooldown or self._env_errors[cred_id] >= ENV_CIRCUIT_BREAKER_THRESHOLD:
                continue
            cred = SecretFields(id=cred_id, platform=platform, tier=tier)
            cred.update(payload)
            if "api_key" not in cred:
                cred["api_key"] = next(iter(payload.values()))
            return cred
        logger.warning("no usable credential for platform=%r tier=%r in the vault or the environment", platform, tier)
        return None

    def _discover_env(self, prefix: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        if self._env.get(f"{prefix}API_KEY"):
            found.append((f"{prefix}API_KEY", self._env[f"{prefix}API_KEY"]))
        index = 2
        while self._env.get(f"{prefix}API_KEY_{index}"):
            found.append((f"{prefix}API_KEY_{index}", self._env[f"{prefix}API_KEY_{index}"]))
            index += 1
        names = {n for n, _ in found}
        found.extend((k, v) for k, v in sorted(self._env.items()) if k.startswith(prefix) and k not in names and v)
        return found

    def _env_error(self, cred_id: str, kind: str) -> None:
        """An environment credential's error, counted in memory as the original did."""
        self._env_errors[cred_id] += 1
        if kind in ("rate_limited", "auth_failed"):
            self._env_cooldown.add(cred_id)
        logger.warning("error reported for environment credential %r (%d so far): %s", cred_id, self._env_errors[cred_id], kind)


def _task_of(leases: dict[tuple[int, str | None], list[AsyncLease]], credential_id: int) -> str | None:
    """report_error has no task_id: the first task holding this credential."""
    return next((k[1] for k in leases if k[0] == credential_id), None)


_pool_singleton: CredentialPool | None = None


def get_credential_pool() -> CredentialPool:
    """The application's one shared ``CredentialPool``, created on first use
    (the original's FastAPI dependency). Tests may set ``_pool_singleton``."""
    global _pool_singleton
    if _pool_singleton is None:
        _pool_singleton = CredentialPool()
    return _pool_singleton
