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
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=32'] as const;
