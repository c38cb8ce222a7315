/**
 * Login section: what one password login costs inside workerd.
 *   verify_ms         one verifyPassword (scrypt, current parameters): the CPU of a login
 *   hash_ms           one hashPassword (user create, password change, hash upgrade)
 *   pbkdf2_100k_ms    PBKDF2-SHA256 at the production cap, for comparison
 *   login_request_ms  a whole POST /api/auth/login as a client sees it (includes D1 and HTTP)
 * Each figure is the median of `--trials` requests of a few operations.
 *
 * Output line: {"section":"login","runtime":"workerd","algorithm":"scrypt$ln=14,r=8,p=5",...}
 */
import type { BenchSection } from '../context.ts';
import { median } from '../context.ts';
import { CURRENT_PASSWORD_PARAMS, hashPassword } from '../../src/crypto/password.ts';
import { newUserStatement } from '../../src/auth/users.ts';
import { textOnlyDb } from '../../src/db/sql-text.ts';

const PER_REQUEST = 5;

export default {
  name: 'login',
  description: 'password hashing cost per login (scrypt verify / hash) in workerd, and a whole POST /api/auth/login',
  async run(ctx) {
    const msPerOp = async (op: string): Promise<number> => {
      await ctx.json(`/__bench/login/${op}?n=1`); // warm up
      const per: number[] = [];
      for (let i = 0; i < Math.max(3, ctx.options.trials); i++) {
        const r = await ctx.json<{ elapsed_ms: number }>(`/__bench/login/${op}?n=${PER_REQUEST}`);
        per.push(r.elapsed_ms / PER_REQUEST);
      }
      return Math.round(median(per) * 10) / 10;
    };
    ctx.log('login: scrypt verify in workerd');
    const verify = await msPerOp('verify');
    ctx.log('login: scrypt hash in workerd');
    const hash = await msPerOp('hash');
    ctx.log('login: PBKDF2 100k in workerd');
    const pbkdf2 = await msPerOp('pbkdf2_100k');

    ctx.log('login: whole POST /api/auth/login');
    const email = `bench-${Date.now()}@example.test`;
    const password = 'bench password, long enough';
    const now = Date.now();
    await ctx.d1([
      newUserStatement(textOnlyDb, { email, hashedPassword: await hashPassword(password), displayName: 'bench', role: 'researcher', now }).toSQL(),
    ]);
    const walls: number[] = [];
    for (let i = 0; i < Math.max(5, ctx.options.trials * 2); i++) {
      const t = performance.now();
      const res = await ctx.fetch('/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': '192.0.2.1' },
        body: JSON.stringify({ email, password }),
      });
      if (res.status !== 200) throw new Error(`login answered ${res.status}`);
      await res.arrayBuffer();
      walls.push(performance.now() - t);
    }
    const { ln, r, p } = CURRENT_PASSWORD_PARAMS;
    return [
      {
        runtime: 'workerd',
        algorithm: `scrypt$ln=${ln},r=${r},p=${p}`,
        memory_mib: (128 * 2 ** ln * r) / 2 ** 20,
        verify_ms: verify,
        hash_ms: hash,
        pbkdf2_100k_ms: pbkdf2,
        login_request_ms: Math.round(median(walls) * 10) / 10,
        stat: `median of ${Math.max(3, ctx.options.trials)} requests of ${PER_REQUEST} operations; login_request_ms: median wall time from Node`,
      },
    ];
  },
} satisfies BenchSection;
