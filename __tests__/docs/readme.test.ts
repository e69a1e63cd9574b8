/**
 * Docs, action.yml and code cannot drift: the README usage block is generated from action.yml,
 * every input action.yml declares is one the code reads (with the same default), and every
 * output it declares is one the code sets.
 */
import { describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { PHASE_DEFAULTS } from '../../src/config/phases.js'
import { DEFAULTS, INPUT_NAMES } from '../../src/config/settings.js'
import type { FullResult } from '../../src/result.js'
import { computeOutputs, failedBeforeStartOutputs } from '../../src/report/outputs.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

interface ActionYml {
  inputs: Record<string, { description?: string; required?: boolean; default?: string }>
  outputs: Record<string, { description?: string }>
}
const action = parse(readFileSync(`${ROOT}action.yml`, 'utf8')) as ActionYml
const inputs = Object.keys(action.inputs)
const outputs = Object.keys(action.outputs)

const sorted = (names: Iterable<string>): string[] => [...names].sort()

/** The smallest result a finished run can have; computeOutputs sets every output from it. */
const result: FullResult = {
  schemaVersion: 1,
  tool: { name: 'cache-warm-action', version: '0.0.0' },
  target: 'https://example.com/',
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1,
  dryRun: false,
  result: 'passed',
  stepFailed: false,
  failOn: 'critical',
  settings: {
    concurrency: 8,
    timeoutMs: 10_000,
    retries: 2,
    deadlineMs: 600_000,
    apiKeyHeader: 'X-API-Key',
    apiKeySent: false
  },
  tiers: [],
  totals: { total: 0, passed: 0, failed: 0, skipped: 0 },
  latency: {},
  warnings: []
}

describe('README.md', () => {
  it('has a usage block that matches action.yml (run `npm run docs` when it does not)', async () => {
    const run = await new Promise<{ code: number; output: string }>(resolve =>
      execFile(
        process.execPath,
        ['scripts/readme-usage.js', '--check'],
        { cwd: ROOT },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` })
      )
    )
    expect(run.output).toContain('up to date')
    expect(run.code).toBe(0)
  })

  it('documents every input and output of action.yml', () => {
    const readme = readFileSync(`${ROOT}README.md`, 'utf8')
    const block = readme.slice(
      readme.indexOf('<!-- usage:start -->'),
      readme.indexOf('<!-- usage:end -->')
    )
    for (const name of inputs) expect(block).toContain(`    ${name}: ''`)
    for (const name of outputs) expect(block).toContain(`| \`${name}\``)
  })
})

describe('action.yml', () => {
  it('declares exactly the inputs the code reads (INPUT_NAMES)', () => {
    expect(sorted(inputs)).toEqual(sorted(INPUT_NAMES))
  })

  it('gives each input the default the code applies when it is empty', () => {
    const code: Record<string, string> = { ...DEFAULTS, ...PHASE_DEFAULTS }
    // A default that is an expression (github-token: ${{ github.token }}) is supplied by the runner.
    const runnerSupplied = (v: string): boolean => v.startsWith('${{')
    const declared = Object.fromEntries(
      inputs.map(name => {
        const v = String(action.inputs[name]?.default ?? '')
        return [name, runnerSupplied(v) ? '' : v]
      })
    )
    const applied = Object.fromEntries(inputs.map(name => [name, code[name] ?? '']))
    expect(declared).toEqual(applied)
  })

  it('describes every input and output', () => {
    for (const name of inputs) expect(action.inputs[name]?.description?.trim()).toBeTruthy()
    for (const name of outputs) expect(action.outputs[name]?.description?.trim()).toBeTruthy()
  })

  it('declares exactly the outputs the code sets (computeOutputs)', () => {
    expect(sorted(outputs)).toEqual(sorted(Object.keys(computeOutputs(result, '/tmp/r.json'))))
  })

  it('declares the same outputs for a run that never started (bad input)', () => {
    expect(sorted(outputs)).toEqual(sorted(Object.keys(failedBeforeStartOutputs(''))))
  })
})
