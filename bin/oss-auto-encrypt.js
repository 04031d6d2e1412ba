#!/usr/bin/env node
'use strict';
// The CLI runs from the TypeScript source through tsx's CommonJS hook, so `npx oss-auto-encrypt` works right
// after `npm ci` and never runs a stale build. (The deployed function is the separate bundle in dist/fc.)
const path = require('node:path');
require('tsx/cjs');
require(path.join(__dirname, '..', 'src', 'cli', 'main.ts'))
  .main(process.argv.slice(2))
  .then((code) => { process.exitCode = code; }, (err) => { process.stderr.write(`${err && err.stack ? err.stack : err}\n`); process.exitCode = 1; });
