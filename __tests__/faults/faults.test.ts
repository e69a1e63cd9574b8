/**
 * The worst deploy day: every fault the deployment can throw, one row each. For every row the run
 * ends within its budget (asserted and measured), the summary and the report name the fault on
 * the endpoint that met it, the other endpoints still complete, the step follows fail-on, and
 * the key appears nowhere, not even in part.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { closedPort } from '../support/server.js'
import {
  selfSignedCert,
  startFaultServer,
  type Fault,
  type FaultServer
} from '../support/fault-server.js'
import { recordFigures, type FaultFigure } from '../support/reliability.js'
import {
  artifactsContaining,
  cleanUp,
  ensureBuilt,
  runAction,
  type Report,
  withoutMasks
} from '../support/run-action.js'

jest.unstable_mockModule('@actions/core', () => import('../fixtures/core.js'))
const core = await import('../fixtures/core.js')
const { run } = await import('../../src/main.js')

const KEY = 'sk_live_FAULTKEY_7f3a9c2e5b1d4a60'
const FAULT = '/api/fault'
const TIMEOUT = '400ms'
const DEADLINE = '4s'
const SLACK_MS = 700

let server: FaultServer
let elsewhere: FaultServer
let dir: string
const figures: FaultFigure[] = []

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-faults-'))
  server = await startFaultServer({ key: KEY })
  elsewhere = await startFaultServer()
})
afterAll(async () => {
  await Promise.all([server.close(), elsewhere.close(), cleanUp()])
  await rm(dir, { recursive: true, force: true })
  recordFigures('faults', {
    section: 'Faults',
    note: `Each row: critical [/ok-critical, ${FAULT}] and normal [/ok-normal], expect json {success: true}, retries 1; budget = the bound the test asserts.`,
    rows: figures.map(f => ({ ...f }))
  })
})
beforeEach(() => {
  server.reset()
  elsewhere.reset()
  core.reset()
})

/** Every window of `size` characters of the key: a cut-off key is still a leak. */
function keyPieces(size = 10): string[] {
  return Array.from({ length: KEY.length - size + 1 }, (_, i) => KEY.slice(i, i + size))
}

interface Row {
  readonly name: string
  readonly fault?: Fault
  /** Inputs over the defaults below. */
  readonly inputs?: Record<string, string>
  /** `url` of the run, when not the fault server (a closed port, the TLS server). */
  readonly url?: () => string
  /** The cause the report must give the faulty endpoint. */
  readonly cause: string
  /** Words the reason (and so the summary) must contain. */
  readonly reason: RegExp
  /** The asserted bound on the run's wall time. */
  readonly budgetMs: number
  /** What happens to /ok-critical and /ok-normal. */
  readonly others?: 'passed' | 'failed' | 'skipped'
  /** For faults that are not on an endpoint: the phase that must fail and name it. */
  readonly phase?: 'metrics' | 'wait'
  readonly stoppedBy?: 'deadline'
  /** Extra checks on the run. */
  readonly check?: (report: Report, text: string) => void
}

const IN_A_DAY = (): string => new Date(Date.now() + 86_400_000).toUTCString()
const IN_A_SECOND = (): string => new Date(Date.now() + 1500).toUTCString()
let tlsOrigin = ''
let refusedPort = 0

