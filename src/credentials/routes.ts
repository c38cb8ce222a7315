/** HTTP routes for credentials (REST under /api, pages under /admin). */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';

export const credentialRoutes = new Hono<AppEnv>();
