/**
 * Every workflow in .github/workflows/ and every whole workflow in the docs (README.md,
 * CONTRIBUTING.md, docs/*.md) is valid: actionlint finds nothing, the action is given only inputs
 * action.yml declares, and each copy of an example in the docs is the example file it shows, as a
 * user copies it (`uses: your-org/cache-warm-action@v1` for `uses: ./`, and the trigger the file's
 * top comment gives for this repository's safe one). docs/workflows.md shows every example;
 * README.md shows the deploy one.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import type { ActionlintFinding, ActionlintOutput } from '../scripts/actionlint.js'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const WORKFLOWS = '.github/workflows/'
const PUBLISHED = 'your-org/cache-warm-action@v1'

const read = (path: string): string => readFileSync(`${ROOT}${path}`, 'utf8')

const workflowFiles = readdirSync(`${ROOT}${WORKFLOWS}`)
  .filter(name => /\.ya?ml$/.test(name))
  .sort()
  .map(name => ({ path: `${WORKFLOWS}${name}`, text: read(`${WORKFLOWS}${name}`) }))
const examples = workflowFiles.filter(f => f.path.startsWith(`${WORKFLOWS}example-`))

/** Every Markdown page a user or contributor reads: README.md, CONTRIBUTING.md and docs/*.md. */
const DOCS = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(`${ROOT}docs`)
    .filter(name => name.endsWith('.md'))
    .sort()
    .map(name => `docs/${name}`)
]

interface Block {
  /** FILE.md:LINE of the opening fence, for messages. */
  readonly where: string
  readonly text: string
}

/** The ```yaml blocks of a Markdown text, with the line each starts on. */
function yamlBlocks(markdown: string, name: string): Block[] {
  const blocks: Block[] = []
  const fence = /^```ya?ml[^\n]*\n([\s\S]*?)^```$/gm
  for (const match of markdown.matchAll(fence)) {
    const line = markdown.slice(0, match.index).split('\n').length
    blocks.push({ where: `${name}:${line}`, text: match[1] ?? '' })
  }
  return blocks
}

type Doc = Record<string, unknown>

/** The YAML of a docs block; a block that does not parse is reported by its own test. */
function parseDoc(text: string): unknown {
  try {
    return parse(text)
  } catch {
    return undefined
  }
}
const isMapping = (value: unknown): value is Doc =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** A whole workflow, not a step or a fragment: it has `on:` and `jobs:` at the top. */
function isWorkflow(text: string): boolean {
  const doc = parseDoc(text)
  return isMapping(doc) && 'on' in doc && 'jobs' in doc
}

const docBlocks = DOCS.flatMap(path => yamlBlocks(read(path), path))
const docWorkflows = docBlocks.filter(b => isWorkflow(b.text))
const workflowsIn = (path: string): Block[] =>
  docWorkflows.filter(b => b.where.startsWith(`${path}:`))

/** Every `uses:` of this action (`./` here, the published name in the docs) with its `with`. */
function actionUses(node: unknown, found: Doc[] = []): Doc[] {
  if (Array.isArray(node)) node.forEach(item => actionUses(item, found))
  else if (isMapping(node)) {
    if (node.uses === './' || node.uses === PUBLISHED) found.push(node)
    Object.values(node).forEach(value => actionUses(value, found))
  }
  return found
}

const actionInputs = Object.keys(
  (parse(read('action.yml')) as { inputs: Record<string, unknown> }).inputs
)

/** The inputs a `uses:` of the action passes that action.yml does not declare. */
function unknownInputs(doc: unknown): string[] {
  return actionUses(doc).flatMap(step => {
    const given = isMapping(step.with) ? Object.keys(step.with) : []
    return given.filter(name => !actionInputs.includes(name)).map(name => `${step.uses}: ${name}`)
  })
}

/**
 * The trigger a user puts in their repository, from the file's top comment ("# on:" and the
 * commented lines under it); the file's own `on:` when the comment gives none.
 */
