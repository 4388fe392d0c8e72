// Publish-command, id and cursor validation (docs/protocol.md): every range boundary, no
// coercion in bodies, unknown fields, code-point text length, the id pattern, cursors, and error
// messages that name the field.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HubError } from '../../src/domain/errors.js';
import { cursorQuerySchema, publishCommandSchema } from '../../src/domain/schemas.js';
import {
  checkGroup,
  checkUser,
  compileRouteValidator,
  describeAjvError,
  parseCursor,
  parsePublishCommand,
  validatePublishCommand,
} from '../../src/domain/validate.js';

const loc = (extra: Record<string, unknown> = {}) => ({ type: 'location', lat: 37.5665, lng: 126.978, ...extra });
const chat = (extra: Record<string, unknown> = {}) => ({ type: 'chat', text: 'hi', ...extra });

/** Asserts `fn` throws a HubError with `code` whose message matches `message`. */
function throwsHub(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HubError, `expected HubError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.statusCode, 400);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('validatePublishCommand: location', () => {
  test('a full location command is accepted unchanged', () => {
    const cmd = loc({ accuracy: 5, heading: 90, speed: 1.2, sentAt: 1732270000120, user: 'u7' });
    assert.deepEqual(validatePublishCommand(structuredClone(cmd)), cmd);
  });

  test('lat boundaries: ±90 accepted, ±90.0001 rejected naming lat', () => {
    for (const lat of [-90, 90, 0]) validatePublishCommand(loc({ lat }));
    for (const lat of [90.0001, -90.0001]) throwsHub(() => validatePublishCommand(loc({ lat })), 'invalid_event', /\blat\b/);
  });

  test('lng boundaries: ±180 accepted, beyond rejected naming lng', () => {
    for (const lng of [-180, 180]) validatePublishCommand(loc({ lng }));
    for (const lng of [180.0001, -180.0001]) throwsHub(() => validatePublishCommand(loc({ lng })), 'invalid_event', /\blng\b/);
  });

  test('heading in [0, 360): 0 and 359.999 ok, 360 and -0.1 rejected', () => {
    for (const heading of [0, 359.999]) validatePublishCommand(loc({ heading }));
    for (const heading of [360, -0.1]) throwsHub(() => validatePublishCommand(loc({ heading })), 'invalid_event', /\bheading\b/);
  });

  test('accuracy and speed >= 0', () => {
    validatePublishCommand(loc({ accuracy: 0, speed: 0 }));
    throwsHub(() => validatePublishCommand(loc({ accuracy: -1 })), 'invalid_event', /\baccuracy\b/);
    throwsHub(() => validatePublishCommand(loc({ speed: -0.01 })), 'invalid_event', /\bspeed\b/);
  });

  test('1e400 parses to Infinity and is rejected as not finite', () => {
    for (const field of ['accuracy', 'speed', 'sentAt']) {
      throwsHub(() => parsePublishCommand(`{"type":"location","lat":1,"lng":2,"${field}":1e400}`), 'invalid_event', new RegExp(`${field}.*finite`));
    }
    for (const field of ['lat', 'lng', 'heading']) {
      throwsHub(() => parsePublishCommand(`{"type":"location","lat":1,"lng":2,"${field}":1e400}`), 'invalid_event', new RegExp(`\\b${field}\\b`));
    }
  });

  test('strings where numbers belong are rejected (no coercion in bodies)', () => {
    const body = loc({ lat: '37.5' });
    throwsHub(() => validatePublishCommand(body), 'invalid_event', /\blat\b.*number/);
    assert.equal(body.lat, '37.5', 'the body is not coerced in place');
    throwsHub(() => validatePublishCommand(loc({ speed: '1' })), 'invalid_event', /\bspeed\b/);
    throwsHub(() => validatePublishCommand(loc({ lng: null })), 'invalid_event', /\blng\b/);
  });

  test('missing lat/lng and unknown fields are rejected naming the field', () => {
    throwsHub(() => validatePublishCommand({ type: 'location', lng: 1 }), 'invalid_event', /missing field 'lat'/);
    throwsHub(() => validatePublishCommand(loc({ altitude: 3 })), 'invalid_event', /unknown field 'altitude'/);
    throwsHub(() => validatePublishCommand(loc({ text: 'x' })), 'invalid_event', /unknown field 'text'/);
  });
});

describe('validatePublishCommand: chat', () => {
  test('text of 1 and 1000 code points accepted; empty and 1001 rejected', () => {
    validatePublishCommand(chat({ text: 'a' }));
    validatePublishCommand(chat({ text: 'a'.repeat(1000) }));
    throwsHub(() => validatePublishCommand(chat({ text: '' })), 'invalid_event', /\btext\b/);
    throwsHub(() => validatePublishCommand(chat({ text: 'a'.repeat(1001) })), 'invalid_event', /\btext\b/);
  });

  test('text length counts code points: 1000 emoji (2000 UTF-16 units) ok, 1001 not', () => {
    const emoji1000 = '😀'.repeat(1000);
    assert.equal(emoji1000.length, 2000);
    assert.equal(validatePublishCommand(chat({ text: emoji1000 })).type, 'chat');
    throwsHub(() => validatePublishCommand(chat({ text: '😀'.repeat(1001) })), 'invalid_event', /\btext\b/);
  });

  test('clientId follows the id pattern', () => {
    validatePublishCommand(chat({ clientId: 'c-123_x.Y' }));
    validatePublishCommand(chat({ clientId: 'c'.repeat(64) }));
    for (const clientId of ['c'.repeat(65), '', 'a b', 'é', 'a/b', 5]) {
      throwsHub(() => validatePublishCommand(chat({ clientId })), 'invalid_event', /\bclientId\b/);
    }
  });

  test('location fields on a chat are unknown fields', () => {
    throwsHub(() => validatePublishCommand(chat({ lat: 1 })), 'invalid_event', /unknown field 'lat'/);
  });

  test('text must be a string', () => {
    throwsHub(() => validatePublishCommand(chat({ text: 5 })), 'invalid_event', /\btext\b/);
  });
});

describe('validatePublishCommand: shape, user, sentAt', () => {
  test('unknown or missing type', () => {
    throwsHub(() => validatePublishCommand({ type: 'teleport' }), 'invalid_event', /type/);
    throwsHub(() => validatePublishCommand({ type: 7 }), 'invalid_event', /type/);
    throwsHub(() => validatePublishCommand({ lat: 1, lng: 2 }), 'invalid_event', /missing field 'type'/);
  });

  test('non-objects are invalid_event', () => {
    for (const body of [null, [], 'chat', 42, true, undefined]) throwsHub(() => validatePublishCommand(body), 'invalid_event');
  });

  test('a bad user is invalid_user naming user; a good one is kept', () => {
    for (const user of ['a b', 'u'.repeat(65), '', 'üser', 3]) {
      throwsHub(() => validatePublishCommand(chat({ user })), 'invalid_user', /\buser\b/);
      throwsHub(() => validatePublishCommand(loc({ user })), 'invalid_user', /\buser\b/);
    }
    assert.equal(validatePublishCommand(chat({ user: 'u'.repeat(64) })).user, 'u'.repeat(64));
  });

  test('sentAt must be a non-negative finite number', () => {
    validatePublishCommand(chat({ sentAt: 0 }));
    throwsHub(() => validatePublishCommand(chat({ sentAt: -1 })), 'invalid_event', /\bsentAt\b/);
    throwsHub(() => validatePublishCommand(chat({ sentAt: '1' })), 'invalid_event', /\bsentAt\b/);
  });
});

describe('parsePublishCommand', () => {
  test('parses valid JSON text', () => {
    assert.deepEqual(parsePublishCommand('{"type":"chat","text":"안녕 😀"}'), { type: 'chat', text: '안녕 😀' });
  });

  test('malformed JSON is invalid_event', () => {
    for (const text of ['', '{', 'hello', '{"type":"chat",}', "{'type':'chat'}"]) {
      throwsHub(() => parsePublishCommand(text), 'invalid_event', /JSON/);
    }
  });

  test('a bad user in text is invalid_user', () => {
    throwsHub(() => parsePublishCommand('{"type":"chat","text":"x","user":"no spaces"}'), 'invalid_user');
  });
});

describe('checkGroup / checkUser', () => {
  const good = ['g', 'g1', 'A-Z_a.z-09', 'x'.repeat(64), '.', '-'];
  const bad = ['', 'x'.repeat(65), 'a b', ' g', 'g\n', 'grüße', '그룹', 'a/b', 'a:b', '😀', undefined, null, 5, ['g']];

  test('the id pattern ^[A-Za-z0-9_.-]{1,64}$', () => {
    for (const id of good) {
      assert.equal(checkGroup(id), id);
      assert.equal(checkUser(id), id);
    }
    for (const id of bad) {
      throwsHub(() => checkGroup(id), 'invalid_group', /group/);
      throwsHub(() => checkUser(id), 'invalid_user', /user/);
    }
  });
});

describe('parseCursor', () => {
  test('absent is undefined', () => {
    assert.equal(parseCursor(undefined), undefined);
    assert.equal(parseCursor(null), undefined);
  });

  test('non-negative integers as numbers or decimal strings', () => {
    assert.equal(parseCursor('0'), 0);
    assert.equal(parseCursor('5'), 5);
    assert.equal(parseCursor(5), 5);
    assert.equal(parseCursor(0), 0);
    assert.equal(parseCursor(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
  });

  test('malformed cursors are invalid_cursor', () => {
    for (const value of ['', ' 5', '5 ', '+1', '0b11', '0o3', '-1', '1.5', 'abc', '5abc', '0x10', '1e3', -1, 1.5, 2 ** 60, '99999999999999999999', Infinity, NaN, true, {}, [1]]) {
      throwsHub(() => parseCursor(value), 'invalid_cursor', /cursor/);
    }
  });
});

describe('compileRouteValidator', () => {
  test('querystrings are coerced', () => {
    const validate = compileRouteValidator({ schema: cursorQuerySchema, httpPart: 'querystring' });
    const query: Record<string, unknown> = { since: '5', user: 'u1' };
    assert.equal(validate(query), true);
    assert.equal(query.since, 5);
    assert.equal(validate({ since: '-1' }), false);
    for (const since of [' ', '', '0x1', '1e3', '+1', '1.0', '9007199254740992']) assert.equal(validate({ since }), false, JSON.stringify(since));
    assert.equal(validate({ since: 'abc' }), false);
  });

  test('bodies are strict: no coercion', () => {
    const validate = compileRouteValidator({ schema: publishCommandSchema, httpPart: 'body' });
    assert.equal(validate({ type: 'location', lat: '1', lng: 2 }), false);
    assert.equal(validate({ type: 'location', lat: 1, lng: 2 }), true);
  });
});

describe('describeAjvError', () => {
  test('names the field for each keyword', () => {
    const base = { schemaPath: '#', params: {} };
    assert.equal(describeAjvError(undefined), 'body is invalid');
    assert.equal(describeAjvError(undefined, 'query'), 'query is invalid');
    assert.equal(describeAjvError({ ...base, keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'zz' } }), "unknown field 'zz'");
    assert.equal(describeAjvError({ ...base, keyword: 'required', instancePath: '', params: { missingProperty: 'lat' } }), "missing field 'lat'");
    assert.equal(describeAjvError({ ...base, keyword: 'discriminator', instancePath: '/type' }), "type must be 'location' or 'chat'");
    assert.equal(describeAjvError({ ...base, keyword: 'maximum', instancePath: '/lat', message: 'must be <= 90' }), 'lat must be <= 90');
    assert.match(describeAjvError({ ...base, keyword: 'pattern', instancePath: '/clientId' }), /^clientId must match/);
    assert.equal(describeAjvError({ ...base, keyword: 'type', instancePath: '/a/b', message: 'must be number' }), 'a.b must be number');
    assert.equal(describeAjvError({ ...base, keyword: 'type', instancePath: '', message: 'must be object' }, 'op'), 'op must be object');
  });
});
