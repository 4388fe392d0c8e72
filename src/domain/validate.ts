import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { HubError, type ErrorCode } from './errors.js';
import { ID_PATTERN, publishCommandSchema } from './schemas.js';
import type { PublishCommand } from './events.js';
import { cursorFrom } from './cursor.js';

// Two compilers: bodies are strict (a "1" where a number belongs is a wrong type), while params and
// querystrings arrive as strings and must be coerced.
function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ coerceTypes, allErrors: false, discriminator: true, useDefaults: true, strict: false });
  ajv.addKeyword({
    keyword: 'finite',
    type: 'number',
    errors: true,
    validate: function finite(this: unknown, _schema: boolean, data: number) {
      if (Number.isFinite(data)) return true;
      (finite as unknown as { errors: Partial<ErrorObject>[] }).errors = [
        { keyword: 'finite', message: 'must be a finite number', params: {} },
      ];
      return false;
    },
  });
  // `cursor: true` applies the one cursor rule (cursor.ts) and hands the handler a number: a query
  // string's digits become the integer, so no Ajv coercion ever reads ' ', '0x1' or '1e3' as a cursor.
  ajv.addKeyword({
    keyword: 'cursor',
    modifying: true,
    errors: true,
    validate: function cursor(this: unknown, _schema: boolean, data: unknown, _parent?: object, cxt?: { parentData: Record<string | number, unknown>; parentDataProperty: string | number }) {
      const value = cursorFrom(data);
      if (value !== undefined) {
        if (cxt && typeof data === 'string') cxt.parentData[cxt.parentDataProperty] = value;
        return true;
      }
      (cursor as unknown as { errors: Partial<ErrorObject>[] }).errors = [
        { keyword: 'cursor', message: 'must be decimal digits only, at most 2^53-1', params: {} },
      ];
      return false;
    },
  });
  return ajv;
}

const strictAjv = makeAjv(false);
const coercingAjv = makeAjv(true);

const publishValidator = strictAjv.compile<PublishCommand>(publishCommandSchema);
const idRegExp = new RegExp(ID_PATTERN);

/** Compiles a schema for a parsed body (strict types), as WebSocket and STOMP frames are. */
export function compileBodySchema<T>(schema: object): ValidateFunction<T> {
  return strictAjv.compile<T>(schema);
}

/** Fastify's validator compiler: strict for bodies, coercing for params, querystring and headers. */
export function compileRouteValidator({ schema, httpPart }: { schema: object; httpPart?: string }): ValidateFunction {
  return (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema);
}

/** Turns an Ajv error into a short sentence naming the field. */
export function describeAjvError(error: ErrorObject | undefined, whole = 'body'): string {
  if (!error) return `${whole} is invalid`;
  const field = error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : whole;
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown field '${(error.params as { additionalProperty: string }).additionalProperty}'`;
    case 'required':
      return `missing field '${(error.params as { missingProperty: string }).missingProperty}'`;
    case 'discriminator':
      return "type must be 'location' or 'chat'";
    case 'minimum':
    case 'maximum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum':
      return `${field} ${error.message}`;
    case 'pattern':
      return field === 'since' ? 'since must be decimal digits only, at most 2^53-1' : `${field} must match ${ID_PATTERN}`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}

/** Which error code a failing body field maps to: `user` is a user problem, the rest event problems. */
export function codeForBodyError(error: ErrorObject | undefined): ErrorCode {
  return error?.instancePath === '/user' ? 'invalid_user' : 'invalid_event';
}

/**
 * Validates a publish command that came from any transport (already JSON-parsed).
 * @throws HubError `invalid_event` (or `invalid_user` for a bad `user`)
 */
export function validatePublishCommand(body: unknown): PublishCommand {
  if (publishValidator(body)) return body;
  const error = publishValidator.errors?.[0];
  throw new HubError(codeForBodyError(error), describeAjvError(error));
}

/**
 * Parses and validates a publish command from raw text (WebSocket and STOMP bodies).
 * @throws HubError `invalid_event` for malformed JSON or a bad command
 */
export function parsePublishCommand(text: string): PublishCommand {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HubError('invalid_event', 'body is not valid JSON');
  }
  return validatePublishCommand(body);
}

/** @throws HubError `invalid_group` unless `group` matches the id pattern */
export function checkGroup(group: unknown): string {
  if (typeof group === 'string' && idRegExp.test(group)) return group;
  throw new HubError('invalid_group', `group must match ${ID_PATTERN}`);
}

/** @throws HubError `invalid_user` unless `user` matches the id pattern */
export function checkUser(user: unknown): string {
  if (typeof user === 'string' && idRegExp.test(user)) return user;
  throw new HubError('invalid_user', `user must match ${ID_PATTERN}`);
}

/**
 * Parses a cursor with the one rule (cursor.ts): a decimal string (`Last-Event-ID`, STOMP `since`
 * header) or a JSON integer.
 * @returns the cursor, or undefined when absent (`undefined`/`null`; an empty string is malformed)
 * @throws HubError `invalid_cursor` when malformed
 */
export function parseCursor(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const cursor = cursorFrom(value);
  if (cursor !== undefined) return cursor;
  throw new HubError('invalid_cursor', 'cursor must be decimal digits only, at most 2^53-1');
}
