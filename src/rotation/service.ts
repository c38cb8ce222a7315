/**
 * What the routes and the page ask of the KeyRotation object, with its RPC
 * results turned into HTTP-shaped outcomes: `VaultError`s with stable codes
 * (ROTATION_IN_PROGRESS carries the running status) or a status to return.
 * Each call carries the caller's log context (kernel/log.ts `inContext`).
 */
import type { Env } from '../env.ts';
import { reviveVaultError, VaultError } from '../errors.ts';
import { logContext } from '../kernel/log.ts';
import { rotationStub, type KeyRotation, type RotationRpcMethod, type StartInput } from './durable-object.ts';
import type { RotationStatus } from './status.ts';

/** One RPC method, in the caller's log context; rotation errors cross RPC as plain Errors with their code kept: revived. */
async function call<K extends RotationRpcMethod>(env: Env, method: K, ...args: Parameters<KeyRotation[K]>): Promise<Awaited<ReturnType<KeyRotation[K]>>> {
  try {
    return (await rotationStub(env).inContext(logContext(), method, args)) as Awaited<ReturnType<KeyRotation[K]>>;
  } catch (e) {
    throw reviveVaultError(e);
  }
}

export async function rotationStatus(env: Env): Promise<RotationStatus> {
  return call(env, 'status');
}

type StartOutcome = { started: true; status: RotationStatus } | { started: false; nothingToDo: true; status: RotationStatus };

export async function startRotation(env: Env, input: StartInput): Promise<StartOutcome> {
  const res = await call(env, 'start', input);
  switch (res.result) {
    case 'in_progress':
      throw new VaultError('ROTATION_IN_PROGRESS', `A credential-key rotation is already running (phase ${res.status.phase}).`, {
        details: { rotation: res.status },
      });
    case 'nothing_to_do':
      return { started: false, nothingToDo: true, status: res.status };
    default:
      return { started: true, status: res.status };
  }
}

export async function abortRotation(env: Env, actor: string): Promise<RotationStatus> {
  const res = await call(env, 'abort', actor);
  if (res.result === 'not_running') {
    throw new VaultError('CONFLICT', 'No credential-key rotation is running.', { details: { rotation: res.status } });
  }
  return res.status;
}
