#!/usr/bin/env node
// The `attnscope` command: the bundled CLI built by `npm install` (scripts/build.mjs).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const cli = join(__dirname, '..', 'dist', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('attnscope: dist/cli.js is missing; run `npm install` (or `npm run build`) in the checkout first.\n');
  process.exit(2);
}
require(cli);
