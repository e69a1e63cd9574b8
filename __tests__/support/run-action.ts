/**
 * Runs the built action (dist/index.js) as a child process the way a GitHub runner runs it, for
 * the end-to-end tests, against a fake deployment (scripts/fake-api.js) in this process or the
 * example Worker in workerd (scripts/worker.js).
 */
import { execFile, execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startFakeApi, type FakeApi, type FakeApiOptions } from '../../scripts/fake-api.js'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const ACTION = path.join(ROOT, 'dist/index.js')

export interface Run {
  readonly code: number
  readonly ms: number
  readonly stdout: string
  readonly stderr: string
  /** The raw GITHUB_OUTPUT file, and the outputs parsed from it. */
  readonly outputFile: string
  readonly outputs: Record<string, string>
  readonly summary: string
  /** The raw JSON report ('' when none was written), and parsed. */
  readonly reportFile: string
  readonly report?: Report
}

export interface ReportEndpoint {
  path: string
  outcome: string
  status?: number
  latencyMs?: number
  /** The cache header of the warming answer, e.g. `X-Cache: MISS`. */
  cache?: string
  cause?: string
  reason?: string
  attempts: number
  /** Bytes of the body as received (never inflated). */
  bytes?: number
}

export interface ReportThreshold {
  text: string
  met: boolean
  baseline?: number
  final?: number
  target: number
  scale?: string
  progression: (number | null)[]
}

export interface ReportVerifyEntry {
  path: string
  state: string
  evidence: string
  latencyMs?: number
}

export interface Report {
  result: string
  stepFailed: boolean
  durationMs: number
  totals: { total: number; passed: number; failed: number; skipped: number }
  tiers: { priority: string; endpoints: ReportEndpoint[] }[]
  latency: { coldP50Ms?: number; coldP95Ms?: number }
  warnings: string[]
  phases?: { name: string; status: string; durationMs: number; detail: string }[]
  wait?: { ready: boolean; polls: number; versionSeen?: string; message: string }
  trigger?: {
    method: string
    path: string
    ok: boolean
    required: boolean
    status?: number
    attempts: number
    message: string
  }
  verify?: {
    cached: number
    cachedShare: number
    entries: ReportVerifyEntry[]
    warmP50Ms?: number
    speedup?: number
    passed: boolean
    problems: string[]
  }
  metrics?: {
    polls: number
    met: boolean
    error?: string
    hitRate?: number
    thresholds: ReportThreshold[]
    doubts: string[]
  }
}

/** @actions/core writes each output as `name<<ghadelimiter_<uuid>`, the value, the delimiter. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  for (const m of text.matchAll(/^([\w-]+)<<(ghadelimiter_[\w-]+)\n([\s\S]*?)\n\2$/gm))
    outputs[m[1]!] = m[3]!
  return outputs
}

const cleanups: (() => Promise<void>)[] = []

/** Closes the fake APIs and removes the temp dirs of the test; call it in afterEach. */
export async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}

/** Starts the fake API; cleanUp closes it. */
export async function fakeApi(options: FakeApiOptions = {}): Promise<FakeApi> {
  const api = await startFakeApi(options)
  cleanups.push(() => api.close())
  return api
}

/** Builds dist when it is missing (dist is committed; a fresh clone without it, say). */
export function ensureBuilt(): void {
  if (!existsSync(ACTION)) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT })
}

/**
 * A clean environment as on a fresh runner, in `dir`: output and summary files, workspace,
 * RUNNER_TEMP, and each input as INPUT_<NAME> (@actions/core upper-cases the name, turns spaces
 * into `_` and keeps hyphens: INPUT_API-KEY).
 */
export async function runnerEnv(
  dir: string,
  inputs: Record<string, string | undefined>,
  extraEnv: NodeJS.ProcessEnv = {}
): Promise<{ env: NodeJS.ProcessEnv; outputPath: string; summaryPath: string }> {
  const outputPath = path.join(dir, 'github-output')
  const summaryPath = path.join(dir, 'step-summary.md')
  await writeFile(outputPath, '')
  await writeFile(summaryPath, '')
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_WORKSPACE: dir,
    RUNNER_TEMP: dir,
    ...extraEnv
  }
  for (const [name, value] of Object.entries(inputs))
    if (value !== undefined) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  return { env, outputPath, summaryPath }
}

/** What a run left behind: the output file (and its outputs), the summary and the report. */
export async function readArtifacts(
  dir: string,
  outputPath: string,
  summaryPath: string
): Promise<Pick<Run, 'outputFile' | 'outputs' | 'summary' | 'reportFile' | 'report'>> {
  const outputFile = await readFile(outputPath, 'utf8')
  const reportFile = await readFile(path.join(dir, 'cache-warm-report.json'), 'utf8').catch(
    () => ''
  )
  return {
    outputFile,
    outputs: parseOutputs(outputFile),
    summary: await readFile(summaryPath, 'utf8'),
    reportFile,
    ...(reportFile ? { report: JSON.parse(reportFile) as Report } : {})
  }
}

/** The fake trading-reports API's endpoints by tier, as the e2e tests warm them. */
export const TRADING_ENDPOINTS = `critical:
  - /api/v1/reports/pre-market
  - /api/v1/symbols
high:
  - /api/v1/reports/intraday
  - /api/v1/reports/end-of-day
normal:
  - /api/v1/sentiment/AAPL
  - /api/v1/sentiment/NVDA
`
export const TRADING_ENDPOINT_COUNT = 6

/**
 * Runs dist/index.js with inputs as INPUT_<NAME>: @actions/core upper-cases the name, turns
 * spaces into `_` and keeps hyphens (INPUT_API-KEY). A clean env, as on a fresh runner.
 */
export async function runAction(inputs: Record<string, string | undefined>): Promise<Run> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-e2e-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  const { env, outputPath, summaryPath } = await runnerEnv(dir, inputs)

  const started = Date.now()
  // Async on purpose: the fake API lives in this process, and a sync spawn would block it.
  const { code, stdout, stderr } = await new Promise<{
    code: number
    stdout: string
    stderr: string
  }>(resolve =>
    execFile(process.execPath, [ACTION], { env, timeout: 15_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    )
  )
  const ms = Date.now() - started
  return { code, ms, stdout, stderr, ...(await readArtifacts(dir, outputPath, summaryPath)) }
}

/**
 * The artifacts of a run that contain `secret`: stdout, stderr, the summary, the outputs file and
 * the report. The only lines allowed to carry it are `::add-mask::` commands (of the secret and of
 * the forms it can take), which is how the runner learns to mask it; the runner consumes those
 * lines and never shows them.
 */
export function artifactsContaining(run: Run, secret: string): string[] {
  const stdout = withoutMasks(run.stdout)
  const artifacts = {
    stdout,
    stderr: run.stderr,
    summary: run.summary,
    outputs: run.outputFile,
    report: run.reportFile
  }
  return Object.entries(artifacts)
    .filter(([, text]) => text.includes(secret))
    .map(([name]) => name)
}

/** stdout without its `::add-mask::` commands, which the runner consumes and never shows. */
export function withoutMasks(stdout: string): string {
  return stdout
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
}
