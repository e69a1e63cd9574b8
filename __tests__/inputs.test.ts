import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { INPUT_NAMES } from '../src/config/settings.js'
import { rawSecrets, readInputs, settingsFromInputs } from '../src/inputs.js'

const KEY = 'ck_live_9fQz7TOPSECRETkey42'

describe('readInputs', () => {
  let saved: NodeJS.ProcessEnv

  beforeEach(() => {
    saved = { ...process.env }
    for (const name of Object.keys(process.env)) {
      if (name.startsWith('INPUT_')) delete process.env[name]
    }
  })

  afterEach(() => {
    for (const name of Object.keys(process.env)) {
      if (!(name in saved)) delete process.env[name]
    }
    Object.assign(process.env, saved)
  })

  it('reads every input the action declares from INPUT_* variables, as the runner sets them', () => {
    process.env.INPUT_URL = '  https://shop.example.com  '
    process.env['INPUT_API-KEY'] = ` ${KEY}\n`
    process.env['INPUT_FAIL-ON'] = 'any'
    process.env['INPUT_ENDPOINTS-FILE'] = 'warm.yml'
    const raw = readInputs()
    expect(Object.keys(raw).sort()).toEqual([...INPUT_NAMES].sort())
    expect(raw.url).toBe('https://shop.example.com')
    expect(raw['api-key']).toBe(KEY)
    expect(raw['fail-on']).toBe('any')
    expect(raw['endpoints-file']).toBe('warm.yml')
  })

  it('gives an empty string for inputs the workflow leaves out', () => {
    const raw = readInputs()
    expect(raw.url).toBe('')
    expect(raw.timeout).toBe('')
  })

  it('keeps headers exactly as written, so line numbers in messages match the workflow', () => {
    process.env.INPUT_HEADERS = '\nX-A: 1\n  X-B: 2\n'
    expect(readInputs().headers).toBe('\nX-A: 1\n  X-B: 2\n')
  })
})

describe('rawSecrets', () => {
  it('finds the key and every secret header value before anything is validated', () => {
    expect(
      rawSecrets({
        'api-key': `  ${KEY}  `,
        headers:
          'Authorization: Bearer abc\r\nX-Tenant:  acme  \nBad Name: still-secret\nBad Token Name: t0k9'
      })
    ).toEqual([KEY, 'Bearer abc', 't0k9'])
  })

  it('finds a key that the settings would reject', () => {
    expect(rawSecrets({ 'api-key': 'line-one\nline-two' })).toEqual(['line-one\nline-two'])
  })

  it('skips empty values and lines that are not "Name: value"', () => {
    expect(rawSecrets({ 'api-key': '  ', headers: 'X-Empty:\nno colon\n: orphan\n\n' })).toEqual([])
  })

  it('finds nothing when there is no key and no headers', () => {
    expect(rawSecrets({ url: 'https://shop.example.com' })).toEqual([])
  })
})

describe('settingsFromInputs', () => {
  let workspace = ''

  beforeAll(() => {
    workspace = mkdtempSync(path.join(tmpdir(), 'cache-warm-inputs-'))
    writeFileSync(path.join(workspace, 'warm.yml'), '- /from-file\n')
  })

  afterAll(() => {
    rmSync(workspace, { recursive: true, force: true })
  })

  const raw = { url: 'https://shop.example.com', 'endpoints-file': 'warm.yml' }

  it('reads endpoints-file from GITHUB_WORKSPACE and writes the report to RUNNER_TEMP', () => {
    const s = settingsFromInputs(raw, { GITHUB_WORKSPACE: workspace, RUNNER_TEMP: '/runner/tmp' })
    expect(s.warm.endpoints.map(e => e.url)).toEqual(['https://shop.example.com/from-file'])
    expect(s.run.reportFile).toBe(path.join('/runner/tmp', 'cache-warm-report.json'))
  })

  it('uses the current folder when GITHUB_WORKSPACE is not set (running locally)', () => {
    const cwd = process.cwd()
    process.chdir(workspace)
    try {
      expect(settingsFromInputs(raw, {}).warm.endpoints).toHaveLength(1)
    } finally {
      process.chdir(cwd)
    }
  })
})
