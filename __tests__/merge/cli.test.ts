import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { main } from '../../src/cli.js'
import { parseMergeArgs } from '../../src/cli-args.js'
import { reportJson } from '../support/reports.js'

const KEY = 'cli-merge-key-7d6c5b4a39'
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-merge-cli-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))
afterEach(() => {
  jest.restoreAllMocks()
})

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = ''
  let stderr = ''
  jest.spyOn(process.stdout, 'write').mockImplementation(c => ((stdout += String(c)), true))
  jest.spyOn(process.stderr, 'write').mockImplementation(c => ((stderr += String(c)), true))
  const code = await main(argv, env)
  return { code, stdout, stderr }
}

async function file(name: string, over: Record<string, unknown> = {}): Promise<string> {
  const full = path.join(dir, name)
  await writeFile(full, reportJson(over))
  return full
}

const failedEndpoint = {
  priority: 'critical',
  durationMs: 5,
  endpoints: [
    {
      source: 'endpoints',
      method: 'GET',
      path: '/b',
      priority: 'critical',
      outcome: 'failed',
      status: 503,
      attempts: 3,
      reason: `answered 503 with ${KEY}`
    }
  ]
}

describe('cache-warm merge', () => {
  it('merges reports, prints one line per label and the outputs, and exits 0 when warm', async () => {
    const a = await file('a.json', { label: 'eu' })
    const b = await file('b.json', { label: 'us' })
    const out = await cli(['merge', a, b])
    expect(out.code).toBe(0)
    expect(out.stdout).toMatch(/^Merged 2 report\(s\); 1 endpoint\(s\) warmed by more than one/)
    expect(out.stdout).toContain('  ok   eu: 1/1 warmed')
    expect(out.stdout).toContain('result=passed  warmed=1  failed=0')
  })

  it('exits 1 on a failed merged verdict, writes the report, and redacts the key from it', async () => {
    const a = await file('ok.json', { label: 'eu' })
    const b = await file('bad.json', { label: 'us', tiers: [failedEndpoint] })
    const report = path.join(dir, 'merged.json')
    const out = await cli(['merge', a, b, '--report-file', report, '--json'], {
      CACHE_WARM_API_KEY: KEY
    })
    expect(out.code).toBe(1)
    const written = await readFile(report, 'utf8')
    const merged = JSON.parse(out.stdout) as { stepFailed: boolean; merged: object }
    expect(merged).toMatchObject({ stepFailed: true, merged: { duplicates: 0 } })
    expect(written + out.stdout + out.stderr).not.toContain(KEY)
    expect(written).toContain('us: answered 503 with ***')
  })

  it('refuses a report of another schemaVersion in one line on stderr', async () => {
    const a = await file('v1.json')
    const b = await file('v2.json', { schemaVersion: 2 })
    const out = await cli(['merge', a, b])
    expect(out.code).toBe(1)
    expect(out.stderr).toBe(
      `cache-warm merge: ${b}: has schemaVersion 2; this cache-warm reads schemaVersion 1 (run every job and the merge with the same version of the action)\n`
    )
  })

  it('refuses no file, and a bad fail-on, in one line each', async () => {
    expect((await cli(['merge'])).stderr).toBe(
      'cache-warm merge: no report file to merge; give the JSON reports the jobs wrote\n'
    )
    const a = await file('f.json')
    expect((await cli(['merge', a, '--fail-on', 'some'])).stderr).toBe(
      'cache-warm merge: bad input: fail-on: "some" is not accepted; accepted: critical, any, never\n'
    )
  })

  it('prints its help and names the command in the main help', async () => {
    expect((await cli(['merge', '--help'])).stdout).toMatch(/^Usage: cache-warm merge REPORT\.json/)
    expect((await cli(['--help'])).stdout).toContain('cache-warm merge REPORT.json...')
  })
})

describe('parseMergeArgs', () => {
  it('takes every other argument as a file, in order, and -- ends the flags', () => {
    expect(parseMergeArgs(['a.json', '--fail-on=any', 'b.json', '--', '--c.json'], {})).toEqual({
      ok: true,
      files: ['a.json', 'b.json', '--c.json'],
      raw: { 'fail-on': 'any' },
      json: false,
      help: false,
      keyVar: 'CACHE_WARM_API_KEY'
    })
  })

  it('suggests the flag a typo meant, among the merge flags', () => {
    expect(parseMergeArgs(['--report-fil', 'x'], {})).toEqual({
      ok: false,
      message:
        'cache-warm merge: unknown option --report-fil; did you mean --report-file? Run cache-warm merge --help for the options'
    })
  })

  it('points --merge-reports on the warm command line to cache-warm merge', async () => {
    const out = await cli(['--merge-reports', 'x.json'])
    expect(out.stderr).toMatch(/run cache-warm merge REPORT\.json/)
  })
})
