import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTestApp } from '../support/server.js';
import { buildPages } from '../support/browser.js';

test('the demo, the comparison page, the stylesheet and the bundles are served, with a same-origin CSP', async (t) => {
  buildPages();
  const app = await buildTestApp(t);
  for (const [url, type] of [['/', /text\/html/], ['/compare', /text\/html/], ['/style.css', /text\/css/], ['/assets/demo.js', /javascript/], ['/assets/compare.js', /javascript/]] as const) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 200, url);
    assert.match(res.headers['content-type'] as string, type, url);
    assert.match(res.headers['content-security-policy'] as string, /default-src 'self'.*connect-src 'self'/, url);
  }
  assert.match((await app.inject({ url: '/' })).body, /<script type="module" src="\/assets\/demo.js">/);
  assert.match((await app.inject({ url: '/compare' })).body, /<script type="module" src="\/assets\/compare.js">/);
});

test('the pages reference nothing outside this origin', async (t) => {
  const app = await buildTestApp(t);
  for (const url of ['/', '/compare', '/style.css']) {
    const body = (await app.inject({ url })).body;
    assert.doesNotMatch(body, /(src|href)="(https?:)?\/\//, url);
    assert.doesNotMatch(body, /@import|url\(\s*['"]?https?:/, url);
  }
});

test('with auth on, the pages need no token; nothing outside public/dist is served under /assets/', async (t) => {
  const app = await buildTestApp(t, { authSecret: 'page-secret' });
  assert.equal((await app.inject({ url: '/' })).statusCode, 200);
  assert.equal((await app.inject({ url: '/assets/demo.js' })).statusCode, 200);
  for (const url of ['/assets/../package.json', '/assets/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json', '/assets/../src/demo.ts']) {
    const res = await app.inject({ url });
    assert.notEqual(res.statusCode, 200, url);
    assert.doesNotMatch(res.body, /"name": "realtime-arena"/, url);
  }
  assert.equal((await app.inject({ url: '/groups/g/snapshot' })).statusCode, 401, 'data routes still need a token');
});
