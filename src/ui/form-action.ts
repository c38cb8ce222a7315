/**
 * Shared form bits of the admin pages: turning
 * a refused action (validation, conflict, not found) into a flash message on
 * the page the admin came from (Post/Redirect/Get), so forms work without JS.
 */
import type { Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { isVaultError } from '../errors.ts';
import { redirectWithFlash } from './page.tsx';

const SHOWN_TO_FORM = new Set(['VALIDATION_FAILED', 'CONFLICT', 'NOT_FOUND', 'BAD_REQUEST', 'RATE_LIMITED']);

/** Runs `action`; on success flashes its message, on a refusal flashes the refusal; then redirects to `back`. */
export async function formAction(c: Context<AppEnv>, back: string, action: () => Promise<string>): Promise<Response> {
  try {
    const message = await action();
    return redirectWithFlash(c, back, { kind: 'ok', text: message });
  } catch (e) {
    if (isVaultError(e) && SHOWN_TO_FORM.has(e.code)) return redirectWithFlash(c, back, { kind: 'error', text: e.message });
    throw e;
  }
}

export function formatTime(ms: number | null): string {
  return ms === null ? 'never' : `${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}
