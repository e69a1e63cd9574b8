/**
 * Round 2: server words that reach the log. The runner reads every stdout line for workflow
 * commands: `::cmd::` at the start of a line (after leading spaces), and the legacy `##[cmd]`
 * form ANYWHERE in a line (actions/runner ActionCommand.TryParse looks for "##[" with IndexOf,
 * and ActionCommandManager falls back to it when the `::` form does not parse). Registered
 * legacy commands include stop-commands, add-mask, error, warning, set-output.
 *
 * @actions/core escapes only %, CR and LF, and core.info not at all, so a deployment's own words
 * (a status text, an "error" field) printed in a plain log line can issue commands: stop the
 * processing of every later annotation, mask words of the verdict, or forge an error annotation.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { ensureBuilt } from '../../support/run-action.js'
import { hide, json, plainLines, runDist, serve, type Server } from '../../support/round2.js'

ensureBuilt()
const KEY = 'sk_live_R2cmdKey_9f8e7d6c5b4a'
let servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.map(s => s.close()))
  servers = []
})

/** Lines the runner would parse as a legacy command: "##[" anywhere in a plain line. */
function legacyCommands(stdout: string): string[] {
  return plainLines(stdout)
    .filter(l => /##\[[a-z-]+/i.test(l))
    .map(l => hide(l, KEY))
}

describe('server words cannot issue workflow commands through the log', () => {
  it('a 503 status text "##[stop-commands]..." does not reach a plain log line', async () => {
    const s = await serve((req, res) =>
      json(res, 503, { ok: true }, {}, '##[stop-commands]r2pwned')
    )
    servers.push(s)
    const run = await runDist({
      url: s.origin,
      'api-key': KEY,
      endpoints: '- /api/a',
      retries: '0',
      verify: 'false'
    })
    expect(run.code).toBe(1)
    // On a runner, every ::error:: annotation after this line would be ignored.
    expect(legacyCommands(run.stdout)).toEqual([])
  })

  it('a JSON error message "##[add-mask]FAIL" / "##[error]..." does not reach a plain log line', async () => {
    const s = await serve((req, res) =>
      json(res, 500, {
        error: '##[add-mask]FAIL ##[error title=Cache warm passed]all endpoints are warm'
      })
    )
    servers.push(s)
    const run = await runDist({
      url: s.origin,
      'api-key': KEY,
      endpoints: '- /api/b',
      retries: '0',
      verify: 'false'
    })
    expect(run.code).toBe(1)
    expect(legacyCommands(run.stdout)).toEqual([])
  })

  it('a readiness check whose status text carries "##[set-output ...]" does not reach a plain log line', async () => {
    let n = 0
    const s = await serve((req, res) => {
      if (req.url === '/health' && ++n < 3)
        return json(res, 503, {}, {}, '##[set-output name=result;]passed')
      json(res, 200, { success: true, data: [1] }, { 'X-Cache': 'HIT' })
    })
    servers.push(s)
    const run = await runDist({
      url: s.origin,
      'api-key': KEY,
      endpoints: '- /api/c',
      'wait-for': '/health',
      'poll-interval': '100ms',
      'wait-timeout': '5s',
      retries: '0'
    })
    expect(run.outputs.result).toBe('passed')
    expect(legacyCommands(run.stdout)).toEqual([])
  })

  it('a metrics endpoint whose status text carries "##[stop-commands]" does not reach a plain log line', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/metrics') return json(res, 502, {}, {}, '##[stop-commands]r2metrics')
      json(res, 200, { success: true, data: [1] }, { 'X-Cache': 'HIT' })
    })
    servers.push(s)
    const run = await runDist({
      url: s.origin,
      'api-key': KEY,
      endpoints: '- /api/d',
      'metrics-path': '/metrics',
      thresholds: 'cacheStats.l2Size >= 1',
      'poll-interval': '100ms',
      'poll-timeout': '300ms',
      retries: '0'
    })
    expect(run.code).toBe(1)
    expect(legacyCommands(run.stdout)).toEqual([])
  })
})
