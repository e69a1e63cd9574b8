#!/usr/bin/env node
// The same engine as the action, from a terminal. Built by `npm run build` into dist/cli/.
import '../dist/cli/index.js'