function userTrigger(text: string, doc: Doc): unknown {
  const lines = text.split('\n')
  const start = lines.findIndex(line => line === '# on:')
  if (start < 0) return doc.on
  const block: string[] = []
  for (const line of lines.slice(start)) {
    if (!/^# {0,}\S/.test(line) || (block.length > 0 && !line.startsWith('#   '))) break
    block.push(line.slice(2))
  }
  return (parse(block.join('\n')) as Doc).on
}

/** The example file as a user copies it: the published action, and the user's trigger. */
function asCopied(text: string): Doc {
  const doc = parse(text.replace(/^(\s*(?:- )?uses: )\.\/\s*$/gm, `$1${PUBLISHED}`)) as Doc
  return { ...doc, on: userTrigger(text, doc) }
}

/**
 * What actionlint 1.7 (scripts/actionlint.js, in a process of its own) found in each text, by
 * path, and the actionlint version it ran.
 */
async function actionlint(
  files: { path: string; text: string }[]
): Promise<{ version: string; findings: Map<string, ActionlintFinding[]> }> {
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--liftoff-only', `${ROOT}scripts/actionlint.js`],
      { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
      (error, out, err) =>
        error ? reject(new Error(`actionlint: ${err || error.message}`)) : resolve(out)
    )
    child.stdin?.end(JSON.stringify(files))
  })
  const output = JSON.parse(stdout) as ActionlintOutput
  return {
    version: output.version,
    findings: new Map(output.results.map(r => [r.path, r.findings]))
  }
}

/** A workflow actionlint 1.6 rejected twice: the ubuntu-24.04 label and the `vars` context. */
const CURRENT = [
  'on: push',
  'jobs:',
  '  warm:',
  '    runs-on: ubuntu-24.04',
  '    steps:',
  '      - run: echo "${{ vars.WORKER_URL }}"'
].join('\n')
/** The same with a label and a context that do not exist. */
const UNKNOWN = CURRENT.replace('ubuntu-24.04', 'ubuntu-99.04').replace('vars.', 'varz.')
/** A workflow with three expression mistakes. */
const BROKEN = [
  'on: push',
  'jobs:',
  '  warm:',
  '    runs-on: ubuntu-latest',
  '    steps:',
  '      - run: echo "${{ steps.warm.outputs.result }}"',
  '      - if: github.event.deployment_status.state == success',
  '        run: echo ${{ github.no_such_field }}'
].join('\n')

let linted: Awaited<ReturnType<typeof actionlint>>
beforeAll(async () => {
  linted = await actionlint([
    ...workflowFiles,
    ...docWorkflows.map(b => ({ path: `${b.where}.yml`, text: b.text })),
    { path: 'current.yml', text: CURRENT },
    { path: 'unknown.yml', text: UNKNOWN },
    { path: 'broken.yml', text: BROKEN }
  ])
})
/** What actionlint found in `path`, one `path:line:column message [kind]` a finding. */
const findings = (path: string): string[] | undefined =>
  linted.findings.get(path)?.map(f => `${path}:${f.line}:${f.column} ${f.message} [${f.kind}]`)
/** `[line, kind]` of each finding in `path`. */
const kinds = (path: string): [number, string][] | undefined =>
  linted.findings.get(path)?.map(f => [f.line, f.kind])

describe('the docs (README.md, CONTRIBUTING.md, docs/*.md)', () => {
  it('are all read, the docs/ pages included', () => {
    expect(DOCS).toEqual(expect.arrayContaining(['README.md', 'docs/workflows.md']))
  })

  it.each(docBlocks.map(b => [b.where, b.text]))(
    'have valid YAML in the block at %s',
    (_w, text) => {
      expect(() => parse(text)).not.toThrow()
    }
  )

  it.each(docBlocks.map(b => [b.where, b.text]))(
    'pass the key as the WORKER_API_KEY secret in the block at %s',
    (_w, text) => {
      const keys = actionUses(parseDoc(text))
        .map(step => (isMapping(step.with) ? step.with['api-key'] : undefined))
        // The generated usage block shows every input as '' (a placeholder, not a key).
        .filter(key => key !== undefined && key !== '')
      for (const key of keys) expect(key).toBe('${{ secrets.WORKER_API_KEY }}')
    }
  )
})

describe('actionlint', () => {
  it('is 1.7 or later (the release compiled into the wasm)', () => {
    const [major, minor] = linted.version.split('.').map(Number)
    expect({
      version: linted.version,
      atLeast17: major! > 1 || (major === 1 && minor! >= 7)
    }).toEqual({
      version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
      atLeast17: true
    })
  })

  it('knows what GitHub has today: the ubuntu-24.04 runner and the vars context', () => {
    // actionlint 1.6.22 (the wasm build this replaced) reported both lines of CURRENT.
    expect(findings('current.yml')).toEqual([])
    expect(kinds('unknown.yml')).toEqual([
      [4, 'runner-label'],
      [6, 'expression']
    ])
  })

  it('reports a broken workflow (so a clean result means something)', () => {
    expect(kinds('broken.yml')).toEqual([
      [6, 'expression'],
      [7, 'expression'],
      [8, 'expression']
    ])
  })

  it.each(workflowFiles.map(f => [f.path]))('finds nothing in %s', path => {
    expect(findings(path)).toEqual([])
  })

  it('is given the docs workflows (the docs still have whole workflows, README.md one at least)', () => {
    expect(docWorkflows.length).toBeGreaterThanOrEqual(examples.length)
    expect(workflowsIn('README.md').length).toBeGreaterThanOrEqual(1)
  })

  it.each(docWorkflows.map(b => [b.where]))('finds nothing in %s', where => {
    expect(findings(`${where}.yml`)).toEqual([])
  })
})

