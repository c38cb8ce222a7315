/**
 * What the routes and the page ask of the KeyRotation object, with its RPC
 * results turned into HTTP-shaped outcomes: `VaultError`s with stable codes
 * (ROTATION_IN_PROGRESS carries the running status) or a status to return.
 */
import type { Env } from '../env.ts';
import { reviveVaultError, VaultError } from '../errors.ts';
import { rotationStub, type StartInput } from './durable-object.ts';
import type { RotationStatus } from './status.ts';

/** Rotation errors cross RPC as plain Errors with their code kept; revive them. */
async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw reviveVaultError(e);
  }
}

export async function rotationStatus(env: Env): Promise<RotationStatus> {
  return call(() => rotationStub(env).status());
}

type StartOutcome = { started: true; status: RotationStatus } | { started: false; nothingToDo: true; status: RotationStatus };

export async function startRotation(env: Env, input: StartInput): Promise<StartOutcome> {
  const res = await call(() => rotationStub(env).start(input));
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
  const res = await call(() => rotationStub(env).abort(actor));
  if (res.result === 'not_running') {
    throw new VaultError('CONFLICT', 'No credential-key rotation is running.', { details: { rotation: res.status } });
  }
  return res.status;
}
