/**
 * `npm run demo`: starts the example Worker (examples/worker) in workerd through miniflare, as a
 * freshly deployed trading-reports API with nothing cached, and runs the built action
 * (dist/index.js) against it the way a GitHub runner does. Prints what a user would see: the step
 * log, the phases, the thresholds, cold against warm latency and the outputs. Then the same run
 * with a wrong key, which fails, says why, and keeps the key out of every artifact.
 *
 * It runs the committed dist/ as it is and builds first only when asked (`npm run demo --
 * --build`) or when dist/index.js cannot hold what is in src/ (see distIsStale).
 */
import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { startWorker } from './worker.js'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const ACTION = path.join(ROOT, 'dist/index.js')
const VERSION = '1.4.2'

const ENDPOINTS = `critical:
  - /api/v1/reports/pre-market
  - /api/v1/symbols
high:
  - /api/v1/reports/intraday
  - /api/v1/reports/end-of-day
normal:
  - /api/v1/sentiment/AAPL
  - /api/v1/sentiment/MSFT
  - /api/v1/sentiment/NVDA
  - /api/v1/sentiment/TSLA
  - /api/v1/sentiment/SPY
  - /api/v1/sentiment/QQQ`

/**
 * What this example really reaches after a warm, every time: the warm-up route fills the three
 * reports and the symbols (4 entries, no lookups counted); the warm pass then finds those 4 in L1
 * and misses the 6 sentiment routes; verify hits all 10. So L1 and L2 hold 10 entries each and
 * the L1 hit rate is 14 hits / 20 lookups = 70 %. The gates sit at what a healthy warm must show,
 * with a little room under the rate. A real deploy with more routes sets these higher (the
 * README's 100 / 1,000 / 70 %).
 */
const THRESHOLDS = `cacheStats.l1Size >= 10
cacheStats.l2Size >= 10
l1Stats.hitRate >= 65%`

/** The step's `with:` block, minus url and api-key, which depend on the run. */
const WITH = {
  endpoints: ENDPOINTS,
  expect: 'json: {success: true, data: non-empty, real_data: true}',
  'wait-for': '/health',
  'wait-for-version': `version=${VERSION}`,
  'wait-timeout': '10s',
  // Every warm and verify answer must come from the version just deployed, not only /health.
  'expect-version': `header:X-Worker-Version=${VERSION}`,
  'warmup-trigger': 'POST /api/v1/cache/warmup',
  'warmup-trigger-required': 'true',
  'min-cached': '80%',
  'metrics-path': '/api/v1/cache/metrics',
  thresholds: THRESHOLDS,
  // Short, for a demo: a real workflow keeps the defaults (5s, 2m).
  'poll-interval': '250ms',
  'poll-timeout': '3s'
}

/** `git <args>` in the repository, its output trimmed; undefined when git or the repo is missing. */
function git(...args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' }).trim()
  } catch {
    return undefined
  }
}

/** Every file under `dir` (absolute), recursively. */
const filesUnder = dir =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(entry => entry.isFile())
    .map(entry => path.join(entry.parentPath ?? entry.path, entry.name))

/**
 * Why dist/index.js may not be what src/ builds to, or undefined when it is. Modification times
 * alone cannot tell: a fresh clone gives every file its checkout time, src/ and dist/ alike. So:
 * - dist/ as committed (no local change to it): stale when src/ has local changes (edited,
 *   added, deleted; git status) or was changed by a commit after the last one that touched
 *   dist/ (a branch whose dist was not rebuilt yet).
 * - dist/ built here (a local change to it): stale when a file under src/ was modified after
 *   dist/index.js was written, as a build after the edit would have written it later.
 * - no git: the modification times, the one thing left.
 * Only src/ counts: a change of dependencies (package-lock.json) needs `--build`.
 */
function distIsStale() {
  if (!existsSync(ACTION)) return 'dist/index.js is missing'
  const distChanged = git('status', '--porcelain', '--', 'dist')
  const newerThanDist = () => {
    const built = statSync(ACTION).mtimeMs
    const newer = filesUnder(path.join(ROOT, 'src')).find(file => statSync(file).mtimeMs > built)
    return newer && `${path.relative(ROOT, newer)} is newer than dist/index.js`
  }
  if (distChanged === undefined) return newerThanDist()
  if (distChanged !== '') return newerThanDist()
  if (git('status', '--porcelain', '--', 'src') !== '') return 'src/ has uncommitted changes'
  const lastDist = git('log', '-1', '--format=%H', '--', 'dist')
  if (lastDist && git('rev-list', '-1', `${lastDist}..HEAD`, '--', 'src'))
    return 'src/ was changed by a commit after dist/ was last rebuilt'
  return undefined
}

