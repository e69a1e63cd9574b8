/**
 * The whole action (src/main.ts, the fake @actions/core) against a local server that behaves
 * like a Worker behind Cloudflare (support/edge-server.ts): where the warm landed (colos from
 * cf-ray) and whether every answer came from the version asked for (expect-version).
 */
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  jest
} from '@jest/globals'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { MAX_BODY_BYTES } from '../src/run-context.js'
import { startEdge, type EdgeOptions, type EdgeServer } from './support/edge-server.js'

jest.unstable_mockModule('@actions/core', () => import('./fixtures/core.js'))
const core = await import('./fixtures/core.js')
const { run } = await import('../src/main.js')

const KEY = 'edge-test-key-4f2a9c71'
const COLD = 'users served by other colos start cold for the Cache API and KV cacheTtl'
let dir: string
let edge: EdgeServer | undefined

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-edge-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => core.reset())
afterEach(async () => {
  await edge?.close()
  edge = undefined
})

interface Report {
  colos?: { colo: string; answers: number }[]
  colosMore?: { colos: number; answers: number }
  result: string
  tiers: {
    endpoints: {
      path: string
      outcome: string
      colo?: string
      cache?: string
      version?: string
      reason?: string
      cause?: string
    }[]
  }[]
  verify?: {
    passed: boolean
    problems: string[]
    entries: {
      path: string
      state: string
      colo?: string
      evidence: string
      wrongVersion?: boolean
    }[]
  }
}

/** Runs the action against a fresh edge server; the report parsed, and every text it wrote. */
async function warm(
  edgeOpts: EdgeOptions,
  inputs: Record<string, string>
): Promise<{ report: Report; everything: string; summary: string; log: string }> {
  edge = await startEdge({ key: KEY, ...edgeOpts })
  const file = path.join(dir, `r-${Math.random().toString(36).slice(2)}.json`)
  core.reset({
    url: edge.origin,
    'api-key': KEY,
    retries: '0',
    timeout: '5s',
    'report-file': file,
    ...inputs
  })
  await run({ env: { GITHUB_WORKSPACE: dir } })
  const text = await readFile(file, 'utf8')
  const summary = core.summaries.join('\n')
  const log = core.logs.join('\n')
  return {
    report: JSON.parse(text) as Report,
    summary,
    log,
    everything: [text, summary, log, JSON.stringify(core.outputs), core.failures.join('\n')].join(
      '\n'
    )
  }
}

const ENDPOINTS = 'critical:\n  - /api/a\n  - /api/b\nhigh:\n  - /api/c'

