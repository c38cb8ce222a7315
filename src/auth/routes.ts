/** HTTP routes for auth (REST under /api, pages under /admin). */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';

export const authRoutes = new Hono<AppEnv>();