/** Builds dist/ (npm run build) when asked with --build or when it is stale. */
function buildIfNeeded() {
  const why = process.argv.includes('--build') ? 'asked with --build' : distIsStale()
  if (!why) return
  console.log(`Building dist/ first (${why}) ...`)
  const started = Date.now()
  execFileSync('npm', ['run', 'build', '--silent'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit']
  })
  console.log(`(built in ${((Date.now() - started) / 1000).toFixed(1)} s)`)
}

const bold = text => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text)
const rule = title =>
  console.log(bold(`\n── ${title} ${'─'.repeat(Math.max(0, 70 - title.length))}`))
const indent = (text, by = '  ') => text.replace(/^(?=.)/gm, by)
const ms = n => (n === undefined ? '–' : `${n} ms`)

/** Rows as aligned columns; `right` lists the columns to right-align. */
function table(rows, right = []) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => String(r[i] ?? '').length)))
  return rows
    .map(r =>
      r
        .map((c, i) =>
          right.includes(i)
            ? String(c ?? '').padStart(widths[i])
            : String(c ?? '').padEnd(widths[i])
        )
        .join('  ')
        .trimEnd()
    )
    .join('\n')
}

/** The `with:` block as it would stand in a workflow. */
function withBlock(inputs) {
  const lines = Object.entries(inputs).map(([name, value]) =>
    value.includes('\n') ? `${name}: |\n${indent(value)}` : `${name}: ${value}`
  )
  return `with:\n${indent(lines.join('\n'))}`
}

/**
 * Runs dist/index.js as a runner would: inputs as INPUT_<NAME> (@actions/core upper-cases the
 * name and keeps hyphens: INPUT_API-KEY), outputs and summary in files, RUNNER_TEMP for the
 * report. Asynchronous: the Worker answers from this process's event loop too (miniflare).
 */
async function runAction(dir, inputs) {
  const files = { output: path.join(dir, 'output'), summary: path.join(dir, 'summary') }
  const report = path.join(dir, 'cache-warm-report.json')
  await writeFile(files.output, '')
  await writeFile(files.summary, '')
  await rm(report, { force: true })
  const env = {
    PATH: process.env.PATH,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_WORKSPACE: dir,
    RUNNER_TEMP: dir
  }
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  const started = Date.now()
  const { code, stdout, stderr } = await new Promise(resolve =>
    execFile(process.execPath, [ACTION], { env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr })
    )
  )
  const reportText = await readFile(report, 'utf8').catch(() => '')
  return {
    code,
    ms: Date.now() - started,
    log: asRunnerShows(stdout + stderr),
    outputs: parseOutputs(await readFile(files.output, 'utf8')),
    summary: await readFile(files.summary, 'utf8'),
    reportText,
    report: reportText ? JSON.parse(reportText) : undefined
  }
}

/**
 * The runner hides ::add-mask::, turns ::error:: / ::warning:: into annotations, and shows a
 * ::group:: as a foldable `▸ Title` (here unfolded: its lines follow); ::endgroup:: shows nothing.
 */
function asRunnerShows(text) {
  return text
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::') && !line.startsWith('::endgroup::'))
    .map(line => line.replace(/^::group::/, '▸ '))
    .map(line => line.replace(/^::(error|warning|notice)[^:]*::/, (_, kind) => `${kind}: `))
    .map(line => line.replace(/%25/g, '%').replace(/%3A/g, ':'))
    .join('\n')
    .trimEnd()
}

/** GITHUB_OUTPUT holds `name<<delimiter` / value / `delimiter` blocks. */
function parseOutputs(text) {
  const outputs = {}
  const block = /^([\w-]+)<<(\S+)\n([\s\S]*?)\n?\2$/gm
  for (const [, name, , value] of text.matchAll(block)) outputs[name] = value
  return outputs
}

function showPhases(report) {
  const rows = [['phase', 'status', 'took', 'what happened']]
  for (const p of report.phases ?? []) rows.push([p.name, p.status, ms(p.durationMs), p.detail])
  console.log(indent(table(rows, [2])))
}

function showThresholds(report) {
  const metrics = report.metrics
  if (!metrics) return console.log('  (no metrics phase)')
  const rate = (t, v) =>
    v === undefined || v === null ? '–' : t.rate ? `${Math.round(v * 1000) / 10} %` : String(v)
  const rows = [['', 'threshold', 'before warming', 'after', 'read as']]
  for (const t of metrics.thresholds)
    rows.push([
      t.met ? 'met' : 'NOT MET',
      t.text,
      rate(t, t.baseline),
      rate(t, t.final),
      t.scale ?? ''
    ])
  console.log(indent(table(rows)))
  console.log(indent(`\n${metrics.polls} poll(s) of ${report.metrics.path}`))
  for (const d of metrics.doubts) console.log(indent(`caution: ${d}`))
}

