/**
 * One table of defaults and limits (src/config/defaults.ts), and everything that states them
 * agrees with it: action.yml's `default:` and ranges, and the CLI's --help.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { main } from '../../src/cli.js'
import { INPUTS, type InputRow } from '../../src/config/defaults.js'
import { INPUT_NAMES } from '../../src/config/settings.js'

interface ActionYml {
  inputs: Record<string, { description?: string; default?: string }>
}
const action = parse(
  readFileSync(fileURLToPath(new URL('../../action.yml', import.meta.url)), 'utf8')
) as ActionYml

type Name = keyof typeof INPUTS
const names = Object.keys(INPUTS) as Name[]
const row = (name: Name): InputRow => INPUTS[name]

/** `--help` as the CLI prints it. */
async function helpText(): Promise<string> {
  let out = ''
  jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
    out += String(chunk)
    return true
  })
  expect(await main(['--help'])).toBe(0)
  return out
}

/** Every default --help states, by input: `default 8`, `(default true)`, `with --x (default y)`. */
function statedDefaults(help: string): Record<string, string> {
  const stated: Record<string, string> = {}
  for (const line of help.split('\n')) {
    const flag = /^ {2}--([a-z-]+)/.exec(line)?.[1]
    if (!flag) continue
    const re = /(?:--([a-z-]+) )?\(default:? ([^)]+)\)|\bdefault (\S+)\s*$/g
    for (const m of line.matchAll(re)) {
      const value = (m[2] ?? m[3])!
      stated[m[1] ?? flag] = value === 'no limit' ? '' : value
    }
  }
  return stated
}

afterEach(() => {
  jest.restoreAllMocks()
})

describe('the defaults table', () => {
  it('has one row for every input, in action.yml order', () => {
    expect(names).toEqual([...INPUT_NAMES])
    expect(names).toEqual(Object.keys(action.inputs))
  })

  it('gives every input the default action.yml declares', () => {
    const declared = Object.fromEntries(
      Object.entries(action.inputs).map(([name, input]) => [name, String(input.default ?? '')])
    )
    const table = Object.fromEntries(
      names.map(name => [name, row(name).actionDefault ?? row(name).default])
    )
    expect(table).toEqual(declared)
  })

  it('lets the runner, not the code, supply only expression defaults', () => {
    for (const name of names) {
      const shown = row(name).actionDefault
      if (shown !== undefined) expect(shown).toMatch(/^\$\{\{.*\}\}$/)
    }
  })

  it('has the ranges action.yml states, e.g. concurrency (1-256)', () => {
    const stated: Record<string, string> = {}
    const table: Record<string, string> = {}
    for (const name of names) {
      const range = /\((\d+)-(\d+)\)/.exec(action.inputs[name]?.description ?? '')
      if (!range) continue
      stated[name] = `${range[1]}-${range[2]}`
      table[name] = `${row(name).min}-${row(name).max}`
    }
    expect(Object.keys(stated)).toEqual(['sitemap-limit', 'concurrency', 'retries', 'stable-polls'])
    expect(table).toEqual(stated)
  })

  it('has the defaults the CLI help states', async () => {
    const stated = statedDefaults(await helpText())
    const inputs = Object.keys(stated).filter((n): n is Name => n in INPUTS)
    // The help states most defaults; a parse that found none would prove nothing.
    expect(inputs).toEqual(
      expect.arrayContaining(['concurrency', 'timeout', 'max-rps', 'hit-rate-field', 'verify'])
    )
    const table = Object.fromEntries(inputs.map(name => [name, row(name).default]))
    expect(Object.fromEntries(inputs.map(name => [name, stated[name]]))).toEqual(table)
  })
})