describe('where the warm landed', () => {
  it('records the colo of every warm and verify answer and says that other colos start cold', async () => {
    const { report, summary, log } = await warm({}, { endpoints: ENDPOINTS })

    expect(core.failures).toEqual([])
    const endpoints = report.tiers.flatMap(t => t.endpoints)
    expect(endpoints.map(e => [e.path, e.colo, e.cache])).toEqual([
      ['/api/a', 'SJC', 'CF-Cache-Status: MISS'],
      ['/api/b', 'SJC', 'CF-Cache-Status: MISS'],
      ['/api/c', 'SJC', 'CF-Cache-Status: MISS']
    ])
    expect(report.verify?.entries.map(e => [e.colo, e.state])).toEqual([
      ['SJC', 'cached'],
      ['SJC', 'cached'],
      ['SJC', 'cached']
    ])
    // Three warm answers and three verify answers.
    expect(report.colos).toEqual([{ colo: 'SJC', answers: 6 }])
    expect(core.outputs.colos).toBe('SJC')
    expect(summary).toContain(`🌍 Warmed in SJC: ${COLD}; L1 memory is per isolate`)
    expect(log).toContain(`Warmed in SJC: ${COLD}`)
    // The tier table shows where each answer came from, beside its cache header.
    expect(summary).toContain('CF-Cache-Status: MISS · SJC')
  })

  it('lists several colos with their answers, most first', async () => {
    const { report, summary } = await warm(
      { isolate: n => ({ version: 'v2', colo: n % 3 === 0 ? 'IAD' : 'EWR' }) },
      { endpoints: ENDPOINTS }
    )
    expect(report.colos).toEqual([
      { colo: 'EWR', answers: 4 },
      { colo: 'IAD', answers: 2 }
    ])
    expect(core.outputs.colos).toBe('EWR,IAD')
    expect(summary).toContain(`Warmed in EWR (4), IAD (2): ${COLD}`)
  })

  it('says nothing at all when no answer carries a cf-ray (not behind Cloudflare)', async () => {
    const { report, everything } = await warm(
      { isolate: () => ({ version: 'v2' }) },
      { endpoints: ENDPOINTS }
    )
    expect(report.result).toBe('passed')
    expect(report).not.toHaveProperty('colos')
    expect(report.tiers.flatMap(t => t.endpoints).some(e => 'colo' in e)).toBe(false)
    expect(core.outputs.colos).toBe('')
    expect(everything).not.toContain('Warmed in')
  })

  it('neither counts nor shows a hostile cf-ray: huge, markup, workflow commands, several values', async () => {
    const hostile: (string | string[])[] = [
      // Long, but within Node's 16 KiB of headers, so the answer still comes.
      `${'f'.repeat(8_000)}-SJC`,
      '<img src=x onerror=alert(1)>-SJC',
      '[pwned](https://evil.example)-IAD',
      '::warning::pwned-SJC',
      '##[error]pwned-SJC',
      '8f1c2a3b4d5e6f70-sjc',
      '8f1c2a3b4d5e6f70-SJCX',
      ['8f1c2a3b4d5e6f70-SJC', '9a2b3c4d5e6f7081-IAD']
    ]
    const endpoints = hostile.map((_, i) => `- /api/h${i}`).join('\n')
    const { report, everything } = await warm(
      {
        isolate: (_n, p) => {
          const i = Number(/\/api\/h(\d+)/.exec(p)?.[1] ?? '0')
          return { version: 'v2', ray: hostile[i]! }
        }
      },
      { endpoints }
    )
    expect(report.result).toBe('passed')
    expect(report).not.toHaveProperty('colos')
    expect(core.outputs.colos).toBe('')
    expect(everything).not.toContain('Warmed in')
    expect(everything).not.toMatch(/pwned|<img|f{100}/)
  })

  it('counts only the well-formed cf-ray when hostile ones come with it', async () => {
    const { report, summary } = await warm(
      {
        isolate: (_n, p) =>
          p === '/api/a' ? { version: 'v2', colo: 'LHR' } : { version: 'v2', ray: '<b>x</b>-IAD' }
      },
      { endpoints: ENDPOINTS, verify: 'false' }
    )
    expect(report.colos).toEqual([{ colo: 'LHR', answers: 1 }])
    expect(summary).toContain(`Warmed in LHR: ${COLD}`)
    expect(summary).not.toContain('<b>')
  })

  it('lists at most 50 colos and counts the rest', async () => {
    const code = (i: number): string =>
      `Q${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + (i % 26))}`
    const endpoints = Array.from({ length: 60 }, (_, i) => `- /api/p${i}`).join('\n')
    const { report, summary } = await warm(
      {
        isolate: (_n, p) => ({
          version: 'v2',
          colo: code(Number(/\/api\/p(\d+)/.exec(p)?.[1] ?? '0'))
        })
      },
      { endpoints, verify: 'false', concurrency: '16' }
    )
    expect(report.colos).toHaveLength(50)
    expect(report.colosMore).toEqual({ colos: 10, answers: 10 })
    expect(core.outputs.colos?.split(',')).toHaveLength(50)
    expect(summary).toContain('and 10 more colo(s) (10)')
  })
})

