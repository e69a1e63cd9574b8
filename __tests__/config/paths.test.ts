/**
 * Files named by inputs stay in the workspace (or RUNNER_TEMP for an absolute path): an attacker
 * who controls `endpoints-file`, `sitemap` or `report-file` must not read a file outside it and
 * see its content in the error, nor write the report over one, not even through a symlink.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { containedPath } from '../../src/config/paths.js'
import { parseSettings, type RawInputs } from '../../src/config/settings.js'
import { InputError } from '../../src/errors.js'

/** What the file outside the workspace says; no message may ever show it. */
const OUTSIDE_TEXT = 'OUTSIDE_hostname_7c1e9a'

let root = ''
let workspace = ''
let outside = ''
let runnerTemp = ''

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'cache-warm-paths-'))
  workspace = path.join(root, 'work', 'repo')
  outside = path.join(root, 'etc')
  runnerTemp = path.join(root, 'runner-temp')
  mkdirSync(workspace, { recursive: true })
  mkdirSync(outside)
  mkdirSync(runnerTemp)
  // A scalar document: read as YAML it is a string, which used to be echoed in the error.
  writeFileSync(path.join(outside, 'hostname'), `${OUTSIDE_TEXT}\n`)
  writeFileSync(
    path.join(outside, 'sitemap.xml'),
    `<urlset><url><loc>${OUTSIDE_TEXT}</loc></url></urlset>`
  )
  writeFileSync(path.join(workspace, 'warm.yml'), '- /a\n')
  writeFileSync(path.join(workspace, 'sitemap.xml'), '<urlset/>')
  writeFileSync(path.join(runnerTemp, 'warm.yml'), '- /from-temp\n')
  symlinkSync(path.join(outside, 'hostname'), path.join(workspace, 'hostname.yml'))
  symlinkSync(outside, path.join(workspace, 'linked-dir'))
  symlinkSync(path.join(outside, 'not-there-yet.json'), path.join(workspace, 'dangling.json'))
  symlinkSync(path.join(workspace, 'warm.yml'), path.join(workspace, 'alias.yml'))
})

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

function parse(raw: RawInputs, withRunnerTemp = true) {
  return parseSettings(
    { url: 'https://shop.example.com', endpoints: '- /x', ...raw },
    { workspace, ...(withRunnerTemp ? { runnerTemp } : {}) }
  )
}

