import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSigner } from 'fast-jwt';
import { Authenticator, authorize, mayAccess, mintToken, tokenOf } from '../src/auth.js';
import { HubError } from '../src/domain/errors.js';

const SECRET = 'test-secret';
const isCode = (code: string) => (err: unknown) => err instanceof HubError && err.code === code;

describe('auth', () => {
  test('a minted token verifies to its sub, groups and expiry', () => {
    const principal = new Authenticator(SECRET).verify(mintToken(SECRET, { sub: 'u1', groups: ['g1', 'team-*'], ttlSeconds: 60 }));
    assert.equal(principal.user, 'u1');
    assert.deepEqual(principal.groups, ['g1', 'team-*']);
    assert.ok(principal.expiresAt! > Date.now() + 55_000 && principal.expiresAt! <= Date.now() + 60_000);
    assert.equal(new Authenticator(SECRET).verify(mintToken(SECRET, { sub: 'u1', groups: [] })).expiresAt, undefined);
  });

  test('missing, malformed, wrongly signed, expired and other-algorithm tokens are unauthorized', () => {
    const auth = new Authenticator(SECRET);
    assert.throws(() => auth.verify(undefined), isCode('unauthorized'));
    assert.throws(() => auth.verify('not.a.jwt'), isCode('unauthorized'));
    assert.throws(() => auth.verify(mintToken('other-secret', { sub: 'u1', groups: ['g'] })), isCode('unauthorized'));
    const expired = createSigner({ key: SECRET, algorithm: 'HS256' })({ sub: 'u1', groups: ['g'], exp: Math.floor(Date.now() / 1000) - 10 });
    assert.throws(() => auth.verify(expired), (e: unknown) => isCode('unauthorized')(e) && /expired/.test((e as Error).message));
    const hs512 = createSigner({ key: SECRET, algorithm: 'HS512' })({ sub: 'u1', groups: ['g'] });
    assert.throws(() => auth.verify(hs512), isCode('unauthorized'));
    const unsigned = createSigner({ algorithm: 'none' })({ sub: 'u1', groups: ['g'] });
    assert.throws(() => auth.verify(unsigned), isCode('unauthorized'));
  });

  test('claims are checked: sub is an id, groups a list of ids or prefix* patterns', () => {
    const auth = new Authenticator(SECRET);
    const sign = createSigner({ key: SECRET, algorithm: 'HS256' });
    for (const claims of [{ groups: ['g'] }, { sub: 'a b', groups: ['g'] }, { sub: 'u' }, { sub: 'u', groups: 'g' }, { sub: 'u', groups: ['g h'] }, { sub: 'u', groups: [1] }]) {
      assert.throws(() => auth.verify(sign(claims)), isCode('unauthorized'), JSON.stringify(claims));
    }
  });

  test('group access: exact ids, prefix* patterns, * for all', () => {
    const principal = { user: 'u', groups: ['g1', 'team-*'], expiresAt: undefined };
    assert.equal(mayAccess(principal, 'g1'), true);
    assert.equal(mayAccess(principal, 'g10'), false);
    assert.equal(mayAccess(principal, 'team-red'), true);
    assert.equal(mayAccess(principal, 'team'), false);
    assert.equal(mayAccess({ ...principal, groups: ['*'] }, 'anything'), true);
    assert.throws(() => authorize(principal, 'other'), isCode('forbidden'));
    authorize(null, 'other'); // auth off: everything allowed
  });

  test('the token comes from Authorization: Bearer, else access_token', () => {
    assert.equal(tokenOf('Bearer abc', 'q'), 'abc');
    assert.equal(tokenOf('bearer abc', undefined), 'abc');
    assert.equal(tokenOf(undefined, 'q'), 'q');
    assert.equal(tokenOf(undefined, ''), undefined);
    assert.throws(() => tokenOf('Basic dXNlcjpwYXNz', undefined), isCode('unauthorized'));
  });
});
