#!/usr/bin/env node
'use strict';
// Runs the compiled CLI when built (npm run build), else the TypeScript source through tsx.
const path = require('node:path');
const fs = require('node:fs');
const built = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (fs.existsSync(built)) {
  require(built).main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
} else {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'src', 'cli', 'main.ts')).main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
