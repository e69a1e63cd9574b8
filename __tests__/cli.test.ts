import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { main } from '../src/cli.js'
import { json, startServer, type LocalServer } from './support/server.js'

const KEY = 'cli-secret-key-123'

let server: LocalServer
let out: string
let err: string

beforeEach(async () => {
  out = ''
  err = ''
  jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
    out += String(chunk)
    return true
  })
  jest.spyOn(process.stderr, 'write').mockImplementation(chunk => {
    err += String(chunk)
    return true
  })
  server = await startServer((req, res) =>
    req.headers['x-api-key'] === KEY
      ? json(res, 200, { success: true, data: [1], echo: KEY })
      : json(res, 401, { error: `bad key ${String(req.headers['x-api-key'])}` })
  )
})

afterEach(async () => {
  jest.restoreAllMocks()
  await server.close()
})

describe('cache-warm CLI', () => {
  it('warms with the key from CACHE_WARM_API_KEY and prints a readable summary', async () => {
    const code = await main(
      ['--url', server.origin, '--endpoints', 'critical: [/a]\nnormal: [/b]'],
      { CACHE_WARM_API_KEY: KEY }
    )

    expect(code).toBe(0)
    expect(out).toContain('Cache warm passed: 2/2 endpoints warmed')
    expect(out).toContain('result=passed')
    expect(server.requests.map(r => r.headers['x-api-key'])).toContain(KEY)
    expect(out + err).not.toContain(KEY)
  })

  it('exits 1 and explains a refused key without printing it', async () => {
    const code = await main(
      ['--url', server.origin, '--endpoints', '- /a', '--api-key-env', 'MY_KEY'],
      { MY_KEY: 'wrong-key-456' }
    )

    expect(code).toBe(1)
    expect(out).toContain('the key sent in header X-API-Key was refused')
    expect(out + err).not.toContain('wrong-key-456')
  })

  it('rejects bad input with one line naming the input, before any request', async () => {
    const code = await main(
      ['--url', server.origin, '--endpoints', '- {path: /a, priority: urgent}'],
      {}
    )

    expect(code).toBe(1)
    expect(err.trim().split('\n')).toHaveLength(1)
    expect(err).toContain('endpoints[0].priority')
    expect(server.requests).toHaveLength(0)
  })

  it('prints the plan and sends nothing with --dry-run', async () => {
    const code = await main(
      ['--url', server.origin, '--endpoints', 'critical: [/a]', '--dry-run'],
      { CACHE_WARM_API_KEY: KEY }
    )

    expect(code).toBe(0)
    expect(out).toContain(`GET    ${server.origin}/a`)
    expect(out).toContain('Key: sent as X-API-Key (value masked)')
    expect(server.requests).toHaveLength(0)
  })

  it('refuses an unknown flag and never takes the key as a flag', async () => {
    expect(await main(['--api-key', KEY], {})).toBe(1)
    expect(err).toContain("Unknown option '--api-key'")
    expect(err).not.toContain(KEY)
  })

  it('prints the JSON report with --json', async () => {
    const code = await main(['--url', server.origin, '--endpoints', '- /a', '--json'], {
      CACHE_WARM_API_KEY: KEY
    })

    expect(code).toBe(0)
    const report = JSON.parse(out) as { schemaVersion: number; result: string }
    expect(report).toMatchObject({ schemaVersion: 1, result: 'passed' })
  })
})
