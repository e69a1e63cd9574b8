/**
 * `npm run docs`: renders README.md's usage block (every input and output) from action.yml, so
 * the README cannot drift from the action. `--check` changes nothing and exits 1 when the README
 * block is out of date (the test in __tests__/docs/readme.test.ts runs it).
 *
 * The README is passed through Prettier after the block is put in, so the block is written
 * exactly as `prettier --write` would leave it and the check stays stable.
 */
import { readFile, writeFile } from 'node:fs/promises'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import * as prettier from 'prettier'
import { parse } from 'yaml'

export const START = '<!-- usage:start -->'
export const END = '<!-- usage:end -->'
const USES = 'your-org/cache-warm-action@v1'
const WIDTH = 88

const ROOT = new URL('../', import.meta.url)
const ACTION_YML = fileURLToPath(new URL('action.yml', ROOT))
const README = fileURLToPath(new URL('README.md', ROOT))

/** Splits text into lines of at most `width` characters, breaking at spaces. */
function wrap(text, width) {
  const lines = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines
}

/** A YAML scalar for a comment: quoted when it is empty or would read ambiguously. */
function shown(value) {
  const text = String(value)
  return text === '' || /^[\s'"]|[\s]$|^(true|false)$|^\d+$/.test(text) ? `'${text}'` : text
}

function cell(text) {
  return String(text).replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim()
}

/** The usage block (without the markers) for the given action.yml text. */
export function renderUsage(actionYml) {
  const action = parse(actionYml)
  const inputs = Object.entries(action.inputs ?? {})
  const outputs = Object.entries(action.outputs ?? {})
  const yaml = [`- uses: ${USES}`, '  with:']
  inputs.forEach(([name, spec], i) => {
    if (i > 0) yaml.push('')
    for (const line of wrap(spec.description ?? '', WIDTH)) yaml.push(`    # ${line}`)
    if (spec.required) yaml.push('    # Required.')
    else {
      const lines = String(spec.default ?? '').split('\n')
      // No default is said by saying none, as actions/checkout's README does.
      if (lines.length === 1) {
        if (lines[0] !== '') yaml.push(`    # Default: ${shown(lines[0])}`)
      } else {
        yaml.push('    # Default:')
        for (const line of lines) yaml.push(`    #   ${line}`)
      }
    }
    yaml.push(`    ${name}: ''`)
  })
  const table = ['| Output | Description |', '| --- | --- |']
  for (const [name, spec] of outputs)
    table.push(`| \`${name}\` | ${cell(spec.description ?? '')} |`)
  return [
    '<!-- Generated from action.yml by `npm run docs`; edit action.yml, not this block. -->',
    '',
    '```yaml',
    ...yaml,
    '```',
    '',
    '### Outputs',
    '',
    ...table
  ].join('\n')
}

/** Text formatted as `prettier --write README.md` would leave it. */
async function formatted(text) {
  const config = (await prettier.resolveConfig(README)) ?? {}
  return prettier.format(text, { ...config, filepath: README })
}

/** The README with its usage block replaced, formatted as Prettier would leave it. */
export async function renderReadme(readme, actionYml) {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start < 0 || end < start) throw new Error(`README.md needs the markers ${START} and ${END}`)
  const text =
    readme.slice(0, start + START.length) + `\n\n${renderUsage(actionYml)}\n\n` + readme.slice(end)
  return formatted(text)
}

async function main(argv) {
  const check = argv.includes('--check')
  const [readme, actionYml] = await Promise.all([
    readFile(README, 'utf8'),
    readFile(ACTION_YML, 'utf8')
  ])
  const next = await renderReadme(readme, actionYml)
  // Formatting elsewhere in the README is `prettier --check`'s business, not this check's.
  if (next === (check ? await formatted(readme) : readme)) {
    console.log('README.md usage block is up to date with action.yml')
    return 0
  }
  if (check) {
    console.error(
      'README.md usage block is out of date with action.yml: run `npm run docs` and commit README.md'
    )
    return 1
  }
  await writeFile(README, next, 'utf8')
  console.log('README.md usage block written from action.yml')
  return 0
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2)).catch(error => {
    console.error(`readme-usage: ${error instanceof Error ? error.message : error}`)
    return 1
  })
}
