import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextStep, startWalk } from '../../public/src/walk.js';

test('a walk starts near the centre and moves about 1.4 m/s with a valid heading', () => {
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  let step = startWalk(random);
  assert.ok(Math.abs(step.lat - 37.5665) < 0.003 && Math.abs(step.lng - 126.978) < 0.004);
  for (let i = 0; i < 100; i++) {
    const next = nextStep(step, 2, random);
    const dLat = (next.lat - step.lat) * 111_320;
    const dLng = (next.lng - step.lng) * 111_320 * Math.cos((step.lat * Math.PI) / 180);
    assert.ok(Math.abs(Math.hypot(dLat, dLng) - 2.8) < 0.01, 'distance per 2 s step');
    assert.ok(next.heading >= 0 && next.heading < 360 && Number.isInteger(next.heading));
    step = next;
  }
});

test('positions stay valid at the edges of the map', () => {
  const polar = nextStep({ lat: 89.99999, lng: 179.99999, heading: 45, speed: 1000 }, 10, () => 0.5);
  assert.ok(polar.lat <= 90 && polar.lng >= -180 && polar.lng <= 180);
});
