/**
 * The merge job through the action's own entry (src/main.ts): shard jobs warm a real 127.0.0.1
 * server and write their reports, then a job with merge-reports merges them.
 */
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  jest
} from '@jest/globals'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { json, startServer, type LocalServer } from '../support/server.js'
import { reportJson } from '../support/reports.js'

jest.unstable_mockModule('@actions/core', () => import('../fixtures/core.js'))
const core = await import('../fixtures/core.js')
const { run } = await import('../../src/main.js')

const KEY = 'merge-test-key-4f9a2c7e1b'
let server: LocalServer
let dir: string
const ENDPOINTS = 'critical: [/c1, /c2, /c3]\nnormal: [/n1, /n2, /n3, /n4, /broken]'

beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.headers['x-api-key'] !== KEY) return json(res, 401, { error: 'bad key' })
    if (req.url === '/broken') return json(res, 503, { error: `down, key ${KEY}` })
    return json(res, 200, { success: true, data: [1] })
  })
})
afterAll(() => server.close())
beforeEach(async () => {
  core.reset()
  dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-merge-action-'))
})

afterEach(() => rm(dir, { recursive: true, force: true }))

const env = (): NodeJS.ProcessEnv => ({ GITHUB_WORKSPACE: dir, RUNNER_TEMP: dir })
const everything = (): string =>
  JSON.stringify([core.logs, core.outputs, core.summaries, core.failures])

/** Runs the shard jobs, each writing reports/shard-i/cache-warm-report.json. */
async function shardJobs(n: number, extra: Record<string, string> = {}): Promise<void> {
  for (let i = 1; i <= n; i++) {
    core.reset({
      url: server.origin,
      'api-key': KEY,
      endpoints: ENDPOINTS,
      verify: 'false',
      shard: `${i}/${n}`,
      'report-file': `reports/shard-${i}/cache-warm-report.json`,
      ...extra
    })
    await run({ env: env() })
  }
}

async function mergeJob(inputs: Record<string, string>): Promise<void> {
  core.reset({ 'api-key': KEY, 'report-file': 'merged.json', ...inputs })
  await run({ env: env() })
}

describe('merge-reports', () => {
  it('merges the shard reports into one report, summary, outputs and verdict, sending nothing', async () => {
    await shardJobs(3)
    const sent = server.requests.length
    await mergeJob({ 'merge-reports': 'reports/**/*.json', 'fail-on': 'any' })

    expect(server.requests.length).toBe(sent)
    const merged = JSON.parse(await readFile(path.join(dir, 'merged.json'), 'utf8')) as {
      schemaVersion: number
      totals: object
      merged: { reports: { file: string; label: string; result: string }[] }
      tiers: { endpoints: { path: string }[] }[]
    }
    expect(merged.schemaVersion).toBe(1)
    expect(merged.totals).toEqual({ total: 8, passed: 7, failed: 1, skipped: 0 })
    expect(merged.merged.reports.map(r => [r.file, r.label])).toEqual([
      ['reports/shard-1/cache-warm-report.json', '1/3'],
      ['reports/shard-2/cache-warm-report.json', '2/3'],
      ['reports/shard-3/cache-warm-report.json', '3/3']
    ])
    expect(core.outputs).toMatchObject({
      result: 'failed',
      warmed: '7',
      failed: '1',
      report: path.join(dir, 'merged.json')
    })
    expect(core.failures).toEqual([
      'cache not proven warm: 1 of 8 endpoints failed, 0 skipped; see the job summary'
    ])
    const summary = core.summaries.join('')
    expect(summary).toContain('### Merged · 3 report(s) · 3 label(s)')
    expect(summary).toMatch(/\| ❌ \| \d\/3 \| 1 \| \d \| \d \| 1 \| 0 \|/)
    expect(summary).toMatch(/`GET \/broken`: \d\/3: GET \/broken returned 503/)
  })

  it('keeps the key out of everything, even when a report holds it', async () => {
    await shardJobs(2)
    // A hostile report: the key in a warning, raw, URL-encoded and JSON-escaped.
    await writeFile(
      path.join(dir, 'reports/shard-2/cache-warm-report.json'),
      reportJson({
        target: `${server.origin}/`,
        warnings: [`raw ${KEY}`, `url ${encodeURIComponent(KEY)}`, `json ${JSON.stringify(KEY)}`]
      })
    )
    await mergeJob({ 'merge-reports': 'reports/**/*.json' })
    const text = everything() + (await readFile(path.join(dir, 'merged.json'), 'utf8'))
    expect(text).toContain('raw ***')
    expect(text).not.toContain(KEY)
    expect(text).not.toContain(encodeURIComponent(KEY))
    expect(core.secrets).toContain(KEY)
  })

  it('fails in one line when the glob finds no report', async () => {
    await mergeJob({ 'merge-reports': 'reports/**/*.json' })
    expect(core.failures).toEqual([
      `merge-reports: reports/**/*.json finds no file (looked in ${dir}); download the jobs' report artifacts first (actions/download-artifact)`
    ])
    expect(core.outputs).toMatchObject({ result: 'failed', warmed: '0' })
  })

  it('fails in one line naming a truncated report', async () => {
    await shardJobs(2)
    const file = path.join(dir, 'reports/shard-2/cache-warm-report.json')
    await writeFile(file, (await readFile(file, 'utf8')).slice(0, 100))
    await mergeJob({ 'merge-reports': 'reports/**/*.json' })
    expect(core.failures).toHaveLength(1)
    expect(core.failures[0]).toMatch(
      /^merge-reports: reports\/shard-2\/cache-warm-report\.json: is not valid JSON at byte \d+; it may have been cut short/
    )
  })

  it('refuses reports of two deployments, naming both', async () => {
    await shardJobs(1)
    await mkdir(path.join(dir, 'reports/other'), { recursive: true })
    await writeFile(path.join(dir, 'reports/other/r.json'), reportJson())
    await mergeJob({ 'merge-reports': 'reports/**/*.json' })
    expect(core.failures).toEqual([
      `merge-reports: reports/shard-1/cache-warm-report.json: is a report for ${server.origin}/, but reports/other/r.json is for https://app.example/; merge reports of one deployment`
    ])
  })

  it('refuses warming inputs in a merge job instead of ignoring them', async () => {
    await mergeJob({ 'merge-reports': 'reports/*.json', endpoints: '- /a' })
    expect(core.failures).toEqual([
      'merge-reports: makes this a merge job, which sends no request; leave out endpoints here (the jobs whose reports it merges warm; a metrics gate is a step of its own)'
    ])
  })

  it('labels reports with report-label, and groups a region of several shards in one row', async () => {
    await shardJobs(2, { 'report-label': 'eu-west' })
    await mergeJob({ 'merge-reports': 'reports/**/*.json\n!reports/none/**' })
    const summary = core.summaries.join('')
    expect(summary).toMatch(/\| ❌ \| eu-west \| 2 \| 8 \| 7 \| 1 \| 0 \|/)
  })
})

describe('merge-reports: a shard without a report', () => {
  it('fails the merge, saying which shard left no report', async () => {
    await shardJobs(3)
    await rm(path.join(dir, 'reports/shard-2'), { recursive: true })
    await mergeJob({ 'merge-reports': 'reports/**/*.json', 'fail-on': 'critical' })
    expect(core.failures).toEqual([
      'cache not proven warm: 1 shard(s) left no report; see the job summary'
    ])
    expect(core.summaries.join('')).toContain('**❌ Missing: shard 2/3 has no report.**')
  })
})
