/**
 * Class 4: the key never surfaces in any readable form. A hostile deployment hands the key back
 * in every form it can (raw JSON, JSON-escaped text, redirect Locations that the WHATWG parser
 * percent-encodes, headers, split across lines, cut off with "..."), from an endpoint, the
 * warm-up trigger, the metrics endpoint and the readiness check; no artifact (log, summary,
 * report, outputs, setFailed text, check-run bodies) may show it, whole, encoded or in part.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import fc from 'fast-check'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  ECHO_FORMS,
  echo,
  startGitHub,
  startHostileServer,
  type EchoForm,
  type GitHubStandIn,
  type HostileServer
} from '../support/hostile-server.js'
import {
  artifactTexts,
  describeLeaks,
  explain,
  findLeaks,
  readableForms,
  runMain,
  type Artifacts
} from '../support/adversarial.js'

jest.unstable_mockModule('@actions/core', () => import('../fixtures/core.js'))
const core = await import('../fixtures/core.js')
const { run } = await import('../../src/main.js')

let server: HostileServer
let elsewhere: HostileServer
let github: GitHubStandIn
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'adv-leaks-'))
  ;[server, elsewhere, github] = await Promise.all([
    startHostileServer(),
    startHostileServer(),
    startGitHub('answer')
  ])
})
afterAll(async () => {
  await Promise.all([server.close(), elsewhere.close(), github.close()])
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => {
  server.reset()
  elsewhere.reset()
})

type Where = 'endpoint' | 'trigger' | 'metrics' | 'wait'

const METRICS = { cacheStats: { l1Size: 5, overallHitRate: 0.9 } }

function scenario(key: string, form: EchoForm, where: Where): Record<string, string> {
  const reply = echo(form, { elsewhere: elsewhere.origin, extra: METRICS })
  const base: Record<string, string> = {
    url: server.origin,
    'api-key': key,
    timeout: '400ms',
    retries: '0',
    deadline: '4s',
    'github-token': 'ghs_adversarialTokenForTests000',
    'check-name': 'Cache warm'
  }
  switch (where) {
    case 'endpoint':
      server.set('/echo', reply)
      return {
        ...base,
        endpoints: 'critical:\n  - /echo\n  - /ok\nnormal:\n  - /ok-normal',
        expect: 'json: {success: true}'
      }
    case 'trigger':
      server.set('/warm-trigger', reply)
      return { ...base, endpoints: '- /ok', 'warmup-trigger': 'POST /warm-trigger' }
    case 'metrics':
      server.set('/metrics', reply)
      return {
        ...base,
        endpoints: '- /ok',
        'metrics-path': '/metrics',
        thresholds: 'cacheStats.l1Size >= 1',
        'poll-interval': '100ms',
        'poll-timeout': '300ms'
      }
    case 'wait':
      server.set('/ready', reply)
      return {
        ...base,
        endpoints: '- /ok',
        'wait-for': '/ready',
        'wait-for-version': 'version=9.9.9',
        'wait-timeout': '300ms',
        'poll-interval': '100ms'
      }
  }
}

const ENV = (): NodeJS.ProcessEnv => ({
  GITHUB_API_URL: github.url,
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_SHA: 'abc123def4567890abc123def4567890abc12345',
  GITHUB_RUN_ID: '1'
})

async function attack(key: string, form: EchoForm, where: Where): Promise<Artifacts> {
  const ghBefore = github.requests.length
  const a = await runMain(core, run, scenario(key, form, where), {
    dir,
    env: ENV(),
    github,
    limitMs: 8000
  })
  const problems: string[] = []
  const leaks = findLeaks(key, artifactTexts(a))
  if (leaks.length) problems.push(describeLeaks(leaks))
  // The key only ever goes to the deployment's own origin.
  const strays = elsewhere.withKey().length
  if (strays) problems.push(`  the other origin received the key header ${strays} time(s)`)
  for (const r of github.requests.slice(ghBefore)) {
    const wire = JSON.stringify(r.headers) + r.url
    if (readableForms(key).some(f => wire.includes(f.text)))
      problems.push(
        `  the GitHub API received the key in a header or the URL of ${r.method} ${r.path}`
      )
  }
  if (a.hung) problems.push('  run() did not finish within 8 s')
  if (problems.length)
    throw new Error(
      `${form} echoed from the ${where} (key of ${key.length} chars):\n${problems.join('\n')}\n${explain(a, key)}`
    )
  return a
}

// A latin1 key (`café`) is refused as bad input: servers read non-ASCII header bytes as latin1 or
// UTF-8, so its echo could come back in a form nobody can predict (see the class 8 suite).
const KEYS = {
  plain: 'sk_live_PLAINKEY_7f3a9c2e5b1d4a60',
  punctuated: 'sk_live_"{quo ted}"/a+b=c%25d\\e_7f3a9c'
}

describe('the key never surfaces: every echo form from an endpoint', () => {
  for (const [name, key] of Object.entries(KEYS))
    it.each(ECHO_FORMS.map(f => [f]))(`${name} key, %s`, async form => {
      const a = await attack(key, form, 'endpoint')
      // It was masked for the runner at once, and the action did send it to its origin.
      expect(core.secrets).toContain(key)
      // A 200 that only echoes in headers or data passes; every other form is a failed answer.
      if (form !== 'header' && form !== 'body-200') expect(a.outputs.result).toBe('failed')
    })
})

describe('the key never surfaces: from the trigger, the metrics and the readiness check', () => {
  const key = KEYS.punctuated
  for (const where of ['trigger', 'metrics', 'wait'] as const)
    it.each(ECHO_FORMS.map(f => [f]))(`${where}, %s`, async form => {
      await attack(key, form, where)
    })
})

describe('the key never surfaces: property', () => {
  const unit = fc.integer({ min: 0x20, max: 0x7e }).map(c => String.fromCharCode(c))
  const keyArb = fc
    .string({ unit, minLength: 16, maxLength: 40 })
    .filter(k => k.trim() === k && new Set(k).size >= 10)
  it('for any printable key and any echo form, no artifact shows it', async () => {
    await fc.assert(
      fc.asyncProperty(
        keyArb,
        fc.constantFrom(...ECHO_FORMS),
        fc.constantFrom('endpoint' as const, 'trigger' as const, 'metrics' as const),
        async (key, form, where) => {
          server.reset()
          elsewhere.reset()
          await attack(key, form, where)
        }
      ),
      { numRuns: 25, seed: 7, endOnFailure: true }
    )
  }, 45_000)
})
