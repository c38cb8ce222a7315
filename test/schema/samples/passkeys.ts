/** Contract samples for passkeys, recovery codes and the sign-in methods (a software authenticator makes real responses). */
import { userWithPassword } from '../../auth/support.ts';
import { SoftAuthenticator } from '../../support/soft-authenticator.ts';
import { recorder, type Sample } from './record.ts';

export const passkeysSample: Sample = async () => {
  const r = recorder();
  const none = {};
  const origin = 'https://vault.test';
  const person = await userWithPassword('researcher');
  const ip = { 'cf-connecting-ip': `192.0.2.${1 + Math.floor(Math.random() * 250)}` };
  const login = await r.call('POST /api/auth/login', '/api/auth/login', ip, { email: person.email, password: person.password });
  const bearer = { authorization: `Bearer ${login.body.access_token}` };
  const auth = await SoftAuthenticator.create();

  await r.call('POST /api/auth/passkeys/register/options', '/api/auth/passkeys/register/options', none); // 401
  const creation = await r.call('POST /api/auth/passkeys/register/options', '/api/auth/passkeys/register/options', bearer);
  const attestation = await auth.register(creation.body, { origin });
  const created = await r.call('POST /api/auth/passkeys/register/verify', '/api/auth/passkeys/register/verify', bearer, {
    response: attestation,
    name: 'Contract laptop',
  });
  await r.call('POST /api/auth/passkeys/register/verify', '/api/auth/passkeys/register/verify', bearer, { response: attestation }); // 401 ASSERTION_REPLAYED
  await r.call('POST /api/auth/passkeys/register/verify', '/api/auth/passkeys/register/verify', bearer, { name: 'x' }); // 422
  await r.call('GET /api/auth/passkeys', '/api/auth/passkeys', bearer);

  const request = await r.call('POST /api/auth/passkeys/login/options', '/api/auth/passkeys/login/options', none, { email: person.email });
  await r.call('POST /api/auth/passkeys/login/options', '/api/auth/passkeys/login/options', none);
  const assertion = await auth.assert(request.body, { origin });
  await r.call('POST /api/auth/passkeys/login/verify', '/api/auth/passkeys/login/verify', none, { response: assertion });
  await r.call('POST /api/auth/passkeys/login/verify', '/api/auth/passkeys/login/verify', none, { response: assertion }); // 401 ASSERTION_REPLAYED

  const codes = await r.call('POST /api/auth/recovery-codes', '/api/auth/recovery-codes', bearer);
  await r.call('POST /api/auth/recovery/login', '/api/auth/recovery/login', ip, { email: person.email, code: codes.body.codes[0] });
  await r.call('POST /api/auth/recovery/login', '/api/auth/recovery/login', ip, { email: person.email, code: codes.body.codes[0] }); // 401
  await r.call('POST /api/auth/recovery/login', '/api/auth/recovery/login', ip, { email: person.email }); // 422

  await r.call('DELETE /api/auth/passkeys/:id', `/api/auth/passkeys/${created.body.id}`, bearer);
  await r.call('DELETE /api/auth/passkeys/:id', '/api/auth/passkeys/999999999', bearer); // 404
  await r.call('GET /api/auth/methods', '/api/auth/methods', none);
  return r.recorded;
};
