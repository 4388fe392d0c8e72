import type { SCENARIOS } from '../args.js';
import type { ScenarioReport } from '../report/model.js';
import type { RunContext } from './phase.js';
import { runRoom } from './room.js';
import { runLocation } from './location.js';
import { runCapacity } from './capacity.js';
import { runReconnect } from './reconnect.js';
import { runSlowConsumer } from './slow-consumer.js';
import { runSoak } from './soak.js';
import { runHostile } from './hostile.js';

/** Every scenario by name. */
export const SCENARIO_RUNNERS: Record<(typeof SCENARIOS)[number], (ctx: RunContext) => Promise<ScenarioReport>> = {
  room: runRoom,
  location: runLocation,
  capacity: runCapacity,
  reconnect: runReconnect,
  'slow-consumer': runSlowConsumer,
  soak: runSoak,
  hostile: runHostile,
};
