/**
 * Round 2, promise 4: "the step ends within deadline + 15 s, with outputs, summary and report
 * written". Files the inputs name are opened without looking at what they are: a FIFO (named
 * pipe) in the workspace, left by an earlier step or checked in as a named pipe by mistake, is
 * waited on for ever. endpoints-file is read with readFileSync (the whole process blocks, before
 * any deadline exists); report-file is written with writeFile, whose open() of a FIFO with no
 * reader never returns, and the outputs are set only after it settles.
 */
import { afterAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ensureBuilt } from '../../support/run-action.js'
import { json, runDist, serve, type Server } from '../../support/round2.js'

ensureBuilt()
const KEY = 'sk_live_R2fifoKey_5e6f7a8b9c0d'
const DEADLINE_MS = 1000
const GRACE_MS = 15_000
const servers: Server[] = []
const dirs: string[] = []
afterAll(async () => {
  await Promise.all(servers.map(s => s.close()))
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function fifoIn(): Promise<{ ws: string; fifo: string }> {
  const ws = await mkdtemp(path.join(os.tmpdir(), 'r2-fifo-'))
  dirs.push(ws)
  const fifo = path.join(ws, 'named.pipe')
  execFileSync('mkfifo', [fifo])
  return { ws, fifo }
}

describe('a FIFO named by an input does not hold the step past deadline + 15 s', () => {
  it('endpoints-file and report-file pointing at a FIFO: the step still ends, with outputs', async () => {
    const s = await serve((req, res) =>
      json(res, 200, { success: true, data: [1] }, { 'X-Cache': 'HIT' })
    )
    servers.push(s)
    const a = await fifoIn()
    const b = await fifoIn()
    await writeFile(path.join(b.ws, 'ok.txt'), '')
    const limit = DEADLINE_MS + GRACE_MS + 1000
    const common = { url: s.origin, 'api-key': KEY, deadline: `${DEADLINE_MS}ms`, retries: '0' }
    // Both at once (each waits out the bound); GITHUB_WORKSPACE is the folder with the FIFO.
    const [byEndpoints, byReport] = await Promise.all([
      runDist({ ...common, 'endpoints-file': 'named.pipe' }, { GITHUB_WORKSPACE: a.ws }, limit),
      runDist(
        { ...common, endpoints: '- /api/a', 'report-file': 'named.pipe' },
        { GITHUB_WORKSPACE: b.ws },
        limit
      )
    ])
    const seen = (r: typeof byEndpoints): Record<string, unknown> => ({
      killedAfterBound: r.signal === 'SIGKILL',
      hasResultOutput: r.outputs.result !== undefined,
      summaryWritten: r.summary !== ''
    })
    const ended = { killedAfterBound: false, hasResultOutput: true, summaryWritten: true }
    expect({ endpointsFile: seen(byEndpoints), reportFile: seen(byReport) }).toEqual({
      endpointsFile: ended,
      reportFile: ended
    })
  }, 40_000)
})
