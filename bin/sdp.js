#!/usr/bin/env node
'use strict';
// The CLI is written in TypeScript and compiled to dist/ by `npm ci` (the `prepare` script).
require('../dist/cli/sdp.js')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write('sdp: ' + (err && err.stack ? err.stack : String(err)) + '\n');
      process.exitCode = 1;
    },
  );
