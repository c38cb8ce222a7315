/** HTTP routes for arenas (REST under /api, pages under /admin). */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';

export const arenaRoutes = new Hono<AppEnv>();
