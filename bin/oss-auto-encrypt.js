#!/usr/bin/env node
'use strict';
// Runs straight from the TypeScript sources after `npm ci`, with no build step and never a stale build: load-cli.js
// bundles src/ on first use and whenever an input changed. (The deployed function is the separate bundle in dist/fc.)
require('./load-cli.js')
  .loadCli()
  .then((cli) => cli.main(process.argv.slice(2)))
  .then((code) => { process.exitCode = code; }, (err) => { process.stderr.write(`${err && err.stack ? err.stack : err}\n`); process.exitCode = 1; });
