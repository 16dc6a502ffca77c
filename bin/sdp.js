#!/usr/bin/env -S node --max-semi-space-size=64
'use strict';
// Node flags live on the line above, so `npx sdp`, `npm start` and the Docker
// image all run the same way. V8's young generation defaults to 16 MB
// semi-spaces; a gateway under load holds each in-flight request's parsed
// subgraph answers and response tree for a few milliseconds, and with fifty
// requests in flight those outgrow 16 MB, get promoted and are collected by
// full GCs. 64 MB semi-spaces keep them young (bench/README.md: the W1
// measurements with and without). V8 reads the flag only at start-up.
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