const rows: Row[] = [
  {
    name: 'connection refused (a closed port)',
    url: () => `http://127.0.0.1:${refusedPort}`,
    cause: 'refused',
    reason: /connection refused .*after 2 attempts/,
    // Each tier in turn (critical, then normal): 2 attempts, one backoff of at most 500 ms.
    budgetMs: 2 * 500 + SLACK_MS,
    others: 'failed'
  },
  {
    name: 'reset mid-body',
    fault: { kind: 'reset-mid-body' },
    cause: 'reset',
    reason: /connection reset/,
    budgetMs: 500 + SLACK_MS
  },
  {
    name: 'body shorter than Content-Length, then close',
    fault: { kind: 'short-body' },
    cause: 'reset',
    reason: /closed before the body was complete|connection reset/,
    budgetMs: 500 + SLACK_MS
  },
  {
    name: 'answer never starts',
    fault: { kind: 'never-starts' },
    cause: 'timeout',
    reason: /timed out after 400ms, after 2 attempts/,
    budgetMs: 2 * 400 + 500 + SLACK_MS
  },
  {
    name: 'body trickles forever (slowloris)',
    fault: { kind: 'trickle', everyMs: 50 },
    cause: 'timeout',
    reason: /timed out after 400ms/,
    budgetMs: 2 * 400 + 500 + SLACK_MS
  },
  {
    name: 'slowloris past the deadline (timeout 30s, deadline 1.5s)',
    fault: { kind: 'trickle', everyMs: 50 },
    inputs: { timeout: '30s', deadline: '1500ms' },
    cause: 'deadline',
    reason: /the deadline passed before GET \/api\/fault was answered/,
    budgetMs: 1500 + SLACK_MS,
    others: 'skipped',
    stoppedBy: 'deadline'
  },
  {
    name: '429, Retry-After: 1 (seconds)',
    fault: { kind: '429', retryAfter: '1' },
    cause: 'http-429',
    reason: /rate limited\) after 2 attempts; Retry-After: 1/,
    budgetMs: 1000 + SLACK_MS,
    check: r => expect(endpoint(r, FAULT).attempts).toBe(2)
  },
  {
    name: '429, Retry-After as an HTTP date (1.5 s ahead)',
    fault: { kind: '429', retryAfter: IN_A_SECOND },
    cause: 'http-429',
    reason: /rate limited\) after 2 attempts; Retry-After: \w{3}, /,
    budgetMs: 1500 + SLACK_MS
  },
  {
    name: '429, Retry-After: 86400 (absurd): gives up at once',
    fault: { kind: '429', retryAfter: '86400' },
    cause: 'http-429',
    reason: /asked to wait 24h \(Retry-After\)/,
    budgetMs: SLACK_MS,
    check: r => expect(endpoint(r, FAULT).attempts).toBe(1)
  },
  {
    name: '429, Retry-After an HTTP date a day ahead',
    fault: { kind: '429', retryAfter: IN_A_DAY },
    cause: 'http-429',
    reason: /asked to wait 2[34]h\d*m? \(Retry-After\)/,
    budgetMs: SLACK_MS
  },
  {
    name: '503 storm',
    fault: { kind: '503' },
    cause: 'http-503',
    reason: /returned 503 Service Unavailable after 2 attempts \(server said: "overloaded"\)/,
    budgetMs: 500 + SLACK_MS
  },
  {
    name: '503 storm with Retry-After: 86400',
    fault: { kind: '503', retryAfter: '86400' },
    cause: 'http-503',
    reason: /asked to wait 24h/,
    budgetMs: SLACK_MS
  },
  {
    name: '200 with invalid JSON',
    fault: { kind: 'invalid-json' },
    cause: 'assertion',
    reason: /the answer is not JSON \(application\/json\)/,
    budgetMs: SLACK_MS
  },
  {
    name: '200 with truncated JSON',
    fault: { kind: 'truncated-json' },
    cause: 'assertion',
    reason: /the answer is not JSON/,
    budgetMs: SLACK_MS
  },
  {
    name: '20 MiB body',
    fault: { kind: 'huge-body', bytes: 20 * 1024 * 1024 },
    cause: 'assertion',
    reason: /larger than the 5 MiB read for checks/,
    budgetMs: 1500 + SLACK_MS,
    check: r => expect(endpoint(r, FAULT).bytes).toBe(20 * 1024 * 1024)
  },
  {
    name: 'gzip bomb (1 GiB of zeros, unasked Content-Encoding: gzip)',
    fault: { kind: 'gzip-bomb', inflatedBytes: 1024 * 1024 * 1024 },
    cause: 'assertion',
    reason: /gzip-encoded .*not inflated/,
    budgetMs: 1000 + SLACK_MS,
    // Read as sent (about 1 MiB), never inflated.
    check: r => expect(endpoint(r, FAULT).bytes).toBeLessThan(4 * 1024 * 1024)
  },
  {
    name: 'redirect loop',
    fault: { kind: 'redirect-loop' },
    cause: 'redirect-loop',
    reason: /more than 5 times; stopped \(a redirect loop\?\)/,
    budgetMs: SLACK_MS
  },
  {
    name: 'redirect to another origin',
    fault: { kind: 'redirect', location: () => `${elsewhere.origin}/steal` },
    cause: 'redirect-other-origin',
    reason: /leaves the deployment's origin \(key withheld\)/,
    budgetMs: SLACK_MS,
    check: () => expect(elsewhere.requests).toHaveLength(0)
  },
  {
    name: 'redirect to file:',
    fault: { kind: 'redirect', location: 'file:///etc/passwd' },
    cause: 'redirect-scheme',
    reason: /to a file:… URL; not followed/,
    budgetMs: SLACK_MS
  },
  {
    name: 'redirect to data:',
    fault: { kind: 'redirect', location: 'data:application/json,{"success":true}', status: 307 },
    cause: 'redirect-scheme',
    reason: /to a data:… URL; not followed/,
    budgetMs: SLACK_MS
  },
  {
    name: 'TLS: self-signed certificate',
    url: () => tlsOrigin,
    cause: 'tls',
    reason: /TLS handshake failed .*after 1 attempt\b/,
    budgetMs: SLACK_MS,
    others: 'failed'
  },
  {
    name: 'server echoes the key (body, X-Cache, Retry-After), 500',
    fault: { kind: 'echo-key', status: 500, pad: 96 },
    cause: 'http-500',
    reason: /returned 500/,
    budgetMs: 500 + SLACK_MS
  },
  {
    name: 'server echoes the key in a 401',
    fault: { kind: 'echo-key', status: 401, pad: 100 },
    cause: 'http-401',
    reason: /the key sent in header X-API-Key was refused/,
    budgetMs: SLACK_MS
  },
  {
    name: 'metrics disappear half way (404)',
    fault: { kind: 'metrics-vanish', good: 2, then: 'gone' },
    inputs: {
      'metrics-path': FAULT,
      thresholds: 'cacheStats.l1Size >= 1000',
      'poll-interval': '100ms',
      'poll-timeout': '1s'
    },
    phase: 'metrics',
    cause: 'metrics',
    reason: /stopped answering .*404/,
    budgetMs: 1000 + SLACK_MS,
    others: 'passed'
  },
  {
    name: 'metrics field disappears half way',
    fault: { kind: 'metrics-vanish', good: 2, then: 'field-missing' },
    inputs: {
      'metrics-path': FAULT,
      thresholds: 'cacheStats.l1Size >= 1000',
      'poll-interval': '100ms',
      'poll-timeout': '1s'
    },
    phase: 'metrics',
    cause: 'metrics',
    reason: /cacheStats\.l1Size .*(missing|no longer)/,
    budgetMs: 1000 + SLACK_MS,
    others: 'passed'
  },
  {
    name: 'readiness check never answers',
    fault: { kind: 'never-starts' },
    inputs: { 'wait-for': FAULT, 'wait-timeout': '1s', 'poll-interval': '200ms' },
    phase: 'wait',
    cause: 'not-ready',
    reason: /not ready after 1(\.\d)?s: last answer timed out/,
    budgetMs: 1000 + 400 + SLACK_MS,
    others: 'skipped'
  }
]

