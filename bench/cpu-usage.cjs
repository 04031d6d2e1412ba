'use strict';
// Preloaded (NODE_OPTIONS=--require) into every Node process of a measured run, npm's own included: appends the
// process's CPU time to $BENCH_CPU_FILE when it exits, so bench/backfill-speed.bench.ts can report client CPU.
const { appendFileSync } = require('node:fs');

process.once('exit', () => {
  const { user, system } = process.cpuUsage();
  try {
    appendFileSync(process.env.BENCH_CPU_FILE, `${JSON.stringify({ pid: process.pid, cpuMs: (user + system) / 1000 })}\n`);
  } catch {
    // no file given: nothing to report
  }
});
