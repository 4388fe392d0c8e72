import path from 'node:path';

/**
 * One line per skipped suite (each test file runs in its own process), naming the file and what is
 * missing, besides node:test's per-test `# SKIP` reason. The test runner shows a line a suite prints
 * as a comment. Returns the reason unchanged, for `{ skip: reason }`.
 */
export function skipNotice<T extends string | false>(reason: T): T {
  if (reason) {
    const file = path.relative(process.cwd(), process.argv[1] ?? 'this suite');
    process.stdout.write(`skipping ${file}: ${reason}; .ci/run installs it\n`);
  }
  return reason;
}
