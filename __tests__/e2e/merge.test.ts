/**
 * End to end: the built action (dist/index.js) run as three shard jobs of a matrix against a
 * real 127.0.0.1 server, then as the merge job (merge-reports), and the built CLI
 * (dist/cli/index.js) merging the same reports. CACHE_WARM_DIST names another build to test
 * (default: the committed dist/).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { json, startServer, type LocalServer } from '../support/server.js'
import { parseOutputs, ROOT, runnerEnv } from '../support/run-action.js'

const DIST = process.env.CACHE_WARM_DIST || path.join(ROOT, 'dist')
const KEY = 'e2e-merge-key-1a2b3c4d5e6f'
const ENDPOINTS = 'critical: [/c1, /c2, /c3, /c4]\nnormal: [/n1, /n2, /n3, /n4, /n5]'

let server: LocalServer
let dir: string

beforeAll(async () => {
  server = await startServer((req, res) =>
    req.headers['x-api-key'] === KEY
      ? json(res, 200, { success: true, data: [req.url] })
      : json(res, 401, { error: 'bad key' })
  )
  dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-e2e-merge-'))
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

function node(
  args: string[],
  env: NodeJS.ProcessEnv
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(resolve =>
    execFile(process.execPath, args, { env, cwd: dir, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    )
  )
}

async function action(inputs: Record<string, string>) {
  const { env, outputPath, summaryPath } = await runnerEnv(dir, inputs)
  const run = await node([path.join(DIST, 'index.js')], env)
  return {
    ...run,
    outputs: parseOutputs(await readFile(outputPath, 'utf8')),
    summary: await readFile(summaryPath, 'utf8')
  }
}

describe('a matrix of shards, then a merge job (dist)', () => {
  it('merges the shards into one green verdict; the key appears nowhere', async () => {
    expect(existsSync(path.join(DIST, 'index.js'))).toBe(true)
    for (let i = 1; i <= 3; i++) {
      const shard = await action({
        url: server.origin,
        'api-key': KEY,
        endpoints: ENDPOINTS,
        shard: `${i}/3`,
        'report-file': `reports/shard-${i}/cache-warm-report.json`
      })
      expect(shard.code).toBe(0)
    }
    const sent = server.requests.length

    const merged = await action({
      'api-key': KEY,
      'merge-reports': 'reports/**/*.json',
      'report-file': 'merged.json'
    })
    expect(merged.stderr).toBe('')
    expect(merged.code).toBe(0)
    expect(server.requests.length).toBe(sent)
    expect(merged.outputs).toMatchObject({ result: 'passed', warmed: '9', failed: '0' })
    expect(merged.summary).toContain('### Merged · 3 report(s) · 3 label(s)')
    const report = JSON.parse(await readFile(path.join(dir, 'merged.json'), 'utf8')) as {
      totals: object
      merged: { reports: { label: string }[] }
    }
    expect(report.totals).toEqual({ total: 9, passed: 9, failed: 0, skipped: 0 })
    expect(report.merged.reports.map(r => r.label)).toEqual(['1/3', '2/3', '3/3'])
    expect(merged.stdout.replace(/^::add-mask::.*$/gm, '') + merged.summary).not.toContain(KEY)

    const files = [1, 2, 3].map(i => `reports/shard-${i}/cache-warm-report.json`)
    const cli = await node([path.join(DIST, 'cli/index.js'), 'merge', ...files, '--json'], {
      PATH: process.env.PATH
    })
    expect(cli.code).toBe(0)
    expect(JSON.parse(cli.stdout)).toMatchObject({ result: 'passed', totals: { total: 9 } })
  })

  it('refuses, in one line naming it, a report file that is not there', async () => {
    const cli = await node(
      [
        path.join(DIST, 'cli/index.js'),
        'merge',
        'reports/shard-1/cache-warm-report.json',
        'nope.json'
      ],
      { PATH: process.env.PATH }
    )
    expect(cli.code).toBe(1)
    expect(cli.stderr).toBe('cache-warm merge: nope.json: cannot be read (no such file)\n')
  })
})
