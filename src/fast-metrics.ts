import type { Registry } from 'prom-client';

/**
 * Counter and histogram families whose children are really bound: the hot path adds to a number in
 * place. prom-client's `labels()` children re-hash their label set on every call (`inc.bind(this,
 * labels)`), which measured ~1.4 µs per delivery (bench/tools/metrics-cost.ts). These families plug
 * into the same prom-client Registry, which renders them with everything else at scrape time.
 */

type Labels = Record<string, string>;
interface Sample {
  value: number;
  /** As prom-client gives them: `le` is a number, except `'+Inf'`. */
  labels: Record<string, string | number>;
  metricName?: string;
}

/** A counter child: incremented in place. */
export class CounterChild {
  /** The running total. */
  value = 0;
  /** Adds `by` (default 1). */
  inc(by = 1): void {
    this.value += by;
  }
}

/** A histogram child: per-bucket counts (not cumulative until scraped), sum and count. */
export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  /** Records one value. */
  observe(value: number): void {
    this.observeMany(value, 1);
  }
  /** Records the same value `n` times (a fan-out's deliveries share one clock reading). */
  observeMany(value: number, n: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]! += n;
    this.sum += value * n;
    this.count += n;
  }
}

abstract class Family<Child> {
  readonly aggregator = 'sum';
  protected readonly children = new Map<string, { labels: Labels; child: Child }>();
  /** Run before every scrape (children that batch their updates settle them here). */
  protected readonly collectHooks: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The child for these label values (in `labelNames` order), created once; keep it. */
  child(...values: string[]): Child {
    const key = values.join('\u0000');
    let entry = this.children.get(key);
    if (!entry) {
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]!));
      this.children.set(key, (entry = { labels, child: this.create() }));
    }
    return entry.child;
  }

  /** Adds a hook run before each scrape of this family. */
  beforeCollect(hook: () => void): void {
    this.collectHooks.push(hook);
  }

  protected abstract create(): Child;
}

/** A counter family (Prometheus type `counter`). */
export class FastCounter extends Family<CounterChild> {
  readonly type = 'counter';
  protected create(): CounterChild {
    return new CounterChild();
  }
  /** Samples in prom-client's shape, for the registry. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    for (const hook of this.collectHooks) hook();
    const values = [...this.children.values()].map(({ labels, child }) => ({ labels, value: child.value }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
  reset(): void {
    for (const { child } of this.children.values()) child.value = 0;
  }
}

/** A histogram family (Prometheus type `histogram`) with fixed upper bounds. */
export class FastHistogram extends Family<HistogramChild> {
  readonly type = 'histogram';
  constructor(name: string, help: string, labelNames: readonly string[], private readonly bounds: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
  }
  protected create(): HistogramChild {
    return new HistogramChild(this.bounds);
  }
  /** Cumulative `_bucket` samples (with `le`), `_sum` and `_count`, as prom-client renders them. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    for (const hook of this.collectHooks) hook();
    const values: Sample[] = [];
    for (const { labels, child } of this.children.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += child.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: child.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: child.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: child.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
  reset(): void {
    for (const { child } of this.children.values()) {
      child.counts.fill(0);
      child.sum = 0;
      child.count = 0;
    }
  }
}
