/** HTTP routes for pool (REST under /api, pages under /admin). */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';

export const poolRoutes = new Hono<AppEnv>();
