/**
 * Runs the action in-process (src/main.ts `run`, with the fixture @actions/core) and gathers
 * everything a user can read afterwards: log lines, job summary, report file, outputs, the
 * setFailed text, and what was sent to the GitHub stand-in. Plus the leak detector: every
 * readable form of a secret, and the snippet around each hit with the secret shown as <KEY>.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'

/** Parsed JSON read the way a user's script would: any shape, fields looked up by name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyJson = Record<string, any>

export interface CoreFixture {
  readonly inputs: Record<string, string>
  readonly outputs: Record<string, string>
  readonly logs: string[]
  readonly secrets: string[]
  readonly summaries: string[]
  readonly failures: string[]
  reset(values?: Record<string, string>, opts?: { summaryFails?: boolean }): void
}

export type RunFn = (deps?: { env?: NodeJS.ProcessEnv }) => Promise<void>

export interface Artifacts {
  readonly outputs: Record<string, string>
  readonly logs: string[]
  readonly summary: string
  readonly failures: string[]
  readonly reportFile: string
  /** The report file's text ('' when none was written). */
  readonly reportText: string
  readonly report?: AnyJson
  /** Bodies sent to the GitHub stand-in (check runs, comments). */
  readonly github: string[]
  /** Wall time of run(). */
  readonly ms: number
  /** What run() threw, if it threw (it should never). */
  readonly threw?: string
  /** Set when run() did not settle within `limitMs`. */
  readonly hung?: boolean
}

let counter = 0

export interface RunOptions {
  readonly dir: string
  readonly env?: NodeJS.ProcessEnv
  /** Give up waiting for run() after this long (the run keeps going in the background). */
  readonly limitMs?: number
  /** Where the GitHub stand-in records bodies, read after the run. */
  readonly github?: { requests: { body: string; url: string }[] }
  /** Report file path; default a fresh file in `dir`. */
  readonly reportFile?: string
}

export async function runMain(
  core: CoreFixture,
  run: RunFn,
  inputs: Record<string, string>,
  opts: RunOptions
): Promise<Artifacts> {
  const reportFile =
    opts.reportFile ?? path.join(opts.dir, `report-${process.pid}-${++counter}.json`)
  core.reset({ 'report-file': reportFile, 'check-name': '', ...inputs })
  const ghBefore = opts.github?.requests.length ?? 0
  const t0 = performance.now()
  let threw: string | undefined
  let hung = false
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<'hung'>(resolve => {
    timer = setTimeout(() => resolve('hung'), opts.limitMs ?? 15_000)
  })
  try {
    const r = await Promise.race([
      run({
        env: { GITHUB_WORKSPACE: opts.dir, RUNNER_TEMP: opts.dir, ...opts.env }
      }).then(() => 'done' as const),
      limit
    ])
    hung = r === 'hung'
  } catch (error) {
    threw = String((error as Error)?.stack ?? error)
  } finally {
    clearTimeout(timer)
  }
  const ms = Math.round(performance.now() - t0)
  let reportText = ''
  try {
    reportText = await readFile(reportFile, 'utf8')
  } catch {
    reportText = ''
  }
  let report: AnyJson | undefined
  try {
    report = reportText ? (JSON.parse(reportText) as AnyJson) : undefined
  } catch {
    report = undefined
  }
  return {
    outputs: { ...core.outputs },
    logs: [...core.logs],
    summary: core.summaries.join('\n'),
    failures: [...core.failures],
    reportFile,
    reportText,
    ...(report ? { report } : {}),
    github: (opts.github?.requests.slice(ghBefore) ?? []).map(r => `${r.url}\n${r.body}`),
    ms,
    ...(threw ? { threw } : {}),
    hung
  }
}

/** Every artifact by name, as text. */
export function artifactTexts(a: Artifacts): Record<string, string> {
  return {
    log: a.logs.join('\n'),
    summary: a.summary,
    report: a.reportText,
    outputs: JSON.stringify(a.outputs),
    failure: a.failures.join('\n'),
    'check run': a.github.join('\n'),
    'thrown error': a.threw ?? ''
  }
}

function windows(s: string, size: number): string[] {
  const out = new Set<string>()
  for (let i = 0; i + size <= s.length; i++) {
    const w = s.slice(i, i + size)
    // Runs of one or two characters ("        ") occur in any report; they prove nothing.
    if (new Set(w).size >= 5 && w.trim().length === size) out.add(w)
  }
  return [...out]
}

function tryForm(f: () => string): string[] {
  try {
    return [f()]
  } catch {
    return []
  }
}

