import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colorOf, gridStep } from '../../public/src/map.js';

test('gridStep gives 1-2-5 steps of about a fifth of the span', () => {
  assert.equal(gridStep(0.01), 0.002);
  assert.equal(gridStep(0.004), 0.001);
  assert.equal(gridStep(1), 0.2);
  assert.equal(gridStep(30), 10);
});

test('colorOf is stable per user and drawn from a palette readable on white', () => {
  assert.equal(colorOf('alice'), colorOf('alice'));
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  for (const user of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'walker-1', 'bob']) {
    const contrast = 1.05 / (luminance(colorOf(user)) + 0.05);
    assert.ok(contrast >= 4.5, `${user}: ${colorOf(user)} contrast ${contrast.toFixed(2)}`);
  }
});
