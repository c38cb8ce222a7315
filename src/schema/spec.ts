/**
 * What a route says about itself for the OpenAPI document. Middlewares carry
 * it on a symbol: validators their schema (schema/validate.ts), guards the
 * permission they demand (http/guards.ts), `describe` the summary,
 * responses and error codes. schema/openapi.ts walks the app's router and
 * reads it back, so the document is derived from the routes that really run.
 */
import type { MiddlewareHandler } from 'hono';
import type { GenericSchema } from 'valibot';
import type { ErrorCode } from '../errors.ts';
import type { Permission } from '../kernel/principal.ts';

const SPEC = Symbol.for('arena-vault.route-spec');

export interface ValidatorSpec {
  kind: 'validator';
  target: 'json' | 'query' | 'param' | 'form';
  schema: GenericSchema;
  /** json only: an empty body is accepted as `{}`. */
  optionalBody?: boolean;
}

export interface GuardSpec {
  kind: 'guard';
  permission: Permission;
}

interface ResponseSpec {
  description: string;
  /** The JSON body's schema; omitted for an empty body (204) or a non-JSON one. */
  schema?: GenericSchema;
  /** Defaults to application/json when `schema` is given. */
  contentType?: string;
}

export interface RouteDoc {
  kind: 'doc';
  summary: string;
  description?: string;
  tag: string;
  /** Success (and other non-error) responses by status. */
  responses: Record<number, ResponseSpec>;
  /** Error codes this route may answer besides the ones its guard and validators imply. */
  errors?: ErrorCode[];
  /** Reachable without authentication even though a guard-free route (health, login). */
  public?: boolean;
  /**
   * `false`: served, but not an operation of the OpenAPI document, as FastAPI's
   * `include_in_schema=False`. Only the document itself and its HTML rendering
   * (`/api/openapi.json`, `/api/docs`), as FastAPI leaves out its own
   * `/openapi.json` and `/docs`; test/schema/openapi.test.ts pins exactly these two.
   */
  includeInSchema?: false;
}

type Spec = ValidatorSpec | GuardSpec | RouteDoc;

export function attachSpec<F extends object>(fn: F, spec: Spec): F {
  Object.defineProperty(fn, SPEC, { value: spec, enumerable: false });
  return fn;
}

export function specOf(fn: unknown): Spec | undefined {
  return (fn as { [SPEC]?: Spec } | null)?.[SPEC];
}

/**
 * Documents a route: `api.get('/x', describe({ summary, tag, responses }), handler)`.
 * It does nothing at run time; the OpenAPI document reads it.
 */
export function describe(doc: Omit<RouteDoc, 'kind'>): MiddlewareHandler {
  return attachSpec<MiddlewareHandler>(async (_c, next) => next(), { kind: 'doc', ...doc });
}
