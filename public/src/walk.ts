/** A simulated walk for the demo page: a person strolling at ~1.4 m/s, turning a little each step. */

/** A position and the direction and speed it is moving in. */
export interface Step {
  lat: number;
  lng: number;
  /** Degrees clockwise from north, [0, 360). */
  heading: number;
  /** m/s. */
  speed: number;
}

const METERS_PER_DEG_LAT = 111_320;

/** Starts within ~300 m of a centre (Seoul City Hall) so several pages' walkers share the map. */
export function startWalk(random: () => number = Math.random, center = { lat: 37.5665, lng: 126.978 }): Step {
  const r = 300 * Math.sqrt(random());
  const a = random() * 2 * Math.PI;
  return {
    lat: center.lat + (r * Math.cos(a)) / METERS_PER_DEG_LAT,
    lng: center.lng + (r * Math.sin(a)) / (METERS_PER_DEG_LAT * Math.cos((center.lat * Math.PI) / 180)),
    heading: Math.floor(random() * 360),
    speed: 1.4,
  };
}

/** The position `seconds` later, with the heading drifting by up to ±25° a step. */
export function nextStep(step: Step, seconds: number, random: () => number = Math.random): Step {
  const heading = (((step.heading + (random() - 0.5) * 50) % 360) + 360) % 360;
  const d = step.speed * seconds;
  const rad = (heading * Math.PI) / 180;
  const lat = step.lat + (d * Math.cos(rad)) / METERS_PER_DEG_LAT;
  const lng = step.lng + (d * Math.sin(rad)) / (METERS_PER_DEG_LAT * Math.cos((step.lat * Math.PI) / 180));
  return { lat: Math.max(-90, Math.min(90, lat)), lng: ((((lng + 180) % 360) + 360) % 360) - 180, heading: Math.floor(heading) % 360, speed: step.speed };
}
