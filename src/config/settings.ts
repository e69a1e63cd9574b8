import { readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { LineCounter, parse as parseYaml, YAMLParseError } from 'yaml'
import { InputError } from '../errors.js'
import { defaultsOf, INPUTS } from './defaults.js'
import {
  checkDuplicates,
  checkHeader,
  secretValueProblem,
  keyHeaderProblem,
  parseEndpoints,
  VERSION_OVERRIDE_HEADER,
  type EndpointSpec
} from './endpoints.js'
import { expectSchema, type Expect } from './expect.js'
import { firstIssue } from './issues.js'
import { containedPath } from './paths.js'
import { addedScheme, isLoopback, normalizeBaseUrl } from './url.js'
import {
  parsePhaseSettings,
  PHASE_INPUTS,
  type MetricsSettings,
  type TriggerSettings,
  type VerifySettings,
  type VersionCheck,
  type WaitSettings
} from './phases.js'
import { bool, duration, integer, oneOf, read, withInputName } from './read.js'
import { parseScaleSettings, type Shard, type SitemapSettings } from './scale.js'

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
  'report-label',
  'merge-reports',
  ...PHASE_INPUTS,
  'github-token',
  'check-name',
  'pr-comment'
] as const
export type InputName = (typeof INPUT_NAMES)[number]
export type RawInputs = Partial<Record<InputName, string>>

/** The deployment and what every request to it carries. */
export interface DeploymentSettings {
  readonly baseUrl: string
  readonly origin: string
  readonly apiKey?: string
  readonly apiKeyHeader: string
  readonly headers: Readonly<Record<string, string>>
  /** Sent as Cloudflare-Workers-Version-Overrides on every request. */
  readonly versionOverride?: string
  /** `expect-version`: every warm and verify answer must show it, or it is not warm. */
  readonly expectVersion?: VersionCheck
  /** `url` had no scheme and https:// was added: a TLS failure then says it was a guess. */
  readonly httpsAdded?: boolean
}

/** How each request is sent, in every phase. */
export interface RequestSettings {
  readonly timeoutMs: number
  readonly retries: number
  /** Requests per second across all workers; absent: unlimited. */
  readonly maxRps?: number
}

/** The warm pass: what it requests and how many at once. */
export interface WarmSettings {
  readonly endpoints: readonly EndpointSpec[]
  readonly defaultExpect?: Expect
  readonly concurrency: number
  readonly shard?: Shard
}

/** The run as a whole: how long it may take and what makes it fail. */
export interface RunSettings {
  readonly deadlineMs: number
  readonly failOn: FailOn
  readonly dryRun: boolean
  readonly reportFile: string
  /** What this report is in a matrix (`report-label`; default the shard `i/n`, else RUNNER_NAME). */
  readonly label?: string
}

export interface GithubSettings {
  /** Token for the check run and PR comment; absent: neither is written. */
  readonly token?: string
  /** Name of the check run; empty: no check run. */
  readonly checkName: string
  readonly prComment: boolean
}

/**
 * The typed, validated, frozen form of the inputs, one part per concept; a phase that is not
 * configured is absent. Nothing else reads inputs.
 */
export interface Settings {
  readonly deployment: DeploymentSettings
  readonly request: RequestSettings
  readonly run: RunSettings
  readonly wait?: WaitSettings
  readonly trigger?: TriggerSettings
  readonly warm: WarmSettings
  readonly verify: VerifySettings
  readonly metrics?: MetricsSettings
  readonly sitemap?: SitemapSettings
  readonly github: GithubSettings
}

export interface SettingsContext {
  /** Where relative `endpoints-file` and `report-file` paths are resolved (GITHUB_WORKSPACE). */
  readonly workspace: string
  /** RUNNER_TEMP, for the default report file. */
  readonly runnerTemp?: string
  /** RUNNER_NAME, the report's label when neither report-label nor shard gives one. */
  readonly runnerName?: string
}

/** The inputs' defaults, by name (those that have one); the table is INPUTS in defaults.ts. */
export const DEFAULTS = defaultsOf(INPUT_NAMES)

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

/**
 * The yaml library's messages that repeat nothing of the document. The others interpolate a
 * tag, an escape, a directive or a scalar the user wrote, so they are told by their code.
 */
