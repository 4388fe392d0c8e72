import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mintToken } from '../../src/auth.js';
import { tokenUser } from '../../public/src/group-view.js';

test('tokenUser reads the sub of a real token (base64url payload) and nothing from junk', () => {
  assert.equal(tokenUser(mintToken('s', { sub: 'alice', groups: ['g1', 'team-*'], ttlSeconds: 60 })), 'alice');
  for (const junk of ['', 'abc', 'a.b.c', 'a.' + Buffer.from('{"sub":1}').toString('base64url') + '.c']) assert.equal(tokenUser(junk), null, junk);
});
