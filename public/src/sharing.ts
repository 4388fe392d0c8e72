/** The demo page's location sharing: a simulated walk, or the browser's real position (with permission). */
import type { PublishCommand } from './client-common.js';
import { nextStep, startWalk, type Step } from './walk.js';

const WALK_EVERY_MS = 2000;
let walk: Step | null = null;

/**
 * Starts publishing positions in `mode` ('walk' | 'real' | anything else = none); returns a function
 * that stops. The walk carries on from where it stopped, so a rejoin does not jump.
 */
export function startSharing(mode: string, publish: (c: PublishCommand) => Promise<number>, refused: (why: string) => void): () => void {
  const send = (c: PublishCommand) => void publish(c).catch(() => {}); // the page's hint shows the failure
  if (mode === 'walk') {
    walk ??= startWalk();
    const step = () => {
      walk = nextStep(walk!, WALK_EVERY_MS / 1000);
      send({ type: 'location', lat: walk.lat, lng: walk.lng, heading: walk.heading, speed: walk.speed, accuracy: 5 });
    };
    step();
    const timer = setInterval(step, WALK_EVERY_MS);
    return () => clearInterval(timer);
  }
  if (mode === 'real' && 'geolocation' in navigator) {
    let lastSent = 0;
    const id = navigator.geolocation.watchPosition(
      (p) => {
        if (Date.now() - lastSent < 1000) return;
        lastSent = Date.now();
        const c = p.coords;
        const heading = c.heading !== null && Number.isFinite(c.heading) ? { heading: c.heading % 360 } : {};
        const speed = c.speed !== null && Number.isFinite(c.speed) ? { speed: Math.max(0, c.speed) } : {};
        send({ type: 'location', lat: c.latitude, lng: c.longitude, accuracy: Math.max(0, c.accuracy), ...heading, ...speed });
      },
      (err) => refused(err.message),
      { enableHighAccuracy: true },
    );
    return () => navigator.geolocation.clearWatch(id);
  }
  return () => {};
}
