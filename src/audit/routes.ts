/** HTTP routes for audit (REST under /api, pages under /admin). */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';

export const auditRoutes = new Hono<AppEnv>();
