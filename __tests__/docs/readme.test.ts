/**
 * Docs, action.yml and code cannot drift: the README usage block is generated from action.yml,
 * every input action.yml declares is one the code reads (with the same default), and every
 * output it declares is one the code sets. The README stays a front door (small, with the
 * quick starts, and a link to every page of the manual in docs/ and CONTRIBUTING.md), and no
 * relative link in the docs points at nothing.
 */
import { describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { PHASE_DEFAULTS } from '../../src/config/phases.js'
import { DEFAULTS, INPUT_NAMES } from '../../src/config/settings.js'
import { computeOutputs, failedBeforeStartOutputs } from '../../src/report/outputs.js'
import { aResult } from '../support/results.js'

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
const result = aResult()

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

const readme = readFileSync(`${ROOT}README.md`, 'utf8')
const docsPages = readdirSync(`${ROOT}docs`)
  .filter(name => name.endsWith('.md'))
  .sort()
  .map(name => `docs/${name}`)
/** Every Markdown page of the docs, by path from the repository root. */
const pages = ['README.md', 'CONTRIBUTING.md', ...docsPages]
const text = (page: string): string => readFileSync(`${ROOT}${page}`, 'utf8')

/** The text outside fenced code blocks: a link or heading in a code sample is not one. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
}

/** The targets of the inline links `[text](target)` of a Markdown text. */
function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map(
    m => m[1] ?? ''
  )
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** The anchors of a Markdown text's headings (a repeated heading gets -1, -2, ...). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const found = new Set<string>()
  for (const match of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(match[1] ?? '')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    found.add(n === 0 ? base : `${base}-${n}`)
  }
  return found
}

/** What is wrong with a relative link of `page` (from the repository root), or undefined. */
function brokenLink(page: string, target: string): string | undefined {
  const [file = '', anchor] = target.split('#', 2)
  const resolved =
    file === ''
      ? page
      : path.posix.normalize(path.posix.join(path.posix.dirname(page), decodeURI(file)))
  if (resolved.startsWith('../') || !existsSync(`${ROOT}${resolved}`))
    return `${page}: ${target} (no file ${resolved})`
  if (anchor === undefined || anchor === '') return undefined
  if (!resolved.endsWith('.md') || statSync(`${ROOT}${resolved}`).isDirectory()) return undefined
  if (!anchors(text(resolved)).has(anchor))
    return `${page}: ${target} (no heading #${anchor} in ${resolved})`
  return undefined
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target)

describe('README.md as the front door', () => {
  it('is at most 30 KB (the manual lives in docs/ and CONTRIBUTING.md)', () => {
    expect(Buffer.byteLength(readme, 'utf8')).toBeLessThanOrEqual(30_000)
  })

  it('links to every page of docs/ and to CONTRIBUTING.md', () => {
    const linked = new Set(links(readme).map(target => target.split('#')[0]))
    const missing = [...docsPages, 'CONTRIBUTING.md'].filter(page => !linked.has(page))
    expect(missing).toEqual([])
  })

  it('has the quick starts: the contributor commands and the secret the examples use', () => {
    expect(readme).toContain('npm ci && npm run demo')
    expect(readme).toContain('npm ci && npm test')
    expect(readme).toContain('api-key: ${{ secrets.WORKER_API_KEY }}')
    expect(readme).toContain('checks: write')
  })

  it('says to replace the placeholder owner with the repository that hosts the action', () => {
    expect(readme).toMatch(/replace `your-org\/cache-warm-action@v1`/i)
  })

  it('keeps the sections "The honest verdict" and "Security"', () => {
    expect(readme).toMatch(/^## The honest verdict$/m)
    expect(readme).toMatch(/^## Security$/m)
  })
})

describe('links in README.md, CONTRIBUTING.md and docs/*.md', () => {
  it('are checked: a missing file and a missing heading are both caught', () => {
    expect(brokenLink('docs/phases.md', 'no-such-page.md')).toContain(
      'no file docs/no-such-page.md'
    )
    expect(brokenLink('docs/phases.md', '../README.md#no-such-heading')).toContain('no heading')
    expect(brokenLink('docs/phases.md', '../README.md#security')).toBeUndefined()
    expect(slug('Manual warm (`workflow_dispatch`)')).toBe('manual-warm-workflow_dispatch')
  })

  it.each(pages)('in %s point at files (and headings) that exist', page => {
    const broken = links(text(page))
      .filter(target => !isExternal(target))
      .map(target => brokenLink(page, target))
      .filter(problem => problem !== undefined)
    expect(broken).toEqual([])
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
