import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { InputError } from '../errors.js'
import { DURATION_HELP, parseDuration } from './duration.js'
import {
  checkDuplicates,
  checkHeader,
  EndpointsError,
  HEADER_NAME,
  parseEndpoints,
  type EndpointSpec
} from './endpoints.js'
import { expectSchema, type Expect } from './expect.js'
import { firstIssue } from './issues.js'
import { isLoopback, normalizeBaseUrl } from './url.js'
import { parsePhaseSettings, PHASE_INPUTS, type PhaseSettings } from './phases.js'
import { parseScaleSettings, SCALE_DEFAULTS, type ScaleSettings } from './scale.js'

export const FAIL_ON = ['critical', 'any', 'never'] as const
export type FailOn = (typeof FAIL_ON)[number]

/** Every input the action reads, in action.yml order. The CLI takes the same names as flags. */
export const INPUT_NAMES = [
  'url',
  'api-key',
  'api-key-header',
  'headers',
  'endpoints',
  'endpoints-file',
  'sitemap',
  'sitemap-exclude',
  'sitemap-limit',
  'expect',
  'concurrency',
  'max-rps',
  'shard',
  'timeout',
  'retries',
  'deadline',
  'fail-on',
  'dry-run',
  'report-file',
  ...PHASE_INPUTS,
  'github-token',
  'check-name',
  'pr-comment'
] as const
export type InputName = (typeof INPUT_NAMES)[number]
export type RawInputs = Partial<Record<InputName, string>>

/** The typed, validated, frozen form of the inputs. Nothing else reads inputs. */
export interface Settings extends PhaseSettings, ScaleSettings {
  readonly baseUrl: string
  readonly origin: string
  readonly apiKey?: string
  readonly apiKeyHeader: string
  readonly headers: Readonly<Record<string, string>>
  readonly endpoints: readonly EndpointSpec[]
  readonly defaultExpect?: Expect
  readonly concurrency: number
  readonly timeoutMs: number
  readonly retries: number
  readonly deadlineMs: number
  readonly failOn: FailOn
  readonly dryRun: boolean
  readonly reportFile: string
  /** Token for the check run and PR comment; absent: neither is written. */
  readonly githubToken?: string
  /** Name of the check run; empty: no check run. */
  readonly checkName: string
  readonly prComment: boolean
  /** Values to mask and redact: the key, every extra header value, the GitHub token. */
  readonly secrets: readonly string[]
}

export interface SettingsContext {
  /** Where relative `endpoints-file` and `report-file` paths are resolved (GITHUB_WORKSPACE). */
  readonly workspace: string
  /** RUNNER_TEMP, for the default report file. */
  readonly runnerTemp?: string
}

export const DEFAULTS = {
  'api-key-header': 'X-API-Key',
  concurrency: '8',
  timeout: '10s',
  retries: '2',
  deadline: '10m',
  'fail-on': 'critical',
  'dry-run': 'false',
  'check-name': 'Cache warm',
  'pr-comment': 'false',
  ...SCALE_DEFAULTS
} as const satisfies RawInputs

const LIMITS = {
  concurrency: { min: 1, max: 256 },
  retries: { min: 0, max: 10 },
  timeoutMs: { min: 1, max: 10 * 60_000 },
  deadlineMs: { min: 1, max: 6 * 3_600_000 }
}

function value(raw: RawInputs, name: InputName): string {
  const v = raw[name]?.trim() ?? ''
  return v === '' ? ((DEFAULTS as Record<string, string>)[name] ?? '') : v
}

function integer(raw: RawInputs, name: InputName, min: number, max: number): number {
  const text = value(raw, name)
  if (!/^\d+$/.test(text))
    throw new InputError(name, `"${text}" is not a whole number; accepted: ${min} to ${max}`)
  const n = Number(text)
  if (n < min || n > max)
    throw new InputError(name, `${n} is out of range; accepted: ${min} to ${max}`)
  return n
}

function duration(raw: RawInputs, name: InputName, min: number, max: number): number {
  const text = value(raw, name)
  const ms = parseDuration(text)
  if (ms === undefined) throw new InputError(name, `"${text}" is not ${DURATION_HELP}`)
  if (ms < min) throw new InputError(name, `"${text}" is too short; it must be more than 0`)
  if (ms > max)
    throw new InputError(
      name,
      `"${text}" is too long; the most accepted is ${max % 3_600_000 === 0 ? `${max / 3_600_000}h` : `${max / 60_000}m`}`
    )
  return ms
}

