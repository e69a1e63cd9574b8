/**
 * The README's quick start, run as written against the reference example Worker
 * (examples/worker in workerd) by the built action (dist/index.js): with the changes the README
 * says to make for that Worker it passes, and as written (a production Worker's thresholds) it
 * fails on the sizes, so the sentence that says what to change stays true.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { startWorker, type RunningWorker } from '../../scripts/worker.js'
import { cleanUp, ensureBuilt, ROOT, runAction } from '../support/run-action.js'

const KEY = `cwk_${randomBytes(16).toString('hex')}`
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
const QUICK_START = README.slice(
  README.indexOf('## Quick start'),
  README.indexOf('### For contributors')
)

/** The `with:` of the quick start's warm step, every value a string as a runner passes it. */
function quickStartInputs(): Record<string, string> {
  const block = /```yaml\n([\s\S]*?)```/g
  for (const [, yamlText] of QUICK_START.matchAll(block)) {
    const steps = parse(yamlText!) as unknown
    if (!Array.isArray(steps)) continue
    const warm = (steps as { uses?: string; with?: Record<string, unknown> }[]).find(s =>
      s.uses?.includes('cache-warm-action')
    )
    if (warm?.with)
      return Object.fromEntries(Object.entries(warm.with).map(([k, v]) => [k, String(v)]))
  }
  throw new Error('no cache-warm-action step in the README quick start')
}

/** What the README says to change to run the quick start against the example Worker. */
function exampleWorkerChanges(): Record<string, string> {
  const sentence = QUICK_START.slice(QUICK_START.indexOf('These thresholds are'))
  const paragraph = sentence.slice(0, sentence.indexOf('\n\n'))
  const code = [...paragraph.matchAll(/`([^`]+)`/g)].map(m => m[1]!)
  const trigger = code.find(c => c.startsWith('warmup-trigger: '))
  const thresholds = code.filter(c => /^[\w.]+ >= /.test(c))
  if (!trigger || thresholds.length === 0) throw new Error(`unreadable: ${paragraph}`)
  return {
    'warmup-trigger': trigger.slice('warmup-trigger: '.length),
    thresholds: thresholds.join('\n')
  }
}

/** The vars examples/worker/wrangler.toml deploys with, and the key as its API_KEY secret. */
const WRANGLER_VARS = { API_KEY: KEY, VERSION: '1.0.0', WARMUP_ENABLED: 'true' }

afterEach(cleanUp)
beforeAll(ensureBuilt, 180_000)

describe('the README quick start against the example Worker', () => {
  let worker: RunningWorker | undefined
  beforeAll(async () => {
    worker = await startWorker({ vars: WRANGLER_VARS })
  })
  afterAll(async () => {
    await worker?.close()
  })
  const run = (inputs: Record<string, string>) =>
    runAction({
      ...inputs,
      url: worker!.url,
      'api-key': KEY,
      'check-name': '',
      'poll-interval': '250ms',
      'poll-timeout': '3s'
    })

  it('passes with the changes the README names, min-cached and thresholds included', async () => {
    const inputs = { ...quickStartInputs(), ...exampleWorkerChanges() }
    expect(inputs['min-cached']).toBe('80%')
    const result = await run(inputs)
    expect(result.stdout).not.toContain('::error')
    expect(result.outputs).toMatchObject({ result: 'passed', 'thresholds-met': 'true' })
    expect(result.report?.verify?.cached).toBe(result.report?.totals.total)
    expect(result.code).toBe(0)
  }, 60_000)

  it('as written, on a fresh Worker, fails on the production sizes and names them', async () => {
    await worker?.close()
    worker = await startWorker({ vars: WRANGLER_VARS })
    const result = await run(quickStartInputs())
    expect(result.outputs).toMatchObject({ result: 'failed', 'thresholds-met': 'false' })
    expect(result.summary).toContain('cacheStats.l1Size')
    expect(result.code).not.toBe(0)
  }, 60_000)
})
