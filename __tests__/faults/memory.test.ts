/**
 * Size: 50,000 endpoints from endpoints-file against a fast local server, through dist/index.js.
 * The run stays in bounded memory (peak RSS of the child, measured on its exit), the job summary
 * stays under GitHub's 1 MiB, and the JSON report still has every endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { recordFigures } from '../support/reliability.js'
import { ensureBuilt } from '../support/run-action.js'
import { spawnAction } from '../support/spawn-action.js'
import { SUMMARY_LIMIT_BYTES } from '../../src/report/summary.js'

const COUNT = 50_000
const RSS_LIMIT_MB = 400
const KEY = 'sk_live_MEMKEY_55aa66bb77cc'

let server: http.Server
let origin = ''
let requests = 0
let dir: string

beforeAll(async () => {
  if (!process.env.RELIABILITY_REPORT) return
  ensureBuilt()
  dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-memory-'))
  const body = '{"success":true,"data":[1]}'
  server = http.createServer((req, res) => {
    requests++
    req.resume()
    // Every 1000th endpoint fails, so the failure lists are long too.
    const failing = /\/item\/\d*999$/.test(req.url ?? '')
    res.writeHead(failing ? 503 : 200, {
      'Content-Type': 'application/json',
      'Content-Length': failing ? 2 : body.length,
      'X-Cache': 'HIT'
    })
    res.end(failing ? '{}' : body)
  })
  server.keepAliveTimeout = 10_000
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  if (!process.env.RELIABILITY_REPORT) return
  server.closeAllConnections()
  await new Promise(resolve => server.close(resolve))
  await rm(dir, { recursive: true, force: true })
})

// About 20 s of a 2-core machine: part of `npm run reliability` (which sets RELIABILITY_REPORT),
// not of every `npm test`.
const suite = process.env.RELIABILITY_REPORT ? describe : describe.skip

suite(`${COUNT.toLocaleString('en')} endpoints`, () => {
  it('run in bounded memory, with a job summary under 1 MiB and every endpoint in the report', async () => {
    const list = Array.from({ length: COUNT }, (_, i) => `- /item/${i}`).join('\n')
    await writeFile(path.join(dir, 'endpoints.yml'), `${list}\n`)
    // The child writes its own peak RSS when it exits.
    const rssFile = path.join(dir, 'rss')
    await writeFile(
      path.join(dir, 'rss.cjs'),
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)))\n`
    )
    const spawned = await spawnAction(
      {
        url: origin,
        'api-key': KEY,
        'endpoints-file': path.join(dir, 'endpoints.yml'),
        concurrency: '128',
        retries: '0',
        timeout: '10s',
        deadline: '2m',
        // Verify would double the requests (and the time) without touching anything new.
        verify: 'false'
      },
      // The endpoints file lives in the workspace, as endpoints-file must.
      { NODE_OPTIONS: `--require ${path.join(dir, 'rss.cjs')}`, GITHUB_WORKSPACE: dir },
      50_000
    )
    try {
      const run = await spawned.exited()
      const peakMb = Math.round(Number(await readFile(rssFile, 'utf8')) / 1024)
      const summaryBytes = Buffer.byteLength(run.summary)
      recordFigures('memory', {
        section: 'Size and memory',
        note: `dist/index.js, ${COUNT} endpoints from endpoints-file, concurrency 128, verify off, a local server; peak RSS from process.resourceUsage().maxRSS at exit.`,
        rows: [
          {
            endpoints: COUNT,
            requests,
            tookMs: run.ms,
            peakRssMb: peakMb,
            rssBoundMb: RSS_LIMIT_MB,
            summaryBytes,
            summaryLimitBytes: SUMMARY_LIMIT_BYTES,
            reportBytes: Buffer.byteLength(run.reportFile)
          }
        ]
      })

      expect(run.code).toBe(1) // 50 endpoints answer 503
      expect(peakMb).toBeLessThan(RSS_LIMIT_MB)
      expect(summaryBytes).toBeLessThan(SUMMARY_LIMIT_BYTES)
      expect(run.summary).toMatch(
        /more endpoint\(s\)[,;] (listed )?in the JSON report|JSON report has all of them/
      )
      expect(run.report!.totals).toEqual({
        total: COUNT,
        passed: COUNT - 50,
        failed: 50,
        skipped: 0
      })
      expect(run.report!.tiers.flatMap(t => t.endpoints)).toHaveLength(COUNT)
      expect(run.outputs).toMatchObject({ warmed: String(COUNT - 50), failed: '50' })
      expect(run.summary + run.reportFile).not.toContain(KEY)
      // 128 requests in flight on one abort signal is no leak: no warning on the runner's log.
      expect(run.stderr).not.toMatch(/MaxListenersExceededWarning/)
    } finally {
      await spawned.cleanUp()
    }
  }, 60_000)
})
