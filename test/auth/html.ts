/** HTML checks shared by the page suites: every visible control has a label; every form posts with a CSRF token. */
import { expect } from 'vitest';

export function expectLabelledForms(html: string): void {
  const labelled = new Set([...html.matchAll(/<label for="([^"]+)"/g)].map((m) => m[1]));
  const controls = [...html.matchAll(/<(input|select|textarea)\b([^>]*)>/g)].filter((m) => !/type="hidden"/.test(m[2]!));
  expect(controls.length).toBeGreaterThan(0);
  for (const [tag, , attrs] of controls) {
    const id = /\bid="([^"]+)"/.exec(attrs!)?.[1];
    expect(id, `a <${tag?.slice(1, 7)}> without id: ${tag}`).toBeTruthy();
    expect(labelled.has(id), `no <label for="${id}">`).toBe(true);
  }
  const forms = [...html.matchAll(/<form\b[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/g)];
  expect(forms.length).toBeGreaterThan(0);
  for (const f of forms) expect(f[1]).toMatch(/<input type="hidden" name="csrf_token" value="[^"]+"/);
}
