// Bundles the pages' scripts (public/src/*.ts, @stomp/stompjs included) into public/dist/ with esbuild.
// Run by `npm run build:pages`, and by `npm install` / `npm ci` through the `prepare` script.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: { demo: 'public/src/demo.ts', compare: 'public/src/compare.ts' },
  outdir: 'public/dist',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