const YAML_PLAIN_MESSAGES = [
  /^(?:An alias node must not specify any properties|Alias cannot be an empty string|Anchor cannot be an empty string|(?:Alias|Anchor) ending in : is ambiguous)$/,
  /^All (?:sequence|mapping) items must start at the same column$/,
  /^(?:A block sequence may not be used as an implicit map key|Nested mappings are not allowed in compact mappings)$/,
  /^Map keys must be unique$/,
  /^Missing closing ['"]quote$/,
  /^(?:Block collection cannot start on same line with directives-end marker|Comments must be separated from other tokens by white space characters|Implicit map keys need to be followed by map values|Missing directives-end(?:\/doc-start)? indicator line|Sequence item without - indicator|Tags and anchors must be separated from the next token by white space)$/,
  /^Missing (?:,|, or :|space after :) (?:between|in) (?:flow map|flow sequence|flow collection)(?: items)?$/,
  /^Implicit keys (?:of flow sequence pairs )?need to be on a single line$/,
  /^A node can have at most one (?:anchor|tag)$/,
  /^Source contains multiple documents/,
  /^Tabs are not allowed as indentation$/,
  /^Unexpected (?:,|empty item) in (?:flow map|flow sequence|flow collection)$/,
  /^Unexpected (?:[a-z-]+ token|[a-z-]+ at node end|[-?:,[\]{}] in (?:flow map|flow sequence|collection))$/,
  /^Expected a flow scalar value, but found: [a-z-]+$/,
  /^Unsupported token [a-z-]+$/,
  /^Flow (?:map|sequence)(?: in block collection must be sufficiently indented and| must) end with a [}\]]$/,
  /^(?:Flow end indicator should be more indented than parent|Block scalar values in collections must be indented|Block scalars with more-indented leading empty lines must use an explicit indentation indicator|Block scalar lines must not be less indented than their (?:explicit indentation indicator|first line)|Block collections are not allowed within flow collections|Unexpected doc-end without preceding document|Verbatim tags must end with a >|With simple keys, collection cannot be used as a key value)$/,
  /^The : indicator must be at most 1024 chars after the start of an implicit (?:flow sequence key|block mapping key)$/
]

const YAML_CODES: Record<string, string> = {
  BAD_DQ_ESCAPE: 'invalid escape sequence in a double-quoted string',
  BAD_SCALAR_START: 'a plain value cannot start with this character; quote it',
  BAD_PROP_ORDER: 'anchors and tags must come after the indicator',
  BAD_COLLECTION_TYPE: 'a tag does not fit the kind of collection it is on',
  BAD_DIRECTIVE: 'an unknown or unsupported % directive',
  TAG_RESOLVE_FAILED: 'an unknown !tag',
  BAD_INDENT: 'bad indentation',
  UNEXPECTED_TOKEN: 'unexpected text',
  MISSING_CHAR: 'a character is missing',
  DUPLICATE_KEY: 'Map keys must be unique',
  KEY_OVER_1024_CHARS: 'an implicit key is longer than 1024 characters'
}

