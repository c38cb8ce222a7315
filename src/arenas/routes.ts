/**
 * HTTP routes for arenas: query designs (REST + pages) and arena health.
 * Mounted from src/index.ts as `arenaRoutes`.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { queryDesignApi } from '../query-designs/routes.ts';
import { queryDesignPages } from '../query-designs/pages.tsx';
import { arenaHealthRoutes } from '../health/arena-routes.ts';

export const arenaRoutes = new Hono<AppEnv>();
arenaRoutes.route('/', queryDesignApi);
arenaRoutes.route('/', queryDesignPages);
arenaRoutes.route('/', arenaHealthRoutes);
