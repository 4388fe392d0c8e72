import { createSigner, createVerifier } from 'fast-jwt';
import { HubError } from './domain/errors.js';
import { ID_PATTERN } from './domain/schemas.js';

/**
 * Authentication and authorization (on when AUTH_SECRET is set): HS256 JWTs whose `sub` is the user
 * and whose `groups` claim lists the group ids — or `prefix*` patterns, or `*` — the user may use.
 */

/** Who a verified token speaks for. */
export interface Principal {
  /** The user every event this client publishes is attributed to (the token's `sub`). */
  readonly user: string;
  /** Allowed group ids and `prefix*` patterns. */
  readonly groups: readonly string[];
  /** When the token expires (ms since epoch), if it does. */
  readonly expiresAt: number | undefined;
}

const idRegExp = new RegExp(ID_PATTERN);
const PATTERN = /^[A-Za-z0-9_.-]{0,64}\*$/;

/** True when `principal` may subscribe to, poll or publish on `group`. */
export function mayAccess(principal: Principal, group: string): boolean {
  for (const allowed of principal.groups) {
    if (allowed === group) return true;
    if (allowed.endsWith('*') && group.startsWith(allowed.slice(0, -1))) return true;
  }
  return false;
}

/**
 * Checks access when auth is on (`principal` defined); does nothing when it is off (`null`).
 * @throws HubError `forbidden` for a group outside the token
 */
export function authorize(principal: Principal | null, group: string): void {
  if (principal && !mayAccess(principal, group)) throw new HubError('forbidden', `the token does not grant group ${group}`);
}

/** Verifies tokens with one secret. */
export class Authenticator {
  private readonly verifier: (token: string) => Record<string, unknown>;

  constructor(secret: string) {
    this.verifier = createVerifier({ key: secret, algorithms: ['HS256'], cache: 1000 }) as (token: string) => Record<string, unknown>;
  }

  /**
   * Verifies a token and reads its claims.
   * @throws HubError `unauthorized` for a missing, malformed, expired or wrongly signed token, or bad claims
   */
  verify(token: string | undefined): Principal {
    if (!token) throw new HubError('unauthorized', 'a token is required (Authorization: Bearer, access_token, or STOMP passcode)');
    let claims: Record<string, unknown>;
    try {
      claims = this.verifier(token);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new HubError('unauthorized', code === 'FAST_JWT_EXPIRED' ? 'the token has expired' : 'the token is not valid');
    }
    const { sub, groups, exp } = claims;
    if (typeof sub !== 'string' || !idRegExp.test(sub)) throw new HubError('unauthorized', `the token's sub must match ${ID_PATTERN}`);
    if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string' && (idRegExp.test(g) || PATTERN.test(g)))) {
      throw new HubError('unauthorized', "the token's groups must be a list of group ids or prefix* patterns");
    }
    return { user: sub, groups: groups as string[], expiresAt: typeof exp === 'number' ? exp * 1000 : undefined };
  }
}

/** The token of a request: `Authorization: Bearer <t>` wins over `?access_token=<t>` (for EventSource and browsers' WebSocket). */
export function tokenOf(authorization: string | undefined, accessToken: string | undefined): string | undefined {
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new HubError('unauthorized', 'Authorization must be "Bearer <token>"');
    return match[1];
  }
  return accessToken || undefined;
}

/** Mints a token (the `npm run token` CLI, tests and demos). */
export function mintToken(secret: string, claims: { sub: string; groups: string[]; ttlSeconds?: number }): string {
  const sign = createSigner({ key: secret, algorithm: 'HS256', ...(claims.ttlSeconds ? { expiresIn: claims.ttlSeconds * 1000 } : {}) });
  return sign({ sub: claims.sub, groups: claims.groups });
}
