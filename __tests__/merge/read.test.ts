import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { MergeRefused } from '../../src/errors.js'
import { MAX_REPORT_BYTES, MAX_REPORTS, readReports } from '../../src/merge/read.js'
import { reportJson } from '../support/reports.js'

const SECRET = 'sk-live-hostile-9f8e7d6c5b'
let dir: string

async function file(name: string, text: string): Promise<string> {
  const full = path.join(dir, name)
  await writeFile(full, text)
  return full
}

async function refusal(files: string[]): Promise<string> {
  const error = await readReports(files).then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(MergeRefused)
  return (error as Error).message
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-merge-read-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('readReports', () => {
  it('reads valid reports, in order, and gives a report without phases an empty list', async () => {
    const a = await file('a.json', reportJson())
    const b = await file('b.json', reportJson({ phases: undefined, label: 'eu' }))
    const read = await readReports([a, b])
    expect(read.map(r => r.file)).toEqual([a, b])
    expect(read[1]!.report).toMatchObject({ label: 'eu', phases: [] })
  })

  it('refuses no file at all', async () => {
    expect(await refusal([])).toMatch(/^no report file to merge/)
  })

  it('refuses a merged report: merging it again would lose its missing and mismatched shards', async () => {
    const merged = await file(
      'merged.json',
      reportJson({ merged: { reports: [], duplicates: 0, missing: ['shard 2/3 has no report'] } })
    )
    expect(await refusal([merged])).toBe(
      `${merged}: is a merged report; merge the reports the jobs wrote, not a merge of them`
    )
  })

  it('refuses a missing file, naming it', async () => {
    const missing = path.join(dir, 'nope.json')
    expect(await refusal([missing])).toBe(`${missing}: cannot be read (no such file)`)
  })

  it('refuses a truncated file in one line that names it and repeats none of its content', async () => {
    const text = reportJson({ warnings: [`key ${SECRET}`] })
    const cut = await file('cut.json', text.slice(0, text.indexOf(SECRET) + SECRET.length))
    const message = await refusal([cut])
    expect(message).toMatch(new RegExp(`^${cut.replace(/[.\\/]/g, '\\$&')}: is not valid JSON`))
    expect(message).toContain('cut short')
    expect(message).not.toContain(SECRET)
    expect(message).not.toContain('\n')
  })

  it('refuses an empty file and JSON that is not an object', async () => {
    expect(await refusal([await file('empty.json', '')])).toMatch(/is not valid JSON.*empty/)
    expect(await refusal([await file('list.json', '[1,2]')])).toMatch(/not a JSON object/)
  })

  it('refuses another schemaVersion, saying which it has and which this reads', async () => {
    const v2 = await file('v2.json', reportJson({ schemaVersion: 2 }))
    expect(await refusal([v2])).toBe(
      `${v2}: has schemaVersion 2; this cache-warm reads schemaVersion 1 (run every job and the merge with the same version of the action)`
    )
    const none = await file('none.json', JSON.stringify({ hello: SECRET }))
    expect(await refusal([none])).toBe(
      `${none}: is not a cache-warm report (it has no schemaVersion)`
    )
  })

  it('refuses a hostile report: a field outside its closed set, named by its path, value not shown', async () => {
    const hostile = JSON.parse(reportJson()) as { tiers: { endpoints: { outcome: string }[] }[] }
    hostile.tiers[0]!.endpoints[0]!.outcome = SECRET
    const f = await file('hostile.json', JSON.stringify(hostile))
    const message = await refusal([f])
    expect(message).toMatch(
      /is not a valid cache-warm report: \.tiers\[0\]\.endpoints\[0\]\.outcome: /
    )
    expect(message).not.toContain(SECRET)
  })

  it('refuses a report of another tool and a target that is not an http(s) URL', async () => {
    const tool = await file('tool.json', reportJson({ tool: { name: 'other', version: '1' } }))
    expect(await refusal([tool])).toMatch(/\.tool\.name/)
    const target = await file('target.json', reportJson({ target: 'javascript:alert(1)' }))
    expect(await refusal([target])).toMatch(/\.target: expected the http\(s\) URL/)
  })

  it('refuses a file over the size cap without reading it', async () => {
    const big = path.join(dir, 'big.json')
    const handle = await open(big, 'w')
    await handle.truncate(MAX_REPORT_BYTES + 1)
    await handle.close()
    expect(await refusal([big])).toBe(`${big}: is 65 MiB; a report may be at most 64 MiB`)
  })

  it('refuses more reports than the cap before reading any', async () => {
    const files = Array.from({ length: MAX_REPORTS + 1 }, (_, i) => path.join(dir, `${i}.json`))
    expect(await refusal(files)).toMatch(/^257 report files; at most 256/)
  })

  it('refuses a directory and a FIFO without waiting for a writer', async () => {
    expect(await refusal([dir])).toMatch(/is not a regular file|is a directory/)
    const fifo = path.join(dir, 'fifo.json')
    execFileSync('mkfifo', [fifo])
    const started = Date.now()
    expect(await refusal([fifo])).toBe(
      `${fifo}: is not a regular file; give the JSON report a job wrote`
    )
    expect(Date.now() - started).toBeLessThan(2000)
  })
})
