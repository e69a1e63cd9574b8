import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { keyHint, main } from '../src/cli.js'
import { aMetrics, anEndpoint, aResult, aTier } from './support/results.js'
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

  it('refuses the key as a flag, says where it goes, and never prints it', async () => {
    for (const argv of [
      ['--url', server.origin, '--api-key', KEY],
      ['--url', server.origin, `--api-key=${KEY}`]
    ]) {
      err = ''
      expect(await main(argv, {})).toBe(1)
      expect(err).toBe(
        'cache-warm: --api-key is not a flag, so the key stays out of shell history and process lists; set CACHE_WARM_API_KEY (or name another variable with --api-key-env NAME)\n'
      )
      expect(out + err).not.toContain(KEY)
    }
    expect(server.requests).toHaveLength(0)
  })

  it('answers a mistyped flag with the one it meant, before any request', async () => {
    const code = await main(['--url', server.origin, '--endpoints', '- /a', '--concurency', '4'], {
      CACHE_WARM_API_KEY: KEY
    })

    expect(code).toBe(1)
    expect(err).toBe(
      'cache-warm: unknown option --concurency; did you mean --concurrency? Run cache-warm --help for the options\n'
    )
    expect(server.requests).toHaveLength(0)
  })

  it('never prints the value given to an unknown flag', async () => {
    expect(await main(['--url', server.origin, `--apikey=${KEY}`], {})).toBe(1)
    expect(await main(['-url', KEY], {})).toBe(1)
    expect(err).toContain('did you mean --url?')
    expect(out + err).not.toContain(KEY)
  })

  it('prints the JSON report with --json', async () => {
    const code = await main(['--url', server.origin, '--endpoints', '- /a', '--json'], {
      CACHE_WARM_API_KEY: KEY
    })

    expect(code).toBe(0)
    const report = JSON.parse(out) as { schemaVersion: number; result: string }
    expect(report).toMatchObject({ schemaVersion: 1, result: 'passed' })
  })

  describe("a key the deployment refuses, in the CLI's words", () => {
    const hint = (name: string, state = 'is not set'): string =>
      `cache-warm: the deployment refused the requests (401) and no key was sent: ${name} ${state}; set ${name} to the deployment's key (or name another variable with --api-key-env NAME)\n`

    it('names CACHE_WARM_API_KEY when no key was sent and the deployment answered 401', async () => {
      const code = await main(
        ['--url', server.origin, '--endpoints', 'critical: [/a]\nnormal: [/b]'],
        {}
      )

      expect(code).toBe(1)
      expect(server.requests.map(r => r.headers['x-api-key'])).toEqual([undefined])
      expect(err.endsWith(hint('CACHE_WARM_API_KEY'))).toBe(true)
    })

    it('names the variable --api-key-env gave, and says when it is empty', async () => {
      await main(['--url', server.origin, '--endpoints', '- /a', '--api-key-env', 'WORKER_KEY'], {})
      expect(err.endsWith(hint('WORKER_KEY'))).toBe(true)

      err = ''
      await main(['--url', server.origin, '--endpoints', '- /a'], { CACHE_WARM_API_KEY: '  ' })
      expect(err.endsWith(hint('CACHE_WARM_API_KEY', 'is empty'))).toBe(true)
    })

    it('says which variable held a refused key, without printing the key', async () => {
      const code = await main(
        ['--url', server.origin, '--endpoints', '- /a', '--api-key-env', 'MY_KEY'],
        { MY_KEY: 'wrong-key-456' }
      )

      expect(code).toBe(1)
      expect(err).toContain(
        'cache-warm: the key read from MY_KEY was refused (401); check its value, and --api-key-header if the deployment reads the key from another header\n'
      )
      expect(out + err).not.toContain('wrong-key-456')
    })

    it('keeps stdout a JSON report with --json: the hint goes to stderr', async () => {
      expect(await main(['--url', server.origin, '--endpoints', '- /a', '--json'], {})).toBe(1)
      expect((JSON.parse(out) as { result: string }).result).toBe('failed')
      expect(err).toContain('CACHE_WARM_API_KEY is not set')
    })

    it('adds nothing when the key works', async () => {
      await main(['--url', server.origin, '--endpoints', '- /a'], { CACHE_WARM_API_KEY: KEY })
      expect(err).not.toContain('refused')
    })
  })

  it('reaches a local server given without a scheme over http://', async () => {
    const code = await main(
      ['--url', server.origin.replace('http://', ''), '--endpoints', '- /a'],
      {
        CACHE_WARM_API_KEY: KEY
      }
    )

    expect(code).toBe(0)
    expect(out).toContain(`Target ${server.origin}/`)
    expect(server.requests.length).toBeGreaterThan(0)
  })
})