/** Every readable form of `key` a careless action could print. */
export function readableForms(key: string): { name: string; text: string }[] {
  const forms: { name: string; text: string }[] = [
    { name: 'raw', text: key },
    { name: 'JSON-escaped', text: JSON.stringify(key).slice(1, -1) },
    { name: 'encodeURIComponent', text: encodeURIComponent(key) },
    { name: 'encodeURI', text: encodeURI(key) },
    ...tryForm(() => new URL('http://h/' + key).pathname.slice(1)).map(text => ({
      name: 'URL path',
      text
    })),
    ...tryForm(() => new URL('http://h/?q=' + key).search.slice(3)).map(text => ({
      name: 'URL query',
      text
    })),
    ...tryForm(() => new URL('http://h/#' + key).hash.slice(1)).map(text => ({
      name: 'URL fragment',
      text
    })),
    { name: 'form-encoded', text: new URLSearchParams({ q: key }).toString().slice(2) },
    { name: 'whitespace collapsed', text: key.replace(/\s+/g, ' ') },
    { name: 'whitespace removed', text: key.replace(/\s+/g, '') },
    { name: 'base64', text: Buffer.from(key).toString('base64') },
    // Another case of a key of 8+ characters (shorter ones are not redacted in another case).
    ...(key.length >= 8 ? [{ name: 'upper-cased', text: key.toUpperCase() }] : [])
  ]
  // A form shorter than the key cut at ? or # is only a piece: judged by the window rule below.
  const min = Math.min(8, key.length)
  const seen = new Set<string>()
  return forms.filter(f => {
    if (f.text.length < min || seen.has(f.text)) return false
    seen.add(f.text)
    return true
  })
}

export interface Leak {
  readonly artifact: string
  readonly form: string
  readonly snippet: string
}

/** The text around `at`, with every form of the key shown as <KEY>, on one line. */
export function snippet(text: string, at: number, len: number, key: string): string {
  let s = text.slice(Math.max(0, at - 60), at + len + 60)
  for (const f of readableForms(key).sort((a, b) => b.text.length - a.text.length))
    s = s.split(f.text).join('<KEY>')
  for (const w of [...windows(key, 8), ...windows(JSON.stringify(key).slice(1, -1), 8)])
    s = s.split(w).join('<KEY-PART>')
  return JSON.stringify(s)
}

/**
 * Where `key` can be read in the artifacts: whole in any form, or (for keys of 20+ characters)
 * any 8-character piece of it; also the key re-joined when an artifact's whitespace is removed.
 */
export function findLeaks(key: string, texts: Record<string, string>): Leak[] {
  const leaks: Leak[] = []
  const forms = readableForms(key)
  const pieces = key.length >= 20 ? windows(key, 8) : []
  const joined = key.replace(/\s+/g, '')
  for (const [artifact, text] of Object.entries(texts)) {
    if (!text) continue
    let found = false
    for (const f of forms) {
      const at = text.indexOf(f.text)
      if (at >= 0) {
        leaks.push({ artifact, form: f.name, snippet: snippet(text, at, f.text.length, key) })
        found = true
        break
      }
    }
    if (found) continue
    for (const p of pieces) {
      const at = text.indexOf(p)
      if (at >= 0) {
        leaks.push({ artifact, form: '8-character piece', snippet: snippet(text, at, 8, key) })
        found = true
        break
      }
    }
    if (found || joined.length < 12) continue
    const squeezed = text.replace(/\s+/g, '')
    const at = squeezed.indexOf(joined)
    if (at >= 0)
      leaks.push({
        artifact,
        form: 're-joined across whitespace',
        snippet: snippet(squeezed, at, joined.length, key)
      })
  }
  return leaks
}

/** A failure message naming each leak, the key itself never shown. */
export function describeLeaks(leaks: readonly Leak[]): string {
  return leaks.map(l => `  ${l.artifact} shows the key (${l.form}): ${l.snippet}`).join('\n')
}

/** The line of `text` around the first match of `re`, for failure messages. */
export function around(text: string, re: RegExp | string, width = 200): string {
  const at = typeof re === 'string' ? text.indexOf(re) : text.search(re)
  if (at < 0) return JSON.stringify(text.slice(0, width * 2))
  return JSON.stringify(text.slice(Math.max(0, at - width), at + width))
}

/** A verdict a user sees: the result output and whether the step failed. */
export function verdict(a: Artifacts): { result: string | undefined; stepFailed: boolean } {
  return { result: a.outputs.result, stepFailed: a.failures.length > 0 }
}

/** Explains a run for an assertion message, the key masked. */
export function explain(a: Artifacts, key?: string): string {
  let s = [
    `result=${a.outputs.result} failures=${JSON.stringify(a.failures)} ms=${a.ms}${a.hung ? ' HUNG' : ''}`,
    a.threw ? `threw: ${a.threw.split('\n')[0]}` : '',
    `summary head: ${JSON.stringify(a.summary.slice(0, 600))}`,
    `log tail: ${JSON.stringify(a.logs.slice(-6))}`
  ]
    .filter(Boolean)
    .join('\n')
  if (key) {
    for (const f of readableForms(key).sort((a, b) => b.text.length - a.text.length))
      s = s.split(f.text).join('<KEY>')
    for (const w of [...windows(key, 8), ...windows(JSON.stringify(key).slice(1, -1), 8)])
      s = s.split(w).join('<KEY-PART>')
  }
  return s
}
