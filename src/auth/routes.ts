/**
 * HTTP routes for accounts and sessions: REST under /api/auth, /api/users and
 * /api/api-keys; pages /login, /login/oidc (single sign-on), /logout, /admin/users, /admin/api-keys and
 * /account/password. Each module lists its own routes in its header.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { sessionApi } from './session-api.ts';
import { adminApi } from './admin-api.ts';
import { loginPage } from './login-page.tsx';
import { oidcPages } from './oidc-pages.tsx';
import { usersPage } from './users-page.tsx';
import { apiKeysPage } from './api-keys-page.tsx';
import { accountPage } from './account-page.tsx';
import { passkeysApi } from './passkeys-api.ts';
import { passkeysPage } from './passkeys-page.tsx';

export const authRoutes = new Hono<AppEnv>();

for (const part of [sessionApi, passkeysApi, adminApi, loginPage, oidcPages, usersPage, apiKeysPage, accountPage, passkeysPage]) authRoutes.route('/', part);