describe('the CLI log on stderr', () => {
  const withTty = async <T>(isTTY: boolean, fn: () => Promise<T>): Promise<T> => {
    const before = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY')
    Object.defineProperty(process.stderr, 'isTTY', { value: isTTY, configurable: true })
    try {
      return await fn()
    } finally {
      if (before) Object.defineProperty(process.stderr, 'isTTY', before)
      else delete (process.stderr as { isTTY?: boolean }).isTTY
    }
  }
  const argv = () => ['--url', server.origin, '--endpoints', 'critical: [/a]\nnormal: [/b, /c]']

  it('is plain lines: group titles as lines, results, no workflow command', async () => {
    expect(await withTty(false, () => main(argv(), { CACHE_WARM_API_KEY: KEY }))).toBe(0)

    const lines = err.trimEnd().split('\n')
    expect(lines[0]).toBe('Warming critical: 1 endpoint(s)')
    expect(lines[1]).toMatch(/^ {2}ok {3}GET \/a 200 \d+ms$/)
    expect(lines[2]).toMatch(/^critical: 1\/1 warmed in \d+ms, p50 \d+ms$/)
    expect(lines).toContain('Verifying: each GET endpoint once more')
    expect(err).not.toContain('::')
    expect(err).not.toContain('\r')
  })

  it('shows a live progress line on a terminal, wiped before each line and at the end', async () => {
    expect(await withTty(true, () => main(argv(), { CACHE_WARM_API_KEY: KEY }))).toBe(0)

    expect(err).toContain('\rWarming: 0/3 done, - req/s\x1b[K')
    // Cut at each \r: a draw is `Warming: ...` + erase-to-end, nothing after it on its row but
    // another draw or a wipe; the run ends on a wiped row.
    const rows = err.split('\r')
    const draws = rows.filter(r => r.startsWith('Warming:'))
    for (const d of draws) expect(d).toMatch(/^Warming: \d+\/3 done, [^\n]*\[K$/)
    expect(rows.at(-1)?.startsWith('Warming:')).toBe(false)
    const shown = rows
      .filter(r => !r.startsWith('Warming:'))
      .map(r => (r.startsWith('\x1b[K') ? r.slice(3) : r))
      .join('')
    expect(shown).not.toContain('\x1b')
    expect(shown.split('\n')[0]).toBe('Warming critical: 1 endpoint(s)')
  })

  it('says thinning the same way the action does above 200 endpoints', async () => {
    const endpoints = Array.from({ length: 201 }, (_, i) => `- /p/${i}`).join('\n')
    await main(['--url', server.origin, '--endpoints', endpoints, '--verify', 'false'], {
      CACHE_WARM_API_KEY: KEY
    })
    expect(err.split('\n')[0]).toBe(
      '(201 endpoints: only failures are listed; the report has every one; set ACTIONS_STEP_DEBUG to list all)'
    )
    err = ''
    await main(['--url', server.origin, '--endpoints', endpoints, '--verify', 'false'], {
      CACHE_WARM_API_KEY: KEY,
      ACTIONS_STEP_DEBUG: 'true'
    })
    expect(err.split('\n').filter(l => l.startsWith('  ok '))).toHaveLength(201)
  })
})

describe('keyHint', () => {
  const refusedEndpoint = (status: number) =>
    anEndpoint({ outcome: 'failed', status, cause: `http-${status}` })

  it('speaks of a key refused by the warm-up trigger or the metrics endpoint too', () => {
    const trigger = aResult({
      trigger: {
        method: 'POST',
        path: '/warm',
        ok: false,
        required: false,
        status: 403,
        attempts: 1,
        message: '',
        keyRefused: true
      }
    })
    expect(keyHint(trigger, 'K', {})).toContain(
      'refused the requests (403) and no key was sent: K is not set'
    )
    const metrics = aResult({
      settings: { apiKeySent: true },
      metrics: aMetrics({ met: false, keyRefused: true })
    })
    expect(keyHint(metrics, 'K', { K: 'x' })).toBe(
      'cache-warm: the key read from K was refused; check its value, and --api-key-header if the deployment reads the key from another header'
    )
  })

  it('lists every refusing status once, in order', () => {
    const result = aResult({
      tiers: [aTier('critical', [refusedEndpoint(403), refusedEndpoint(401), refusedEndpoint(403)])]
    })
    expect(keyHint(result, 'K', {})).toContain('(401/403)')
  })

  it('says nothing for other failures, or an endpoint that expects a 401', () => {
    const result = aResult({
      tiers: [
        aTier('critical', [
          anEndpoint({ outcome: 'failed', status: 500, cause: 'http-500' }),
          anEndpoint({ outcome: 'passed', status: 401 })
        ])
      ]
    })
    expect(keyHint(result, 'K', {})).toBeUndefined()
  })
})
