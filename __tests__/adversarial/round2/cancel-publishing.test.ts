/**
 * Round 2, promise 4: a cancel (the runner sends SIGINT, then SIGTERM) that arrives after the
 * warm, while the check run is being completed (up to 15 s against a slow GitHub). The action
 * stops listening for signals when the warm ends (cancel.dispose() before report()), so Node's
 * default handler ends the process at once: the outputs, which are set only after the check run
 * settles, are never written, although the result was known.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { startGitHub, type GitHubStandIn } from '../../support/hostile-server.js'
import { ensureBuilt } from '../../support/run-action.js'
import { json, serve, type Server } from '../../support/round2.js'
import { spawnAction } from '../../support/spawn-action.js'

ensureBuilt()
const KEY = 'sk_live_R2cancelKey_aa11bb22cc33'
let s: Server
let github: GitHubStandIn
beforeAll(async () => {
  s = await serve((req, res) => json(res, 200, { success: true, data: [1] }, { 'X-Cache': 'HIT' }))
  github = await startGitHub('hang-update')
})
afterAll(async () => {
  await s.close()
  await github.close()
})

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached')
    await new Promise(r => setTimeout(r, 20))
  }
}

describe('a cancel while the check run is being completed', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s after the warm ended: the outputs are still written',
    async signal => {
      const spawned = await spawnAction(
        {
          url: s.origin,
          'api-key': KEY,
          endpoints: '- /api/a',
          retries: '0',
          'github-token': 'ghs_r2CancelToken000000000000000',
          'check-name': 'Cache warm'
        },
        { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'o/r', GITHUB_SHA: 'b'.repeat(40) },
        20_000
      )
      try {
        // The warm is over once the summary is written; the PATCH of the check run hangs.
        await until(async () => {
          const text = await readFile(path.join(spawned.dir, 'step-summary.md'), 'utf8').catch(
            () => ''
          )
          return text !== '' && github.requests.some(r => r.method === 'PATCH')
        }, 8000)
        const t0 = Date.now()
        spawned.child.kill(signal)
        const run = await spawned.exited(t0)
        expect({
          endedWithin2s: run.ms < 2000,
          result: run.outputs.result,
          warmed: run.outputs.warmed
        }).toEqual({ endedWithin2s: true, result: expect.any(String), warmed: '1' })
      } finally {
        await spawned.cleanUp()
      }
    }
  )
})
