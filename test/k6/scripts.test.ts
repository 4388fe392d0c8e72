// Static checks of the k6 scripts: they type-check against @types/k6 (k6/tsconfig.json: checkJs,
// types ["k6"]), import only k6, k6/* and relative files, and the pure helpers import nothing
// from k6 so that Node can unit-test them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = fileURLToPath(new URL('../../', import.meta.url));
const k6dir = path.join(root, 'k6');
const files = [
  ...readdirSync(k6dir).filter((f) => f.endsWith('.js')),
  ...readdirSync(path.join(k6dir, 'lib')).filter((f) => f.endsWith('.js')).map((f) => `lib/${f}`),
];
const PURE = ['lib/accounting.js', 'lib/sse-parse.js', 'lib/stomp-frame.js', 'lib/config.js', 'lib/domain.js'];

/** Every module specifier in `src`: static imports, re-exports, dynamic import() and require(). */
function specifiers(src: string): string[] {
  const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: string[] = [];
  for (const re of [
    /\bimport\s+(?:[\w*{}\s,]+\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bexport\s+(?:\*|\{[^}]*\})\s*from\s+['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*([^)]*)\)/g,
    /\brequire\s*\(\s*([^)]*)\)/g,
  ]) {
    for (const m of code.matchAll(re)) out.push(m[1].trim());
  }
  return out;
}

test('the scripts and library exist', () => {
  for (const f of ['short-polling.js', 'long-polling.js', 'sse.js', 'websocket.js', 'stomp.js', 'compare.js', ...PURE, 'lib/metrics.js']) {
    assert.ok(files.includes(f), f);
  }
});

test('the import scanner sees every form of import', () => {
  assert.deepEqual(
    specifiers(`import a from 'k6';\nimport { b } from "./x.js";\nimport * as c from 'k6/http';\nimport 'side';\nexport { d } from '../y.js';\nconst e = await import('fs');\nrequire("net");\n// import z from 'commented';`),
    ['k6', './x.js', 'k6/http', 'side', '../y.js', "'fs'", '"net"'],
  );
});

test('scripts import only k6, k6/* modules and relative .js files', () => {
  for (const f of files) {
    for (const spec of specifiers(readFileSync(path.join(k6dir, f), 'utf8'))) {
      const ok = spec === 'k6' || /^k6\/[a-z0-9/_-]+$/.test(spec) || /^\.\.?\/[\w./-]+\.js$/.test(spec);
      assert.ok(ok, `${f} imports "${spec}": k6 runs scripts without node_modules or Node built-ins`);
    }
  }
});

test('only sse-xk6.js needs an extension; compare and the stock scripts use core k6 modules', () => {
  for (const f of files) {
    const exts = specifiers(readFileSync(path.join(k6dir, f), 'utf8')).filter((s) => s.startsWith('k6/x/'));
    assert.deepEqual(exts, f === 'sse-xk6.js' ? ['k6/x/sse'] : [], f);
  }
  const ws = specifiers(readFileSync(path.join(k6dir, 'lib/websocket.js'), 'utf8'));
  assert.deepEqual(ws, ['k6/websockets'], 'the stable non-blocking WebSocket module, named in one place');
  for (const f of files.filter((x) => x !== 'lib/websocket.js')) {
    const specs = specifiers(readFileSync(path.join(k6dir, f), 'utf8'));
    assert.ok(!specs.some((s) => /^k6\/(experimental\/)?websockets$|^k6\/ws$/.test(s)), `${f} names the WebSocket module itself`);
  }
});

test('pure helpers import nothing from k6, only other pure helpers', () => {
  for (const f of PURE) {
    for (const spec of specifiers(readFileSync(path.join(k6dir, f), 'utf8'))) {
      const target = path.posix.join(path.posix.dirname(f), spec);
      assert.ok(spec.startsWith('.') && PURE.includes(target), `${f} imports ${spec}`);
    }
  }
});

test('every script type-checks against @types/k6 (tsc -p k6/tsconfig.json)', () => {
  const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
  let listed = '';
  try {
    listed = execFileSync(tsc, ['-p', path.join(k6dir, 'tsconfig.json'), '--listFiles'], { cwd: root, encoding: 'utf8' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    assert.fail(`tsc reported errors:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
  const checked = listed.split('\n').map((l) => path.resolve(root, l.trim()));
  for (const f of files) assert.ok(checked.includes(path.join(k6dir, f)), `${f} is covered by the type check`);
  assert.ok(checked.some((l) => l.includes(`${path.sep}@types${path.sep}k6${path.sep}websockets`)), 'checked against @types/k6');
});

test('the k6 tsconfig is a checkJs, noEmit config with k6 types only', () => {
  const cfg = JSON.parse(readFileSync(path.join(k6dir, 'tsconfig.json'), 'utf8'));
  const o = cfg.compilerOptions;
  assert.deepEqual([o.allowJs, o.checkJs, o.noEmit, o.types], [true, true, true, ['k6']]);
  assert.ok(!o.lib.some((l: string) => /dom/i.test(l)), 'no DOM types: k6 has no browser globals');
});