function refusal(raw: RawInputs, withRunnerTemp = true): InputError {
  try {
    parse(raw, withRunnerTemp)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    const message = (error as InputError).message
    expect(message).not.toContain(OUTSIDE_TEXT)
    expect(message).not.toMatch(/[\r\n]/)
    return error as InputError
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be refused`)
}

describe('endpoints-file outside the workspace', () => {
  it('refuses ../ out of the workspace without reading the file', () => {
    const error = refusal({ 'endpoints-file': '../../etc/hostname' })
    expect(error.message).toBe(
      `endpoints-file: "../../etc/hostname" is outside the workspace; accepted: a path inside the workspace (${workspace})`
    )
  })

  it('refuses a deeper ../../../ escape too', () => {
    expect(refusal({ 'endpoints-file': '../../../../../../../../etc/hostname' }).input).toBe(
      'endpoints-file'
    )
  })

  it('refuses an absolute path outside the workspace and RUNNER_TEMP', () => {
    expect(refusal({ 'endpoints-file': path.join(outside, 'hostname') }).message).toBe(
      `endpoints-file: "${path.join(outside, 'hostname')}" is outside the workspace and RUNNER_TEMP; accepted: a path inside the workspace (${workspace}) or RUNNER_TEMP (${runnerTemp})`
    )
  })

  it('refuses a symlink in the workspace that points out of it', () => {
    expect(refusal({ 'endpoints-file': 'hostname.yml' }).message).toMatch(
      /^endpoints-file: "hostname\.yml" leads outside the workspace through a symbolic link; accepted: /
    )
  })

  it('refuses a file under a symlinked folder that points out of the workspace', () => {
    expect(refusal({ 'endpoints-file': 'linked-dir/hostname' }).message).toMatch(
      /leads outside the workspace through a symbolic link/
    )
  })

  it('still reads a file in the workspace, a symlink that stays inside, and RUNNER_TEMP', () => {
    expect(parse({ endpoints: '', 'endpoints-file': 'warm.yml' }).warm.endpoints[0]?.path).toBe(
      '/a'
    )
    expect(parse({ endpoints: '', 'endpoints-file': 'alias.yml' }).warm.endpoints[0]?.path).toBe(
      '/a'
    )
    expect(
      parse({ endpoints: '', 'endpoints-file': path.join(workspace, 'warm.yml') }).warm.endpoints
    ).toHaveLength(1)
    expect(
      parse({ endpoints: '', 'endpoints-file': path.join(runnerTemp, 'warm.yml') }).warm
        .endpoints[0]?.path
    ).toBe('/from-temp')
  })

  it('does not allow RUNNER_TEMP through a relative path', () => {
    expect(refusal({ 'endpoints-file': '../../runner-temp/warm.yml' }).message).toMatch(
      /is outside the workspace; /
    )
  })

  it('never shows the content of a scalar file it did read, only its size', () => {
    writeFileSync(path.join(workspace, 'token.txt'), 'sk_live_IN_WORKSPACE_91f3\n')
    const error = refusal({ endpoints: '', 'endpoints-file': 'token.txt' })
    expect(error.message).toBe(
      'endpoints-file: expected a list of endpoints or a mapping of critical/high/normal/low to lists, got a string (25 characters)'
    )
  })
})

describe('sitemap given as a workspace file', () => {
  it.each(['../../etc/sitemap.xml', `file:../../etc/sitemap.xml`, 'linked-dir/sitemap.xml'])(
    'refuses %s, outside the workspace',
    sitemap => {
      expect(refusal({ sitemap }).input).toBe('sitemap')
    }
  )

  it('refuses an absolute file: path outside the workspace and RUNNER_TEMP', () => {
    expect(refusal({ sitemap: `file:${path.join(outside, 'sitemap.xml')}` }).message).toMatch(
      /^sitemap: ".*sitemap\.xml" is outside the workspace and RUNNER_TEMP; /
    )
  })

  it('still reads one in the workspace', () => {
    expect(parse({ sitemap: 'sitemap.xml' }).sitemap?.source.kind).toBe('file')
  })
})

describe('report-file', () => {
  it('refuses ../ out of the workspace, which it would write over', () => {
    expect(refusal({ 'report-file': '../../etc/cron-job' }).message).toMatch(
      /^report-file: "\.\.\/\.\.\/etc\/cron-job" is outside the workspace; /
    )
  })

  it('refuses a symlink that points out, even one that points at nothing yet', () => {
    expect(refusal({ 'report-file': 'linked-dir/report.json' }).message).toMatch(
      /leads outside the workspace through a symbolic link/
    )
    expect(refusal({ 'report-file': 'dangling.json' }).message).toMatch(
      /^report-file: "dangling\.json" goes through a symbolic link that leads nowhere or loops; /
    )
  })

  it('refuses an absolute path outside the workspace and RUNNER_TEMP', () => {
    expect(refusal({ 'report-file': path.join(outside, 'report.json') }).message).toMatch(
      /is outside the workspace and RUNNER_TEMP; accepted: /
    )
  })

  it('accepts a new file in a new folder of the workspace, and RUNNER_TEMP', () => {
    expect(parse({ 'report-file': 'out/deep/warm.json' }).run.reportFile).toBe(
      path.join(workspace, 'out', 'deep', 'warm.json')
    )
    expect(parse({ 'report-file': path.join(runnerTemp, 'r.json') }).run.reportFile).toBe(
      path.join(runnerTemp, 'r.json')
    )
  })

  it('accepts the temp folder when RUNNER_TEMP is not set (running locally), and only then', () => {
    const inTmp = path.join(tmpdir(), 'cache-warm-report-local.json')
    expect(parse({ 'report-file': inTmp }, false).run.reportFile).toBe(inTmp)
    expect(refusal({ 'report-file': inTmp }).input).toBe('report-file')
    expect(refusal({ 'report-file': '/etc/cache-warm.json' }, false).message).toMatch(
      /is outside the workspace and the temp folder; /
    )
  })
})

describe('containedPath', () => {
  it('treats a sibling folder that shares the prefix as outside (repo vs repo-evil)', () => {
    mkdirSync(path.join(root, 'work', 'repo-evil'), { recursive: true })
    expect(() => containedPath('endpoints-file', '../repo-evil/x.yml', { workspace })).toThrow(
      /is outside the workspace/
    )
  })

  it('accepts the workspace itself and a name starting with two dots', () => {
    expect(containedPath('report-file', '..report.json', { workspace })).toBe(
      path.join(workspace, '..report.json')
    )
    expect(containedPath('endpoints-file', '.', { workspace })).toBe(workspace)
  })
})
