/**
 * A credential's `sharing` setting (api_credentials.sharing, migration 0070): whether the pool may grant a shared
 * lease on it (`allowed`, the default) or must treat every lease as exclusive (`never`, for providers that ban
 * concurrent use). The credential owns the vocabulary; the pool's lease rules read it.
 */
export const SHARING_SETTINGS = ['allowed', 'never'] as const;
export type Sharing = (typeof SHARING_SETTINGS)[number];
export const DEFAULT_SHARING: Sharing = 'allowed';