function endpoint(report: Report, p: string): Report['tiers'][number]['endpoints'][number] {
  const found = report.tiers.flatMap(t => t.endpoints).find(e => e.path === p)
  if (!found) throw new Error(`no ${p} in the report`)
  return found
}

const FAIL_ON = ['critical', 'any', 'never'] as const

describe('faults, in process (main)', () => {
  beforeAll(async () => {
    refusedPort = await closedPort()
  })

  it.each(rows.map((row, i) => [row.name, row, FAIL_ON[i % 3]!] as const))(
    '%s',
    async (_name, row, failOn) => {
      let tls: FaultServer | undefined
      if (row.name.startsWith('TLS')) {
        const cert = selfSignedCert(['localhost'])
        if (!cert) {
          console.warn('openssl is not installed: the TLS fault is not tested')
          return
        }
        tls = await startFaultServer({ key: KEY, tls: cert })
        tlsOrigin = tls.origin
      }
      try {
        if (row.fault) server.set(FAULT, row.fault)
        const reportFile = path.join(dir, `${row.name.replace(/\W+/g, '-')}.json`)
        const onEndpoint = !row.phase
        const endpoints = onEndpoint
          ? `critical:\n  - /ok-critical\n  - ${FAULT}\nnormal:\n  - /ok-normal`
          : 'critical:\n  - /ok-critical\nnormal:\n  - /ok-normal'
        core.reset({
          url: row.url?.() ?? server.origin,
          'api-key': KEY,
          endpoints,
          expect: 'json: {success: true}',
          timeout: TIMEOUT,
          retries: '1',
          deadline: DEADLINE,
          'fail-on': failOn,
          'report-file': reportFile,
          ...row.inputs
        })

        const t0 = performance.now()
        await run({ env: { GITHUB_WORKSPACE: dir } })
        const took = Math.round(performance.now() - t0)

        const reportText = await readFile(reportFile, 'utf8')
        const report = JSON.parse(reportText) as Report & { stoppedBy?: string }
        const summary = core.summaries.join('\n')
        const deadlineMs = row.inputs?.deadline === '1500ms' ? 1500 : 4000
        figures.push({
          fault: row.name,
          via: 'in-process',
          timeout: row.inputs?.timeout ?? TIMEOUT,
          deadline: row.inputs?.deadline ?? DEADLINE,
          failOn,
          budgetMs: row.budgetMs,
          tookMs: took,
          overrunMs: Math.max(0, took - deadlineMs),
          cause: row.cause,
          step: core.failures.length > 0 ? 'failed' : 'green'
        })

        // Within its budget.
        expect(took).toBeLessThanOrEqual(row.budgetMs)
        // The verdict is honest, and the step follows fail-on.
        expect(report.result).toBe('failed')
        expect(core.outputs.result).toBe('failed')
        expect(core.failures).toHaveLength(failOn === 'never' ? 0 : 1)
        if (row.stoppedBy) expect(report.stoppedBy).toBe(row.stoppedBy)
        // The fault is named, on the endpoint (or the phase) that met it, in report and summary.
        if (onEndpoint) {
          const e = endpoint(report, FAULT)
          expect(e.outcome).toBe('failed')
          expect(e.cause).toBe(row.cause)
          expect(e.reason).toMatch(row.reason)
          expect(summary).toContain(e.reason!.replace(/\|/g, '\\|'))
        } else {
          const phase = report.phases?.find(p => p.name === row.phase)
          expect(phase?.status).toBe('failed')
          expect(phase?.detail).toMatch(row.reason)
          expect(summary).toMatch(row.reason)
          if (row.phase === 'wait')
            for (const e of report.tiers.flatMap(t => t.endpoints)) expect(e.cause).toBe(row.cause)
        }
        // The other endpoints still complete.
        const others = row.others ?? 'passed'
        expect(endpoint(report, '/ok-critical').outcome).toBe(
          others === 'skipped' && row.phase !== 'wait' ? 'passed' : others
        )
        expect(endpoint(report, '/ok-normal').outcome).toBe(others)
        row.check?.(report, summary)
        // No key anywhere, whole or in part.
        const everything = JSON.stringify([core.logs, core.outputs, summary, core.failures])
        expect(core.secrets).toContain(KEY)
        for (const piece of keyPieces()) {
          expect(everything).not.toContain(piece)
          expect(reportText).not.toContain(piece)
        }
      } finally {
        await tls?.close()
      }
    }
  )
})