export function parseBoolean(name: string, text: string): boolean {
  if (['true', 'True', 'TRUE'].includes(text)) return true
  if (['false', 'False', 'FALSE', ''].includes(text)) return false
  throw new InputError(name, `"${text}" is not a boolean; accepted: true or false`)
}

function oneOf<T extends string>(raw: RawInputs, name: InputName, accepted: readonly T[]): T {
  const text = value(raw, name).toLowerCase()
  if (!(accepted as readonly string[]).includes(text)) {
    throw new InputError(name, `"${text}" is not accepted; accepted: ${accepted.join(', ')}`)
  }
  return text as T
}

/** `- /path` or `- METHOD /path`: a line whose YAML meaning is plainly that text. */
// Not ending in ":": `- /p:` is a mapping in YAML.
const PLAIN_ITEM = /^- +((?:[A-Za-z]+ +)?\/\S*?)(?<!:) *$/
const PLAIN_SKIP = /^\s*(?:#.*)?$/

/**
 * An endpoint list as YAML or JSON. Long lists are parsed without the YAML library when they
 * are plainly JSON or plainly `- /path` lines: the library builds a document tree that took
 * 0.5 s and 50 MB for 20,000 endpoints. Anything else, and anything JSON.parse refuses, goes
 * through YAML as before, so errors read the same.
 */
export function endpointsDoc(name: string, text: string): unknown {
  const t = text.trim()
  if (t.startsWith('[')) {
    try {
      return JSON.parse(t)
    } catch {
      // Not JSON after all (YAML flow style, a typo): YAML says why.
    }
  } else if (t.startsWith('-')) {
    const items: string[] = []
    let plain = true
    for (const line of t.split(/\r?\n/)) {
      const m = PLAIN_ITEM.exec(line)
      if (m) items.push(m[1]!)
      else if (!PLAIN_SKIP.test(line)) {
        plain = false
        break
      }
    }
    if (plain) return items
  }
  return yamlDoc(name, text)
}

function yamlDoc(name: string, text: string): unknown {
  try {
    return parseYaml(text, { prettyErrors: false, uniqueKeys: true })
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new InputError(name, `is not valid YAML or JSON: ${detail}`)
  }
}

function parseHeaderLines(text: string): Record<string, string> {
  const headers: Record<string, string> = {}
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.trim().startsWith('#')) return
    const colon = line.indexOf(':')
    if (colon <= 0) throw new InputError('headers', `line ${i + 1} is not "Name: value"`)
    const name = line.slice(0, colon).trim()
    const val = line.slice(colon + 1).trim()
    const problem = checkHeader(name, val)
    if (problem) throw new InputError('headers', `line ${i + 1}: ${problem}`)
    headers[name] = val
  })
  return headers
}

function loadEndpoints(
  name: 'endpoints' | 'endpoints-file',
  doc: unknown,
  base: URL
): EndpointSpec[] {
  try {
    return parseEndpoints(doc, base, name)
  } catch (error) {
    if (error instanceof EndpointsError)
      throw new InputError(
        name,
        error.message.startsWith('[') || error.message.startsWith('.')
          ? error.message
          : `${error.message}`
      )
    throw error
  }
}