describe('expect-version', () => {
  const waitNew = {
    'wait-for': '/health',
    'wait-for-version': 'header:X-Worker-Version=v2',
    'poll-interval': '100ms'
  }

  it('fails an endpoint that 1 of N answers served from the old version (a gradual deployment), and the run is red', async () => {
    // The readiness path always answers v2; the 2nd warm request lands on a v1 isolate.
    let apiRequests = 0
    const { report, summary } = await warm(
      {
        isolate: (_n, p) => {
          if (p === '/health') return { version: 'v2', colo: 'SJC' }
          apiRequests++
          return { version: apiRequests === 2 ? 'v1' : 'v2', colo: 'SJC' }
        }
      },
      {
        ...waitNew,
        endpoints: ENDPOINTS,
        concurrency: '1',
        // The header name in another case than the server writes it.
        'expect-version': 'header:x-worker-VERSION=v2'
      }
    )
    const endpoints = report.tiers.flatMap(t => t.endpoints)
    const b = endpoints.find(e => e.path === '/api/b')!
    expect(b).toMatchObject({
      outcome: 'failed',
      cause: 'version-mismatch',
      version: 'v1',
      reason: 'answered from version v1, expected v2 (x-worker-VERSION)'
    })
    expect(endpoints.filter(e => e.outcome === 'passed').map(e => e.path)).toEqual([
      '/api/a',
      '/api/c'
    ])
    expect(endpoints.find(e => e.path === '/api/a')?.version).toBe('v2')
    expect(report.result).toBe('failed')
    expect(core.outputs.result).toBe('failed')
    expect(core.outputs.warmed).toBe('2')
    // fail-on critical: /api/b is critical, so the step fails.
    expect(core.failures).toHaveLength(1)
    expect(summary).toContain('answered from version v1, expected v2')
  })

  it('passes when every answer is the new version, the header matched in any case', async () => {
    const { report } = await warm(
      {},
      { endpoints: ENDPOINTS, 'expect-version': 'header:X-WORKER-VERSION=v2' }
    )
    expect(report.result).toBe('passed')
    expect(core.failures).toEqual([])
  })

  it('fails verify when a verify answer comes from the old version, though it is a cache HIT', async () => {
    let apiRequests = 0
    const { report } = await warm(
      {
        isolate: () => {
          apiRequests++
          // Three warm answers from v2, then the verify of the first from a v1 isolate.
          return { version: apiRequests === 4 ? 'v1' : 'v2', colo: 'SJC' }
        }
      },
      { endpoints: ENDPOINTS, concurrency: '1', 'expect-version': 'header:X-Worker-Version=v2' }
    )
    expect(report.tiers.flatMap(t => t.endpoints).every(e => e.outcome === 'passed')).toBe(true)
    const wrong = report.verify!.entries.filter(e => e.wrongVersion)
    expect(wrong).toHaveLength(1)
    expect(wrong[0]).toMatchObject({
      state: 'not cached',
      evidence: 'answered from version v1, expected v2 (X-Worker-Version)'
    })
    expect(report.verify!.passed).toBe(false)
    expect(report.verify!.problems[0]).toMatch(
      /^expect-version: 1 verify answer\(s\) came from another version/
    )
    expect(report.result).toBe('failed')
    expect(core.failures).toHaveLength(1)
  })

  it('keeps the key out of every text when the version an answer shows contains it', async () => {
    const { report, everything } = await warm(
      { isolate: () => ({ version: `old-${KEY}-build`, colo: 'SJC' }) },
      { endpoints: ENDPOINTS, 'expect-version': 'header:X-Worker-Version=v2' }
    )
    const b = report.tiers.flatMap(t => t.endpoints)[0]!
    expect(b.cause).toBe('version-mismatch')
    expect(b.version).toBe('old-***-build')
    expect(everything).not.toContain(KEY)
    expect(everything).not.toContain(encodeURIComponent(KEY).slice(0, 12))
  })

  it('reads the JSON form from the body and says which version it showed', async () => {
    const { report } = await warm(
      { isolate: (_n, p) => ({ version: p === '/api/c' ? '1.4.1' : '1.4.2', colo: 'SJC' }) },
      { endpoints: ENDPOINTS, verify: 'false', 'expect-version': 'version=1.4.2' }
    )
    const c = report.tiers.flatMap(t => t.endpoints).find(e => e.path === '/api/c')!
    expect(c).toMatchObject({
      outcome: 'failed',
      cause: 'version-mismatch',
      version: '1.4.1',
      reason: 'answered from version 1.4.1, expected 1.4.2 (version)'
    })
  })

  it('says the body did not contain the plain-text version', async () => {
    const { report } = await warm(
      {},
      { endpoints: '- /api/a', verify: 'false', 'expect-version': 'text:build-77' }
    )
    expect(report.tiers[0]!.endpoints[0]).toMatchObject({
      outcome: 'failed',
      cause: 'version-mismatch',
      reason: 'the body did not contain "build-77"'
    })
  })

  it('fails, saying so, when the version is past the body cap', async () => {
    const big = `${' '.repeat(MAX_BODY_BYTES + 1024)}{"version":"v2"} build-v2`
    const { report } = await warm(
      { isolate: () => ({ version: 'v2', colo: 'SJC', body: big }) },
      { endpoints: '- /api/a\n- /api/b', verify: 'false', 'expect-version': 'text:build-v2' }
    )
    expect(report.tiers[0]!.endpoints[0]).toMatchObject({
      outcome: 'failed',
      cause: 'version-mismatch',
      reason: 'the body is larger than the part read, and that part did not contain "build-v2"'
    })
    expect(report.result).toBe('failed')
  })

  it('fails the JSON form on a body over the cap instead of calling it not JSON', async () => {
    const big = `{"pad":"${'x'.repeat(MAX_BODY_BYTES)}","version":"v2"}`
    const { report } = await warm(
      { isolate: () => ({ version: 'v2', colo: 'SJC', body: big }) },
      { endpoints: '- /api/a', verify: 'false', 'expect-version': 'version=v2' }
    )
    expect(report.tiers[0]!.endpoints[0]).toMatchObject({
      outcome: 'failed',
      cause: 'version-mismatch',
      reason:
        'the body is larger than the part read, so its version field cannot be read (expected v2)'
    })
  })

  it('fails an answer with no version header at all', async () => {
    const { report } = await warm(
      {},
      { endpoints: '- /api/a', verify: 'false', 'expect-version': 'header:X-Deploy-Id=v2' }
    )
    expect(report.tiers[0]!.endpoints[0]).toMatchObject({
      outcome: 'failed',
      cause: 'version-mismatch',
      reason: 'the answer has no X-Deploy-Id header (expected v2)'
    })
  })

  it('suggests expect-version when version-override is set without it', async () => {
    await warm({}, { endpoints: '- /api/a', 'version-override': 'cache-warm-example="0193-abcd"' })
    expect(core.logs).toContainEqual(
      expect.stringMatching(/^notice: .*expect-version: header:X-Worker-Version=0193-abcd/)
    )
    await edge?.close()
    await warm(
      {},
      {
        endpoints: '- /api/a',
        'version-override': 'cache-warm-example="0193-abcd"',
        'expect-version': 'header:X-Worker-Version=v2'
      }
    )
    expect(core.logs.some(l => l.startsWith('notice:'))).toBe(false)
  })

  it('refuses a malformed expect-version in one line naming it, sending nothing', async () => {
    edge = await startEdge({ key: KEY })
    core.reset({
      url: edge.origin,
      'api-key': KEY,
      endpoints: '- /a',
      'expect-version': 'header:=v2'
    })
    await run({ env: { GITHUB_WORKSPACE: dir } })
    expect(core.failures).toEqual([
      'expect-version: "header:=v2" is not header:Name=value; accepted: path=value or json.path=value (a JSON field), header:Name=value, or plain text'
    ])
    expect(edge.requests).toHaveLength(0)
  })
})

describe('against the example Worker (workerd)', () => {
  it('warms it from colo LCL and proves every answer came from its version', async () => {
    const { startWorker } = await import('../scripts/worker.js')
    const worker = await startWorker({ vars: { API_KEY: KEY, VERSION: '1.2.3' } })
    try {
      const file = path.join(dir, 'worker.json')
      core.reset({
        url: worker.url,
        'api-key': KEY,
        'report-file': file,
        endpoints: 'critical:\n  - /api/v1/reports/pre-market\n  - /api/v1/symbols',
        'expect-version': 'header:X-Worker-Version=1.2.3'
      })
      await run({ env: { GITHUB_WORKSPACE: dir } })
      const report = JSON.parse(await readFile(file, 'utf8')) as Report
      expect(core.failures).toEqual([])
      expect(report.tiers[0]!.endpoints.map(e => [e.colo, e.version])).toEqual([
        ['LCL', '1.2.3'],
        ['LCL', '1.2.3']
      ])
      expect(report.colos).toEqual([{ colo: 'LCL', answers: 4 }])
      expect(core.outputs.colos).toBe('LCL')
      expect(core.summaries.join('\n')).toContain(`Warmed in LCL: ${COLD}`)
    } finally {
      await worker.close()
    }
  })
})
