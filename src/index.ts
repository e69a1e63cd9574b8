import { run } from './main.js'

await run()
// The verdict is written. Whatever may still hold the event loop (a file handle stuck on a slow
// disk, a socket nobody closed) must not hold the step: it ends, with the exit code run() set.
setTimeout(() => process.exit(), 2000).unref()
