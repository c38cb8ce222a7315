/**
 * The page frame: skip link; a header (banner landmark) with the brand, who is
 * logged in and Log out, and the main navigation (admins see every section,
 * researchers their query designs and password; everyone the API reference);
 * then the main landmark with the banners (e.g. lost key), the one-shot flash message of the last action,
 * and the page.
 */
import type { Child } from 'hono/jsx';
import { isAdmin, type Principal } from '../kernel/principal.ts';
import type { Banner } from '../http/types.ts';

export interface Flash {
  kind: 'ok' | 'error' | 'info';
  text: string;
}

interface LayoutProps {
  title: string;
  path: string;
  principal?: Principal;
  csrfToken?: string;
  banners?: Banner[];
  flash?: Flash;
  children?: Child;
}

const NAV: { href: string; label: string; admin?: boolean }[] = [
  { href: '/admin/health', label: 'Arena health', admin: true },
  { href: '/admin/credentials', label: 'Credentials', admin: true },
  { href: '/admin/query-designs', label: 'Query designs' },
  { href: '/admin/rotation', label: 'Key rotation', admin: true },
  { href: '/admin/users', label: 'Users', admin: true },
  { href: '/admin/api-keys', label: 'API keys', admin: true },
  { href: '/admin/audit', label: 'Audit log', admin: true },
  { href: '/admin/recovery', label: 'Recovery', admin: true },
  { href: '/admin/alerts', label: 'Alerts', admin: true },
  { href: '/account/password', label: 'Password' },
  { href: '/account/passkeys', label: 'Passkeys' },
  // Public (no login needed), but linked only from the signed-in header.
  { href: '/api/docs', label: 'API reference' },
];

export function Layout(props: LayoutProps) {
  const p = props.principal;
  const admin = isAdmin(p);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · arena-vault`}</title>
        <link rel="stylesheet" href="/assets/app.css" />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <div class="bar">
            <a class="brand" href={p ? (admin ? '/admin/credentials' : '/admin/query-designs') : '/login'}>
              arena-vault
            </a>
            {p && (
              <div class="account">
                <span>{p.email ?? p.actor}</span>
                <form method="post" action="/logout" class="inline">
                  <input type="hidden" name="csrf_token" value={props.csrfToken ?? ''} />
                  <button type="submit" class="secondary">
                    Log out
                  </button>
                </form>
              </div>
            )}
          </div>
          {p && (
            <nav class="main" aria-label="Main">
              <ul>
                {NAV.filter((n) => !n.admin || admin).map((n) => (
                  <li>
                    <a href={n.href} aria-current={props.path.startsWith(n.href) ? 'page' : undefined}>
                      {n.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
        </header>
        <main id="main" tabindex={-1}>
          {(props.banners ?? []).map((b) => (
            <div class={`notice ${b.level}`} role="alert">
              {b.text} {b.href && <a href={b.href}>What to do</a>}
            </div>
          ))}
          {props.flash && (
            <div class={`notice ${props.flash.kind}`} role="status">
              {props.flash.text}
            </div>
          )}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** The hidden CSRF field every form carries. */
export function CsrfField(props: { token: string }) {
  return <input type="hidden" name="csrf_token" value={props.token} />;
}
