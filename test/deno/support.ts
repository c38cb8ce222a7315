/**
 * Helpers shared by the Deno suites: repository paths, fixture loading and a
 * rejection catcher. Assertions come from `node:assert/strict`, which Deno
 * ships (jsr.io's @std/assert is not reachable from CI here).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { base64urlDecode } from '../../src/crypto/encoding.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function readJson<T = unknown>(relativePath: string): T {
  return JSON.parse(Deno.readTextFileSync(join(ROOT, relativePath))) as T;
}

/** The error a promise rejects with, or a marker if it resolved. */
export async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return new Error('expected a rejection, but it resolved');
}

export function b64(text: string): Uint8Array {
  const bytes = base64urlDecode(text);
  if (!bytes) throw new Error(`fixture is not base64url: ${text.slice(0, 12)}…`);
  return bytes;
}

export const textOf = (b: Uint8Array): string => new TextDecoder().decode(b);
export const seconds = (iso: string): number => Date.parse(iso) / 1000;

/** A temporary directory removed after `fn`. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: 'arena-vault-deno-' });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => undefined);
  }
}
