import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

// public/ sits at the repository root; from src/ or dist/transports/ alike it is found by walking up.
async function findPublic(): Promise<string> {
  for (const up of ['../public/', '../../public/']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    try {
      await readFile(dir + 'index.html');
      return dir;
    } catch {
      // try the next candidate
    }
  }
  throw new Error('public/index.html not found');
}

/** Serves the demo page at `/`. */
export default async function demo(app: FastifyInstance): Promise<void> {
  const dir = await findPublic();
  const page = await readFile(dir + 'index.html');
  app.get('/', { config: { public: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
}
