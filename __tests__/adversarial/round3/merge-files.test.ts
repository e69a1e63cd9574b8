/**
 * Round 3: what a downloaded artifact folder can hold besides reports. The merge job's glob and
 * reader (findReports, readReports) against symlinks out of the workspace and into /proc, a
 * symlink loop, a folder named like a report, and one file matched by two patterns.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { MergeRefused } from '../../../src/errors.js'
import { findReports, shownPath } from '../../../src/merge/glob.js'
import { readReports } from '../../../src/merge/read.js'
import { reportJson } from '../../support/reports.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-r3-files-'))
  await mkdir(path.join(dir, 'reports/a'), { recursive: true })
  await writeFile(path.join(dir, 'reports/a/r.json'), reportJson({ label: 'a' }))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

async function merge(patterns: string[]): Promise<string[]> {
  const files = await findReports(patterns, dir)
  const read = await readReports(files, f => shownPath(f, dir))
  return read.map(r => shownPath(r.file, dir))
}

async function refusal(patterns: string[]): Promise<string> {
  const error = await merge(patterns).then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(MergeRefused)
  return (error as Error).message
}

describe('an artifact folder with more than reports in it', () => {
  it('refuses a symlink to a file outside the workspace, repeating none of it', async () => {
    await symlink('/etc/passwd', path.join(dir, 'reports/passwd.json'))
    const message = await refusal(['reports/**/*.json'])
    expect(message).toMatch(/^reports\/passwd\.json: is not valid JSON/)
    expect(message).not.toMatch(/root|bin|:x:/)
  })

  it('refuses a symlink into /proc (a file that says it is empty), repeating none of it', async () => {
    if (!existsSync('/proc/self/environ')) return
    await symlink('/proc/self/environ', path.join(dir, 'reports/env.json'))
    const message = await refusal(['reports/**/*.json'])
    expect(message).toBe('reports/env.json: changed while it was read; merge finished reports')
  })

  it('walks a symlink loop in bounded time and reads each report once', async () => {
    await symlink('..', path.join(dir, 'reports/a/loop'))
    const started = Date.now()
    const found = await merge(['reports/**/*.json']).catch((e: unknown) => String(e))
    expect(Date.now() - started).toBeLessThan(5000)
    expect(found).toEqual(['reports/a/r.json'])
  })

  it('reads a file two patterns match once, and skips a folder named like a report', async () => {
    await mkdir(path.join(dir, 'reports/x.json'))
    expect(await merge(['reports/**/*.json', 'reports/a/r.json', 'reports/*/r.json'])).toEqual([
      'reports/a/r.json'
    ])
  })
})
