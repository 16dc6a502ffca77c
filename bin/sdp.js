#!/usr/bin/env node
'use strict';
// The CLI is written in TypeScript and compiled to dist/ by `npm ci` (the `prepare` script).
require('../dist/cli/sdp.js');
