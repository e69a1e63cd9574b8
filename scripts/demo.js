/**
 * `npm run demo`: runs the built action (dist/index.js) the way a GitHub runner does, against a
 * fake freshly deployed trading-reports API, and shows what a user would see: the log, the
 * outputs, the job summary, and cold against warm latency. Then the same run with a wrong key.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { startFakeApi } from './fake-api.js'

const ACTION = fileURLToPath(new URL('../dist/index.js', import.meta.url))

const ENDPOINTS = `critical:
  - /api/v1/reports/pre-market
  - /api/v1/symbols
high:
  - /api/v1/reports/intraday
  - /api/v1/reports/end-of-day
normal:
  - /api/v1/sentiment/AAPL
  - /api/v1/sentiment/NVDA
  - /api/v1/sentiment/SPY
`
const EXPECT = 'json: {success: true, data: non-empty, real_data: true}'

const bold = text => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text)
const rule = title =>
  console.log(bold(`\n── ${title} ${'─'.repeat(Math.max(0, 70 - title.length))}`))
const indent = text => text.replace(/^(?=.)/gm, '  ')

/**
 * Runs dist/index.js as a runner would: inputs as INPUT_<NAME> (@actions/core upper-cases the
 * name and keeps hyphens: INPUT_API-KEY), outputs and summary in files.
 */
async function runAction(dir, inputs) {
  const files = { output: path.join(dir, 'output'), summary: path.join(dir, 'summary') }
  await writeFile(files.output, '')
  await writeFile(files.summary, '')
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
  return {
    code,
    ms: Date.now() - started,
    log: asRunnerShows(stdout + stderr),
    outputs: parseOutputs(await readFile(files.output, 'utf8')),
    summary: await readFile(files.summary, 'utf8'),
    report: await readFile(path.join(dir, 'cache-warm-report.json'), 'utf8').catch(() => '')
  }
}

/** The runner hides ::add-mask:: and turns ::error:: / ::warning:: into annotations. */
function asRunnerShows(text) {
  return text
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .map(line => line.replace(/^::(error|warning|notice)[^:]*::/, (_, kind) => `${kind}: `))
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

/** Markdown for a terminal: tables as aligned columns, no backticks or bold markers. */
function markdownForTerminal(md) {
  const out = []
  let table = []
  const flush = () => {
    const widths = table[0].map((_, i) => Math.max(...table.map(r => (r[i] ?? '').length)))
    for (const r of table)
      out.push(
        r
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd()
      )
    table = []
  }
  for (const line of md.replace(/`|\*\*/g, '').split('\n')) {
    if (/^\|[-:| ]+\|$/.test(line)) continue
    if (line.startsWith('|')) {
      table.push(
        line
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .map(c => c.trim().replace(/\\\|/g, '|'))
      )
      continue
    }
    if (table.length > 0) flush()
    out.push(line)
  }
  if (table.length > 0) flush()
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

/** One GET with the key, timed, to show what a warm cache answers. */
function timedGet(url, apiKey) {
  const started = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { 'X-API-Key': apiKey } }, res => {
        let body = ''
        res.on('data', chunk => (body += chunk))
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6
          resolve({ ms, cache: res.headers['x-cache'], body })
        })
      })
      .on('error', reject)
  })
}

async function main() {
  const apiKey = `demo-${randomBytes(12).toString('hex')}`
  const api = await startFakeApi({ apiKey })
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-demo-'))
  try {
    const inputs = { url: api.url, 'api-key': apiKey, endpoints: ENDPOINTS, expect: EXPECT }
    rule('A fresh deployment: a fake trading-reports worker, nothing cached yet')
    console.log(indent(`url: ${api.url}\napi-key: (a generated secret)\nexpect: ${EXPECT}`))
    console.log(indent(`endpoints:\n${indent(ENDPOINTS.trimEnd())}`))

    const run = await runAction(dir, inputs)
    rule(`Step log (node dist/index.js, ${run.ms} ms, exit ${run.code})`)
    console.log(indent(run.log))
    rule('Outputs')
    const width = Math.max(...Object.keys(run.outputs).map(name => name.length))
    for (const [name, value] of Object.entries(run.outputs))
      console.log(`  ${name.padEnd(width)}  ${value}`.trimEnd())
    rule('Job summary')
    console.log(indent(markdownForTerminal(run.summary)))

    rule('Cold against warm')
    const paths = ENDPOINTS.match(/\/api\/\S+/g)
    const warm = []
    for (const p of paths) warm.push(await timedGet(`${api.url}${p}`, apiKey))
    const hits = warm.filter(w => w.cache === 'HIT').length
    const warmMax = Math.max(...warm.map(w => w.ms))
    const metrics = JSON.parse((await timedGet(`${api.url}/api/v1/cache/metrics`, apiKey)).body)
    console.log(
      indent(
        `cold (while warming): p50 ${run.outputs['cold-p50-ms']} ms, p95 ${run.outputs['cold-p95-ms']} ms\n` +
          `warm (asked again):   ${hits}/${paths.length} X-Cache: HIT, slowest ${warmMax.toFixed(1)} ms\n` +
          `server cache metrics: ${JSON.stringify(metrics.cacheStats)}`
      )
    )

    rule('Same run with a wrong key')
    const wrongKey = 'wrong-key-from-an-old-secret'
    const wrong = await runAction(dir, { ...inputs, 'api-key': wrongKey })
    const reason = wrong.summary.split('\n').find(line => line.startsWith('- '))
    console.log(indent(`exit ${wrong.code}, result=${wrong.outputs.result}, ${wrong.ms} ms`))
    console.log(indent(markdownForTerminal(reason ?? '(no reason in the summary)')))
    console.log(indent(wrong.log.split('\n').at(-1)))
    const artifacts = [wrong.log, JSON.stringify(wrong.outputs), wrong.summary, wrong.report]
    const leaked = artifacts.some(text => text.includes(wrongKey))
    console.log(
      indent(`the key in the log, outputs, summary and report: ${leaked ? 'LEAKED' : 'absent'}`)
    )

    const ok = run.code === 0 && run.outputs.result === 'passed' && wrong.code !== 0 && !leaked
    if (!ok) console.error('\ndemo: the action did not behave as expected (see above)')
    return ok ? 0 : 1
  } finally {
    await api.close()
    await rm(dir, { recursive: true, force: true })
  }
}

process.exitCode = await main()
