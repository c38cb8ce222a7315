/**
 * Fernet section: encrypt, decrypt and MultiFernet.rotate per second on the
 * 94-byte JSON credential, measured inside workerd (bench/routes/fernet.ts),
 * then the same three operations with Python's cryptography.fernet on the
 * same machine (bench/python/fernet_bench.py) for the ratio.
 *
 * Output lines:
 *   {"section":"fernet","runtime":"workerd","encrypt_ops_s",...,"payload_bytes":94,...}
 *   {"section":"fernet","runtime":"python-cryptography",...}   (when python3 + cryptography exist)
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchSection } from '../context.ts';
import { CREDENTIAL_94 } from '../routes/payloads.ts';

const PY_BENCH = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'python', 'fernet_bench.py');

export default {
  name: 'fernet',
  description: 'Fernet encrypt / decrypt / MultiFernet.rotate ops/s on a 94-byte credential in workerd, and pyca on this machine',
  async run(ctx) {
    const payloadBytes = new TextEncoder().encode(CREDENTIAL_94).length;
    ctx.log('fernet encrypt, decrypt, rotate in workerd');
    const measured = await ctx.opsPerSecondEach({
      encrypt: '/__bench/fernet/encrypt',
      decrypt: '/__bench/fernet/decrypt',
      rotate: '/__bench/fernet/rotate',
    });
    const results = [
      {
        runtime: 'workerd',
        encrypt_ops_s: measured.encrypt.ops_s,
        decrypt_ops_s: measured.decrypt.ops_s,
        rotate_ops_s: measured.rotate.ops_s,
        payload_bytes: payloadBytes,
        median: {
          encrypt_ops_s: measured.encrypt.median_ops_s,
          decrypt_ops_s: measured.decrypt.median_ops_s,
          rotate_ops_s: measured.rotate.median_ops_s,
        },
        stat: `best of ${ctx.options.trials} trials of ~${ctx.options.seconds} s (one request each, operations interleaved)`,
        timing: measured.encrypt.timing,
      },
    ];

    ctx.log('fernet with python3 cryptography');
    const py = spawnSync('python3', [PY_BENCH, '--seconds', String(ctx.options.seconds), '--trials', String(ctx.options.trials)], { encoding: 'utf8' });
    if (py.error || py.status !== 0) {
      ctx.log(`pyca comparison skipped: python3 with cryptography did not run (${py.error?.message ?? py.stderr.trim()})`);
    } else {
      results.push(JSON.parse(py.stdout));
    }
    return results;
  },
} satisfies BenchSection;
