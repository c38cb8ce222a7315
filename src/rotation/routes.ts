/** HTTP routes for rotation (REST under /api, pages under /admin). */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';

export const rotationRoutes = new Hono<AppEnv>();
