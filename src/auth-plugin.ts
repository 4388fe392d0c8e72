import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Authenticator, authorize, tokenOf, type Principal } from './auth.js';
import { atTime, type Deadline } from './timers.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Verifies tokens; null when AUTH_SECRET is not set (auth off). */
    auth: Authenticator | null;
  }
  interface FastifyRequest {
    /** The verified token's principal; null when auth is off (or not yet given, on STOMP upgrades). */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Served without a token (health, metrics, the demo page). */
    public?: boolean;
    /** A token may come later in the protocol (STOMP CONNECT); one given now must still be valid. */
    tokenLater?: boolean;
    /** The group a route serves when it has no :group or :id parameter (the compat SSE routes). */
    group?: string;
  }
}

/**
 * With AUTH_SECRET set, every route but the public ones needs a valid token (`Authorization: Bearer` or
 * `?access_token=`), and a route's group (`:group`, `:id`, or its configured group) must be in it.
 * Protocol-level checks (WebSocket ops, STOMP frames) use `request.principal` and `authorize`.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, options: { secret: string | undefined }) => {
    const auth = options.secret ? new Authenticator(options.secret) : null;
    app.decorate('auth', auth);
    app.decorateRequest('principal', null);
    if (!auth) return;
    app.addHook('onRequest', async (request: FastifyRequest) => {
      const config = request.routeOptions.config;
      if (config.public || request.is404) return;
      const query = request.query as { access_token?: unknown };
      const token = tokenOf(request.headers.authorization, typeof query?.access_token === 'string' ? query.access_token : undefined);
      if (!token && config.tokenLater) return;
      request.principal = auth.verify(token);
      const params = request.params as { group?: unknown; id?: unknown };
      const group = params?.group ?? params?.id ?? config.group;
      if (typeof group === 'string') authorize(request.principal, group);
    });
  },
  { name: 'realtime-arena-auth', fastify: '5.x' },
);

/** The user an event is attributed to: the token's when auth is on, else the body's, else a fallback. */
export function publisherOf(principal: Principal | null, bodyUser: string | undefined, fallback: string | undefined): string {
  return principal ? principal.user : (bodyUser ?? fallback ?? 'anonymous');
}

/**
 * Calls `expire` when the principal's token expires (streams close then); no timer when it never does.
 * An expiry beyond what one Node timer holds (~24.8 days) is re-armed in steps.
 */
export function whenExpired(principal: Principal | null, expire: () => void): Deadline | undefined {
  if (!principal?.expiresAt) return undefined;
  return atTime(principal.expiresAt, expire);
}