function readEndpointsFile(file: string, ctx: SettingsContext): unknown {
  const full = path.resolve(ctx.workspace, file)
  let text: string
  try {
    text = readFileSync(full, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : (code ?? 'cannot be read')
    throw new InputError(
      'endpoints-file',
      `"${file}" cannot be read (${why}; looked in ${ctx.workspace})`
    )
  }
  return endpointsDoc('endpoints-file', text)
}

/**
 * Turns raw input strings into Settings, or throws InputError with one line naming the input.
 * Pure apart from reading `endpoints-file`.
 */
export function parseSettings(raw: RawInputs, ctx: SettingsContext): Settings {
  const urlText = value(raw, 'url')
  if (urlText === '')
    throw new InputError(
      'url',
      'is required; give the deployment URL, e.g. https://my-worker.example.workers.dev'
    )
  const base = normalizeBaseUrl(urlText)
  if (typeof base === 'string') throw new InputError('url', base)

  const apiKey = raw['api-key']?.trim() || undefined

  if (apiKey && /[\r\n\0]/.test(apiKey))
    throw new InputError('api-key', 'contains a line break or NUL; paste the key as one line')
  if (apiKey && base.protocol === 'http:' && !isLoopback(base.hostname)) {
    throw new InputError(
      'url',
      `http:// would send the api-key in clear text to ${base.hostname}; use https:// (http:// is accepted only for localhost)`
    )
  }
  const apiKeyHeader = value(raw, 'api-key-header')
  if (!HEADER_NAME.test(apiKeyHeader))
    throw new InputError('api-key-header', `"${apiKeyHeader}" is not a valid header name`)

  const headers = parseHeaderLines(raw.headers ?? '')
  if (Object.keys(headers).length > 0 && base.protocol === 'http:' && !isLoopback(base.hostname)) {
    throw new InputError(
      'url',
      `http:// would send the values of headers in clear text to ${base.hostname}; use https:// (http:// is accepted only for localhost)`
    )
  }
  if (apiKey && Object.keys(headers).some(h => h.toLowerCase() === apiKeyHeader.toLowerCase())) {
    throw new InputError(
      'headers',
      `sets ${apiKeyHeader}, which also carries api-key; set one of them`
    )
  }

  let defaultExpect: Expect | undefined
  const expectText = raw.expect?.trim() ?? ''
  if (expectText !== '') {
    const parsed = expectSchema.safeParse(yamlDoc('expect', expectText))
    if (!parsed.success) throw new InputError('expect', firstIssue(parsed.error))
    defaultExpect = parsed.data
  }

  const endpoints: EndpointSpec[] = []
  const inline = raw.endpoints?.trim() ?? ''
  if (inline !== '')
    endpoints.push(...loadEndpoints('endpoints', endpointsDoc('endpoints', inline), base))
  const file = raw['endpoints-file']?.trim() ?? ''
  if (file !== '')
    endpoints.push(...loadEndpoints('endpoints-file', readEndpointsFile(file, ctx), base))
  checkDuplicates(endpoints)
  const scale = parseScaleSettings(raw, base, ctx.workspace)
  const phases = parsePhaseSettings(raw, base)
  // No endpoints is fine for a job that only waits or gates on the metrics (the last job after
  // a sharded matrix), and for a sitemap-only run; otherwise it is a mistake.
  if (endpoints.length === 0 && !scale.sitemap && !phases.metrics && !phases.waitFor) {
    throw new InputError(
      'endpoints',
      'lists no endpoint; give endpoints (YAML), endpoints-file or sitemap, e.g. "- /api/v1/reports" (or metrics-path alone for a metrics-gate job)'
    )
  }

  const reportText = raw['report-file']?.trim() ?? ''
  const reportFile =
    reportText !== ''
      ? path.resolve(ctx.workspace, reportText)
      : path.join(ctx.runnerTemp || tmpdir(), 'cache-warm-report.json')

  const githubToken = raw['github-token']?.trim() || undefined
  const checkName =
    raw['check-name'] === undefined ? DEFAULTS['check-name'] : raw['check-name'].trim()

  if (/[\r\n\0]/.test(checkName))
    throw new InputError('check-name', 'contains a line break; give one line')
  if (checkName.length > 100) throw new InputError('check-name', 'is longer than 100 characters')
  const secrets = [apiKey, githubToken, ...Object.values(headers)].filter(
    (s): s is string => !!s && s.length > 0
  )
  const settings: Settings = {
    baseUrl: base.href,
    origin: base.origin,
    ...(apiKey ? { apiKey } : {}),
    apiKeyHeader,
    headers,
    endpoints,
    ...(defaultExpect ? { defaultExpect } : {}),
    concurrency: integer(raw, 'concurrency', LIMITS.concurrency.min, LIMITS.concurrency.max),
    timeoutMs: duration(raw, 'timeout', LIMITS.timeoutMs.min, LIMITS.timeoutMs.max),
    retries: integer(raw, 'retries', LIMITS.retries.min, LIMITS.retries.max),
    deadlineMs: duration(raw, 'deadline', LIMITS.deadlineMs.min, LIMITS.deadlineMs.max),
    failOn: oneOf(raw, 'fail-on', FAIL_ON),
    dryRun: parseBoolean('dry-run', value(raw, 'dry-run')),
    reportFile,
    ...(githubToken ? { githubToken } : {}),
    checkName,
    prComment: parseBoolean('pr-comment', value(raw, 'pr-comment')),
    secrets,
    ...phases,
    ...scale
  }
  return deepFreeze(settings)
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}
