/**
 * Recording live answers for the contract test (test/schema/openapi.test.ts):
 * a sample calls routes through the real Worker and records each answer
 * under the route (method and router path) it exercised.
 */
import { SELF } from 'cloudflare:test';

export interface Recorded {
  route: string;
  status: number;
  body: unknown;
}

export type Sample = () => Promise<Recorded[]>;

export interface Recorder {
  /** Calls `path` (concrete) as `route` (`POST /api/x/:id`) and records the answer; returns status and body. */
  call(route: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any }>;
  recorded: Recorded[];
}

export function recorder(): Recorder {
  const recorded: Recorded[] = [];
  return {
    recorded,
    async call(route, path, headers, body) {
      const method = route.split(' ')[0]!;
      const res = await SELF.fetch(`https://vault.test${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
      recorded.push({ route, status: res.status, body: parsed });
      return { status: res.status, body: parsed };
    },
  };
}