describe('inputs given to the action', () => {
  it('are caught when action.yml does not declare them', () => {
    const doc = parse(`steps:\n  - uses: ${PUBLISHED}\n    with: {url: x, min-hitrate: 70%}`)
    expect(unknownInputs(doc)).toEqual([`${PUBLISHED}: min-hitrate`])
  })

  it.each(workflowFiles.map(f => [f.path, f.text]))('exist in action.yml: %s', (_path, text) => {
    expect(unknownInputs(parse(text))).toEqual([])
  })

  it.each(docBlocks.map(b => [b.where, b.text]))('exist in action.yml: %s', (_where, text) => {
    expect(unknownInputs(parseDoc(text))).toEqual([])
  })
})

describe('example workflows', () => {
  it('exist for deploy, manual, matrix and merge, PR gate and schedule', () => {
    expect(examples.map(f => f.path.slice(WORKFLOWS.length))).toEqual([
      'example-deploy-and-warm.yml',
      'example-manual-warm.yml',
      'example-matrix-merge.yml',
      'example-pr-gate.yml',
      'example-scheduled-warm.yml'
    ])
  })

  it.each(examples.map(f => [f.path, f.text]))(
    '%s uses the action from this checkout',
    (_p, text) => {
      // One step, or one per job (the matrix example's shards, regions and merge).
      const uses = actionUses(parse(text)).map(step => step.uses)
      expect(uses.length).toBeGreaterThan(0)
      expect(new Set(uses)).toEqual(new Set(['./']))
    }
  )

  /** The workflows in `blocks` with the example's name, each as `{file, where, ...doc}`. */
  const copiesOf = (copied: Doc, blocks: Block[]): Doc[] =>
    blocks
      .map(b => ({ where: b.where, doc: parse(b.text) as Doc }))
      .filter(({ doc }) => doc.name === copied.name)
      .map(({ where, doc }) => ({ where, ...doc }))

  it.each(examples.map(f => [f.path, f.text]))(
    '%s is shown in docs/workflows.md as a user copies it',
    (path, text) => {
      const copied = asCopied(text)
      const shown = copiesOf(copied, workflowsIn('docs/workflows.md'))
      expect(shown.length).toBe(1)
      expect({ file: path, ...shown[0] }).toEqual({ file: path, where: shown[0]?.where, ...copied })
    }
  )

  it.each(examples.map(f => [f.path, f.text]))(
    'every copy of %s anywhere in the docs is the file as a user copies it',
    (path, text) => {
      const copied = asCopied(text)
      for (const shown of copiesOf(copied, docWorkflows))
        expect({ file: path, ...shown }).toEqual({ file: path, where: shown.where, ...copied })
    }
  )

  it('example-deploy-and-warm.yml is shown in README.md (the one workflow the README keeps)', () => {
    const file = examples.find(f => f.path.endsWith('/example-deploy-and-warm.yml'))
    expect(file).toBeDefined()
    const copied = asCopied(file?.text ?? '')
    const shown = copiesOf(copied, workflowsIn('README.md'))
    expect(shown.length).toBe(1)
    expect(shown[0]).toEqual({ where: shown[0]?.where, ...copied })
  })

  it('run in this repository only by hand, except the PR gate (no deployments here)', () => {
    const triggers = Object.fromEntries(
      examples.map(f => [f.path.slice(WORKFLOWS.length), (parse(f.text) as Doc).on])
    )
    expect(triggers).toEqual({
      'example-deploy-and-warm.yml': 'workflow_dispatch',
      'example-manual-warm.yml': expect.objectContaining({ workflow_dispatch: expect.anything() }),
      'example-matrix-merge.yml': expect.objectContaining({ workflow_dispatch: expect.anything() }),
      'example-pr-gate.yml': 'deployment_status',
      'example-scheduled-warm.yml': 'workflow_dispatch'
    })
  })
})
