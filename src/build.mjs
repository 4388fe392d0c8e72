// Transpiles the server's TypeScript to dist/ with esbuild, in the layout `tsc -p tsconfig.json` gives
// (src/main.ts → dist/src/main.js), one file per source, no bundling and no type check (that is
// `npm run typecheck`). `npm start` runs it before it execs node on dist/src/main.js, and the bench
// before it starts server children (`src transports bench`, for the floors), so the server runs the way
// the Dockerfile's image runs it: plain node on JavaScript, without tsx's loader thread (a V8 heap of its
// own) beside it on the server's core (docs/decisions.md, "The server runs compiled").
//
//   node src/build.mjs [dir ...]        default: src transports
//
// A file is written only when its bytes changed, through a temporary file and a rename, so a server
// starting while another build runs (tests run in parallel) reads either the old file or the new one.
import { transform } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** tsconfig.json's compiler options, so class fields and the like come out as tsc (and tsx) emit them. */
const TSCONFIG = readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8');

/** Every .ts file under `dir` (relative to the root), declaration files left out. */
function sources(dir) {
  return readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath ?? e.path, e.name)));
}

/** Writes `bytes` to `file` unless it already holds them; a rename makes the change atomic. */
function writeIfChanged(file, bytes) {
  try {
    if (readFileSync(file, 'utf8') === bytes) return false;
  } catch {
    mkdirSync(path.dirname(file), { recursive: true });
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
  return true;
}

/**
 * Transpiles every .ts file under `dirs` to dist/<same path>.js with a source map beside it; returns
 * how many files there were and how many changed.
 */
export async function buildServer(dirs = ['src', 'transports']) {
  const files = dirs.flatMap(sources);
  let changed = 0;
  await Promise.all(
    files.map(async (file) => {
      const out = path.join(ROOT, 'dist', file.replace(/\.ts$/, '.js'));
      const result = await transform(readFileSync(path.join(ROOT, file), 'utf8'), {
        loader: 'ts',
        format: 'esm',
        platform: 'node',
        target: 'node20',
        sourcemap: 'external',
        sourcesContent: false,
        tsconfigRaw: TSCONFIG,
        sourcefile: path.relative(path.dirname(out), path.join(ROOT, file)),
      });
      const code = `${result.code}//# sourceMappingURL=${path.basename(out)}.map\n`;
      if (writeIfChanged(out, code)) changed++;
      writeIfChanged(`${out}.map`, result.map);
    }),
  );
  return { files: files.length, changed };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await buildServer(process.argv.length > 2 ? process.argv.slice(2) : undefined);
}