/** Words shown as they are in a YAML error's line: the names and values of the endpoint schema. */
const SAFE_WORDS = new Set([
  ...['critical', 'high', 'normal', 'low', 'true', 'false', 'null', '~'],
  ...['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  ...['exists', 'non-empty', 'array', 'object', 'string', 'number', 'boolean']
])

/** A path (no query), with any segment that looks like a token masked. */
function pathShape(word: string): string | undefined {
  if (!/^\/[\w\-./~%{}]*$/.test(word)) return undefined
  return word
    .split('/')
    .map(seg => (seg.length >= 20 && /[A-Za-z]/.test(seg) && /\d/.test(seg) ? '***' : seg))
    .join('/')
}

/**
 * The shape of the line a YAML error is on: indentation, indicators, keys, paths, numbers and
 * the schema's own words as written; every other value as `***`. The document may hold a
 * secret the action cannot know yet (a header in a file that does not parse), so no value that
 * could be one is shown. Cut to 100 characters around the column.
 */
export function yamlLineShape(line: string, col: number): string {
  const shaped = line.replace(/[^\s:[\]{},#&*!|>'"%@`]+/g, (word, at: number) => {
    const isKey =
      /^\s*:/.test(line.slice(at + word.length)) && /^[A-Za-z_$][\w$.-]{0,40}$/.test(word)
    if (isKey || /^-+$/.test(word) || /^\d{1,4}$/.test(word) || SAFE_WORDS.has(word)) return word
    return pathShape(word) ?? '***'
  })
  if (shaped.length <= 100) return shaped.trimEnd()
  const from = Math.max(0, Math.min(col - 50, shaped.length - 100))
  return `${from > 0 ? '…' : ''}${shaped.slice(from, from + 100)}${from + 100 < shaped.length ? '…' : ''}`
}

/**
 * One line for a YAML error: what is wrong, where (`at line 3, column 5`) and the line's shape
 * (yamlLineShape), never a value from it: it may be a file with secrets in it.
 */
function yamlProblem(error: unknown, lines: LineCounter, text: string): string {
  if (!(error instanceof YAMLParseError)) {
    const message = error instanceof Error ? error.message : ''
    if (/^Excessive alias count/.test(message)) return 'too many aliases'
    if (/^Unresolved alias/.test(message)) return 'an alias names an anchor not set before it'
    return 'it cannot be read'
  }
  const raw = error.message.split('\n')[0]!.trim()
  let message = YAML_PLAIN_MESSAGES.some(re => re.test(raw))
    ? raw
    : (YAML_CODES[error.code] ?? error.code.toLowerCase().replace(/_/g, ' '))
  message = message.charAt(0).toLowerCase() + message.slice(1)
  const at = error.pos[0]
  if (typeof at === 'number' && at >= 0) {
    const { line, col } = lines.linePos(at)
    message += ` at line ${line}, column ${col}`
    const shape = yamlLineShape(text.split(/\r?\n/)[line - 1] ?? '', col)
    if (shape.trim() !== '') message += `: \`${shape}\``
  }
  return message
}

function yamlDoc(name: string, text: string): unknown {
  const lineCounter = new LineCounter()
  try {
    // logLevel error: the library would print its warnings (they quote the document) itself.
    return parseYaml(text, {
      prettyErrors: false,
      uniqueKeys: true,
      lineCounter,
      logLevel: 'error'
    })
  } catch (error) {
    throw new InputError(
      name,
      `is not valid YAML or JSON: ${yamlProblem(error, lineCounter, text)}`
    )
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
  return withInputName(name, () => parseEndpoints(doc, base, name))
}

/** `report-file`, kept in the workspace; an existing FIFO or device would block the write. */
function reportPath(text: string, ctx: SettingsContext): string {
  const full = containedPath('report-file', text, ctx, { tmpdirWithoutRunnerTemp: true })
  const kind = fileKind(full)
  if (kind === 'directory' || kind === 'other')
    throw new InputError(
      'report-file',
      `"${text}" is ${kind === 'directory' ? 'a directory' : 'not a regular file (a FIFO, socket or device)'}; give a file path such as cache-warm-report.json`
    )
  return full
}

/** What a path is, without following it into a read that could block. */
function fileKind(full: string): 'file' | 'directory' | 'missing' | 'other' {
  try {
    const st = statSync(full)
    return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other'
  } catch {
    return 'missing'
  }
}

function readEndpointsFile(file: string, ctx: SettingsContext): unknown {
  const full = containedPath('endpoints-file', file, ctx)
  // A FIFO or a device would block the read for ever, long past any deadline.
  const kind = fileKind(full)
  if (kind !== 'file' && kind !== 'missing' && kind !== 'directory')
    throw new InputError(
      'endpoints-file',
      `"${file}" is not a regular file (a FIFO, socket or device); give a YAML or JSON file`
    )
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
  const base = parseBase(raw)
  const { apiKey, apiKeyHeader, headers } = parseCredentials(raw, base)
  const warm = parseWarm(raw, base, ctx)
  const { sitemap, maxRps, shard } = parseScaleSettings(raw, base, ctx)
  const { versionOverride, expectVersion, ...phases } = parsePhaseSettings(raw, base)
  const overridden = Object.keys(headers).find(
    h => h.toLowerCase() === VERSION_OVERRIDE_HEADER.toLowerCase()
  )
  if (versionOverride && overridden)
    throw new InputError(
      'headers',
      `sets ${overridden}, which also carries version-override; set one of them`
    )
  // No endpoints is fine for a job that only waits or gates on the metrics (the last job after
  // a sharded matrix), and for a sitemap-only run; otherwise it is a mistake.
  if (warm.endpoints.length === 0 && !sitemap && !phases.metrics && !phases.wait) {
    throw new InputError(
      'endpoints',
      'lists no endpoint; give endpoints (YAML), endpoints-file or sitemap, e.g. "- /api/v1/reports" (or metrics-path alone for a metrics-gate job)'
    )
  }
  const settings: Settings = {
    deployment: {
      baseUrl: base.href,
      origin: base.origin,
      ...(apiKey ? { apiKey } : {}),
      apiKeyHeader,
      headers,
      ...(versionOverride ? { versionOverride } : {}),
      ...(expectVersion ? { expectVersion } : {}),
      ...(addedScheme(read(raw, 'url')) === 'https' ? { httpsAdded: true } : {})
    },
    request: {
      timeoutMs: duration(raw, 'timeout', INPUTS.timeout),
      retries: integer(raw, 'retries', INPUTS.retries),
      ...(maxRps !== undefined ? { maxRps } : {})
    },
    run: { ...parseRun(raw, ctx), ...labelOf(raw, shard, ctx) },
    ...phases,
    warm: { ...warm, ...(shard ? { shard } : {}) },
    ...(sitemap ? { sitemap } : {}),
    github: parseGithub(raw)
  }
  return deepFreeze(settings)
}

function parseBase(raw: RawInputs): URL {
  const urlText = read(raw, 'url')
  if (urlText === '')
    throw new InputError(
      'url',
      'is required; give the deployment URL, e.g. https://my-worker.example.workers.dev'
    )
  const base = normalizeBaseUrl(urlText)
  if (typeof base === 'string') throw new InputError('url', base)
  return base
}

/** The key, its header and the extra headers: secrets that only go to the deployment. */
function parseCredentials(
  raw: RawInputs,
  base: URL
): { apiKey?: string; apiKeyHeader: string; headers: Record<string, string> } {
  const apiKey = raw['api-key']?.trim() || undefined
  if (apiKey && /[\r\n\0]/.test(apiKey))
    throw new InputError('api-key', 'contains a line break or NUL; paste the key as one line')
  const keyProblem = apiKey && secretValueProblem(apiKey)
  if (keyProblem)
    throw new InputError(
      'api-key',
      keyProblem.includes('printable ASCII')
        ? keyProblem
        : `${keyProblem}; a key is printable ASCII`
    )
  const clearText = base.protocol === 'http:' && !isLoopback(base.hostname)
  if (apiKey && clearText) {
    throw new InputError(
      'url',
      `http:// would send the api-key in clear text to ${base.hostname}; use https:// (http:// is accepted only for localhost)`
    )
  }
  const apiKeyHeader = read(raw, 'api-key-header')
  const keyHeader = keyHeaderProblem(apiKeyHeader)
  if (keyHeader) throw new InputError('api-key-header', keyHeader)

  const headers = parseHeaderLines(raw.headers ?? '')
  if (Object.keys(headers).length > 0 && clearText) {
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
  return { ...(apiKey ? { apiKey } : {}), apiKeyHeader, headers }
}

/** The endpoint list (inline, then the file) and how the warm pass sends it. */
function parseWarm(raw: RawInputs, base: URL, ctx: SettingsContext): Omit<WarmSettings, 'shard'> {
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
  return {
    endpoints,
    ...(defaultExpect ? { defaultExpect } : {}),
    concurrency: integer(raw, 'concurrency', INPUTS.concurrency)
  }
}

/** The longest report-label accepted. */
const MAX_LABEL = 100
/** A line break or another control character (C0, DEL, C1). */
const CONTROL = /\p{Cc}/u

/** `report-label`, else the shard (`2/4`), else the runner's name, else none. */
export function labelOf(
  raw: RawInputs,
  shard: Shard | undefined,
  ctx: SettingsContext
): { label?: string } {
  const text = raw['report-label']?.trim() ?? ''
  if (CONTROL.test(text))
    throw new InputError(
      'report-label',
      'contains a line break or a control character; give one line'
    )
  if (text.length > MAX_LABEL)
    throw new InputError('report-label', `is longer than ${MAX_LABEL} characters`)
  if (text !== '') return { label: text }
  if (shard) return { label: `${shard.index}/${shard.count}` }
  const runner = ctx.runnerName?.trim().slice(0, MAX_LABEL)
  return runner && !CONTROL.test(runner) ? { label: runner } : {}
}

export function parseRun(raw: RawInputs, ctx: SettingsContext): RunSettings {
  const reportText = raw['report-file']?.trim() ?? ''
  return {
    deadlineMs: duration(raw, 'deadline', INPUTS.deadline),
    failOn: oneOf(raw, 'fail-on', FAIL_ON),
    dryRun: bool(raw, 'dry-run'),
    reportFile:
      reportText !== ''
        ? reportPath(reportText, ctx)
        : path.join(ctx.runnerTemp || tmpdir(), 'cache-warm-report.json')
  }
}

export function parseGithub(raw: RawInputs): GithubSettings {
  const token = raw['github-token']?.trim() || undefined
  const checkName =
    raw['check-name'] === undefined ? INPUTS['check-name'].default : raw['check-name'].trim()
  if (/[\r\n\0]/.test(checkName))
    throw new InputError('check-name', 'contains a line break; give one line')
  if (checkName.length > 100) throw new InputError('check-name', 'is longer than 100 characters')
  return { ...(token ? { token } : {}), checkName, prComment: bool(raw, 'pr-comment') }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}
