import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** public/ sits at the repository root; from transports/ or dist/transports/ alike it is found by walking up. */
export function findPublic(): string {
  for (const up of ['../public/', '../../public/']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(path.join(dir, 'index.html'))) return dir;
  }
  throw new Error('public/index.html not found');
}

/**
 * Nothing on the pages may leave this origin: scripts, styles, images and connections are same-origin
 * only ('self' covers ws:// to the same host in current browsers), and no inline script runs.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * Serves the demo page at `/`, the comparison page at `/compare` and their bundled scripts under
 * `/assets/` (built from public/src by `npm run build:pages`, which `npm install` runs). Every route here
 * is public: the pages carry no data; the token a user types is sent by the page to the data routes.
 */
export default async function pages(app: FastifyInstance): Promise<void> {
  const dir = findPublic();
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config as object), public: true };
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
  });
  if (!existsSync(path.join(dir, 'dist', 'demo.js'))) {
    app.log.warn('public/dist is missing: run `npm run build:pages` (npm install does it) for the demo and compare pages');
  }
  await app.register(fastifyStatic, { root: dir, serve: false });
  app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').sendFile('index.html'));
  app.get('/compare', (_request, reply) => reply.type('text/html; charset=utf-8').sendFile('compare.html'));
  app.get('/style.css', (_request, reply) => reply.sendFile('style.css'));
  await app.register(fastifyStatic, { root: path.join(dir, 'dist'), prefix: '/assets/', decorateReply: false, index: false });
}
