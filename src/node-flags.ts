/**
 * The V8 flags the server runs with, wherever it is started: `npm start`, the Dockerfile's CMD and the
 * bench's server children (product and floors alike, so both are measured on the same runtime).
 * test/node-flags.test.ts holds the three to this list.
 *
 * `--max-semi-space-size=32` (MB; Node 20's default ceiling is 16): at a thousand requests in flight
 * (short polling under wrk) a 16 MB young generation fills so fast that objects of requests still
 * being answered survive two scavenges and are promoted; the server then flips into a state where
 * every scavenge copies megabytes (~10 ms each instead of ~1 ms) and GC takes a fifth of its CPU.
 * With 32 MB it stayed out of that state in every run (docs/benchmarks.md, "Short polling"). V8 still
 * shrinks the young generation of an idle server; the cost is up to ~64 MB more RSS under load.
 *
 * `--single-threaded-gc`: V8 runs its scavenges and marking on the main thread only, without helper
 * threads. A server pinned to one core (the bench's layout, and one process per core in production)
 * gains nothing from parallel GC threads: they run on the same core, and a scavenge's pause then
 * includes waiting for them to be scheduled beside the other processes on that core (Redis, a second
 * instance). Measured on two instances and Redis sharing a core: the cross-instance accept → arrival
 * p99 lower in 6 of 8 interleaved pairs, median 6.1 against 7.1 ms; CPU per delivery and short-poll
 * throughput unchanged within the noise (docs/benchmarks.md, "Many instances on Redis").
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=32', '--single-threaded-gc'] as const;
