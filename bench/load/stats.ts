import { emptyTally } from '../accounting.js';
import { Histogram } from '../histogram.js';
import type { RoleResult } from './protocol.js';

/** A shared clock across threads: every thread's timeOrigin + now() agree to ~0.02 ms. */
export const sharedNow = (): number => performance.timeOrigin + performance.now();

/** Per-role accumulators. */
export class RoleStats {
  readonly tally = emptyTally();
  readonly latency = new Histogram();
  readonly connect = new Histogram();
  opened = 0;
  failed = 0;

  toResult(): RoleResult {
    return { tally: { ...this.tally }, latency: this.latency.toJSON(), connect: this.connect.toJSON(), opened: this.opened, failed: this.failed };
  }
}

