import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { crashedResult, warmRun } from '../src/run.js'
import { json, startServer, type LocalServer } from './support/server.js'
import { settingsFrom } from './support/settings.js'

let server: LocalServer
beforeAll(async () => {
  server = await startServer((req, res) => {
    json(res, 200, { success: true, data: [1] })
  })
})
afterAll(() => server.close())

describe('warmRun', () => {
  it('runs the pipeline and returns its result', async () => {
    const lines: string[] = []
    const result = await warmRun(settingsFrom({ url: server.origin, endpoints: '- /a' }), {
      log: l => lines.push(l)
    })
    expect(result).toMatchObject({ result: 'passed', totals: { passed: 1 } })
    expect(lines).toContain('Warming normal: 1 endpoint(s)')
  })

  it('turns an unexpected error into a failed result that names it, never a throw', async () => {
    const seen: string[] = []
    const result = await warmRun(settingsFrom({ url: server.origin, endpoints: '- /a\n- /b' }), {
      log: () => {},
      debug: t => seen.push(t),
      engine: {
        send: () => {
          throw new RangeError('Maximum call stack size exceeded')
        }
      }
    })
    expect(result).toMatchObject({
      result: 'failed',
      stepFailed: true,
      totals: { total: 2, skipped: 2 },
      warnings: ['the run stopped on an unexpected error: Maximum call stack size exceeded']
    })
    expect(seen.join('\n')).toContain('RangeError')
  })

  it('sends nothing on a dry run', async () => {
    const before = server.requests.length
    const result = await warmRun(
      settingsFrom({ url: server.origin, endpoints: '- /a', 'dry-run': 'true' }),
      { log: () => {} }
    )
    expect(result.result).toBe('dry-run')
    expect(server.requests.length).toBe(before)
  })
})

describe('crashedResult', () => {
  it('keeps fail-on: never green while saying failed', () => {
    const s = settingsFrom({ url: server.origin, endpoints: '- /a', 'fail-on': 'never' })
    expect(crashedResult(s, 'boom', Date.now())).toMatchObject({
      result: 'failed',
      stepFailed: false,
      dryRun: false
    })
  })
})