describe('faults, through dist/index.js as a runner runs it', () => {
  beforeAll(() => ensureBuilt())

  const distRows: {
    name: string
    fault: Fault
    cause: string
    budgetMs: number
    check?: (r: Report) => void
  }[] = [
    {
      name: 'answer never starts',
      fault: { kind: 'never-starts' },
      cause: 'timeout',
      budgetMs: 2 * 400 + 500
    },
    {
      name: 'gzip bomb (1 GiB of zeros)',
      fault: { kind: 'gzip-bomb', inflatedBytes: 1024 * 1024 * 1024 },
      cause: 'assertion',
      budgetMs: 1000
    },
    {
      name: '429, Retry-After: 86400',
      fault: { kind: '429', retryAfter: '86400' },
      cause: 'http-429',
      budgetMs: 0
    },
    {
      name: 'redirect to another origin',
      fault: { kind: 'redirect', location: 'http://127.0.0.1:9/steal' },
      cause: 'redirect-other-origin',
      budgetMs: 0
    },
    {
      name: 'server echoes the key, 500',
      fault: { kind: 'echo-key', status: 500, pad: 96 },
      cause: 'http-500',
      budgetMs: 500
    }
  ]

  it.each(distRows.map(r => [r.name, r] as const))('%s', async (_name, row) => {
    server.set(FAULT, row.fault)
    const run = await runAction({
      url: server.origin,
      'api-key': KEY,
      endpoints: `critical:\n  - /ok-critical\n  - ${FAULT}\nnormal:\n  - /ok-normal`,
      expect: 'json: {success: true}',
      timeout: TIMEOUT,
      retries: '1',
      deadline: DEADLINE
    })
    // Node's start-up and the build's load are part of a real run: 1 s for them.
    const budget = row.budgetMs + 1000 + SLACK_MS
    figures.push({
      fault: row.name,
      via: 'dist',
      timeout: TIMEOUT,
      deadline: DEADLINE,
      failOn: 'critical',
      budgetMs: budget,
      tookMs: run.ms,
      overrunMs: Math.max(0, run.ms - 4000),
      cause: row.cause,
      step: run.code === 0 ? 'green' : 'failed'
    })
    expect(run.ms).toBeLessThanOrEqual(budget)
    expect(run.code).toBe(1)
    expect(run.outputs.result).toBe('failed')
    const e = endpoint(run.report!, FAULT)
    expect(e.cause).toBe(row.cause)
    expect(run.summary).toContain(e.reason!.replace(/\|/g, '\\|'))
    expect(endpoint(run.report!, '/ok-critical').outcome).toBe('passed')
    expect(endpoint(run.report!, '/ok-normal').outcome).toBe('passed')
    expect(artifactsContaining(run, KEY)).toEqual([])
    for (const piece of keyPieces()) {
      const shown = [withoutMasks(run.stdout), run.stderr, run.summary]
      for (const text of [...shown, run.outputFile, run.reportFile])
        expect(text).not.toContain(piece)
    }
  })
})