function showColdWarm(report, outputs) {
  const verified = new Map((report.verify?.entries ?? []).map(e => [e.path, e]))
  const rows = [['tier', 'endpoint', 'warm pass', 'X-Cache', 'asked again', 'verify']]
  for (const tier of report.tiers)
    for (const e of tier.endpoints) {
      const again = verified.get(e.path)
      rows.push([
        tier.priority,
        e.path,
        ms(e.latencyMs),
        (e.cache ?? '').replace('X-Cache: ', ''),
        ms(again?.latencyMs),
        again?.state ?? ''
      ])
    }
  console.log(indent(table(rows, [2, 4])))
  console.log(
    indent(
      `\ncold (the warm pass): p50 ${ms(Number(outputs['cold-p50-ms']))}, p95 ${ms(Number(outputs['cold-p95-ms']))}\n` +
        `warm (asked again):   p50 ${ms(Number(outputs['warm-p50-ms']))}, p95 ${ms(Number(outputs['warm-p95-ms']))}\n` +
        `speedup:              ${outputs.speedup}× (cold p50 / warm p50)\n\n` +
        'A miss waits 150-300 ms for the simulated upstream. The reports and symbols were already\n' +
        'HITs in the warm pass: the warm-up trigger had filled them a moment before.'
    )
  )
}

function showOutputs(outputs) {
  const rows = Object.entries(outputs).map(([name, value]) => [name, value])
  console.log(indent(table(rows)))
}

async function main() {
  const apiKey = `demo-${randomBytes(12).toString('hex')}`
  const vars = { API_KEY: apiKey, VERSION, WARMUP_ENABLED: 'true' }
  const started = Date.now()
  const worker = await startWorker({ vars })
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-demo-'))
  try {
    rule('A fresh deploy: the example Worker in workerd, nothing cached yet')
    console.log(
      indent(
        `${worker.url}, version ${VERSION}, WARMUP_ENABLED=true, a generated API_KEY\n` +
          `(examples/worker, started in ${Date.now() - started} ms)\n\n` +
          'The step, as it would stand in a workflow:\n\n' +
          withBlock({
            url: worker.url,
            'api-key': '${{ secrets.WORKER_API_KEY }}',
            ...WITH
          })
      )
    )

    const run = await runAction(dir, { url: worker.url, 'api-key': apiKey, ...WITH })
    rule(`Step log (node dist/index.js, ${run.ms} ms, exit ${run.code})`)
    console.log(indent(run.log))
    if (!run.report) throw new Error('the action wrote no report')
    rule(run.summary.split('\n')[0].replace(/^#+\s*(✅|❌)?\s*/, ''))
    showPhases(run.report)
    rule('Thresholds (cache metrics before and after)')
    showThresholds(run.report)
    rule('Cold against warm')
    showColdWarm(run.report, run.outputs)
    rule('Outputs')
    showOutputs(run.outputs)

    rule('Same run with a wrong key')
    const wrongKey = `demo-${randomBytes(12).toString('hex')}`
    const wrong = await runAction(dir, { url: worker.url, 'api-key': wrongKey, ...WITH })
    const endpoints = wrong.report?.tiers.flatMap(t => t.endpoints) ?? []
    const refused = endpoints.find(e => e.cause === 'http-401')
    const skipped = endpoints.filter(e => e.outcome === 'skipped')
    const artifacts = [wrong.log, JSON.stringify(wrong.outputs), wrong.summary, wrong.reportText]
    const leaked = artifacts.some(text => text.includes(wrongKey))
    console.log(
      indent(
        `exit ${wrong.code}, result=${wrong.outputs.result}, ${wrong.ms} ms\n` +
          `${wrong.summary.split('\n')[0].replace(/^#+\s*(✅|❌)?\s*/, '')}\n\n` +
          `why: ${refused?.reason ?? '(no endpoint answered 401)'}\n` +
          (skipped.length > 0
            ? `then ${skipped.length} endpoint(s) ${skipped[0].reason.replace(/^not sent: /, 'not sent, because ')}\n`
            : '') +
          `the key in the log, outputs, summary and report: ${leaked ? 'LEAKED' : 'absent'}`
      )
    )

    const ok =
      run.code === 0 &&
      run.outputs.result === 'passed' &&
      run.outputs['thresholds-met'] === 'true' &&
      wrong.code !== 0 &&
      refused !== undefined &&
      !leaked
    if (!ok) console.error('\ndemo: the action did not behave as expected (see above)')
    return ok ? 0 : 1
  } finally {
    await worker.close()
    await rm(dir, { recursive: true, force: true })
    console.log(`\n(demo done in ${((Date.now() - started) / 1000).toFixed(1)} s; Worker stopped)`)
  }
}

buildIfNeeded()
process.exitCode = await main()
