import { InputError } from '../errors.js'
import { formatDuration } from './duration.js'
import { parseThreshold, type Threshold } from '../metrics/thresholds.js'
import { defaultsOf, INPUTS } from './defaults.js'
import {
  headerValueProblem,
  METHODS,
  resolvePath,
  VERSION_OVERRIDE_HEADER,
  type Method
} from './endpoints.js'
import { bool, duration, integer, read, withInputName } from './read.js'

// Kept in endpoints.ts with the other headers the action sets; re-exported for the senders.
export { VERSION_OVERRIDE_HEADER }

/** Where the new version shows itself in the readiness answer. */
export type VersionCheck =
  | { readonly kind: 'json'; readonly path: string; readonly value: string; readonly text: string }
  | {
      readonly kind: 'header'
      readonly name: string
      readonly value: string
      readonly text: string
    }
  | { readonly kind: 'text'; readonly value: string; readonly text: string }

export interface Target {
  readonly method: Method
  readonly path: string
  readonly url: string
}

export interface CacheMarker {
  readonly path: string
  readonly value: string
}

/** `wait-for`: poll a readiness path until it answers 2xx (and shows the new version). */
export interface WaitSettings {
  readonly target: Target
  readonly version?: VersionCheck
  readonly timeoutMs: number
  readonly pollIntervalMs: number
}

/** `warmup-trigger`: the deployment's own warm-up route, called before warming. */
export interface TriggerSettings {
  readonly target: Target
  readonly required: boolean
}

/** `verify`: every warmed GET endpoint requested again, and what it must show. */
export interface VerifySettings {
  readonly enabled: boolean
  readonly cacheMarkers: readonly CacheMarker[]
  /** Share (0-1) of verified endpoints that must be served from cache. */
  readonly minCached?: number
  readonly maxWarmLatencyMs?: number
}

/** `metrics-path`: polled until every threshold holds. */
export interface MetricsSettings {
  readonly target: Target
  readonly thresholds: readonly Threshold[]
  readonly hitRateField: string
  readonly cacheSizeField: string
  readonly timeoutMs: number
  readonly pollIntervalMs: number
  /** How many polls in a row must each meet every threshold (`stable-polls`). */
  readonly stablePolls: number
}

/** Settings of the phases around warming; a phase that is not configured is absent. */
export interface PhaseSettings {
  readonly wait?: WaitSettings
  readonly trigger?: TriggerSettings
  readonly verify: VerifySettings
  readonly metrics?: MetricsSettings
  readonly versionOverride?: string
  /** `expect-version`: what every warm and verify answer must show. */
  readonly expectVersion?: VersionCheck
}

export const PHASE_INPUTS = [
  'wait-for',
  'wait-for-version',
  'wait-timeout',
  'poll-interval',
  'version-override',
  'expect-version',
  'warmup-trigger',
  'warmup-trigger-required',
  'verify',
  'cache-markers',
  'min-cached',
  'max-warm-latency',
  'metrics-path',
  'thresholds',
  'min-hit-rate',
  'hit-rate-field',
  'min-cache-size',
  'cache-size-field',
  'poll-timeout',
  'stable-polls'
] as const
export type PhaseInput = (typeof PHASE_INPUTS)[number]

/** The phase inputs' defaults, by name (those that have one); the table is INPUTS in defaults.ts. */
export const PHASE_DEFAULTS = defaultsOf(PHASE_INPUTS)

type Raw = Partial<Record<string, string>>

function target(raw: Raw, name: PhaseInput, base: URL, allowMethod: boolean): Target | undefined {
  const text = read(raw, name)
  if (text === '') return undefined
  const m = /^(?:([A-Za-z]+)\s+)?(\S+)$/.exec(text)
  if (!m)
    throw new InputError(
      name,
      `"${text}" is not ${allowMethod ? '"METHOD /path" or "/path"' : 'a path such as /health'}`
    )
  if (m[1] && !allowMethod)
    throw new InputError(name, `"${text}": give only a path; it is requested with GET`)
  const method = (m[1] ?? (allowMethod ? 'POST' : 'GET')).toUpperCase()
  if (!(METHODS as readonly string[]).includes(method))
    throw new InputError(name, `"${m[1]}": expected one of ${METHODS.join(', ')}`)
  const url = withInputName(name, () => resolvePath(m[2] as string, base, ''))
  const prefix = base.pathname.replace(/\/+$/, '')
  const shown = url.pathname.startsWith(prefix)
    ? url.pathname.slice(prefix.length) || '/'
    : url.pathname
  return { method: method as Method, path: `${shown}${url.search}`, url: url.href }
}

/**
 * Whether checking `check` needs the answer's body: a header form does not, so a run whose only
 * reason to read bodies would be the version check can skip them.
 */
export function versionNeedsBody(check: VersionCheck | undefined): boolean {
  return check !== undefined && check.kind !== 'header'
}

/** What wait-for-version and expect-version accept, for their error lines. */
const VERSION_FORMS =
  'accepted: path=value or json.path=value (a JSON field), header:Name=value, or plain text'

export function parseVersionCheck(text: string): VersionCheck | string {
  const t = text.trim()
  const header = /^header:\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(.+)$/i.exec(t)
  if (/^header:/i.test(t))
    return header
      ? { kind: 'header', name: header[1]!, value: header[2]!.trim(), text: t }
      : `"${t}" is not header:Name=value`
  if (/^text:/i.test(t)) return { kind: 'text', value: t.slice(5).trim(), text: t }
  // `json.path=value` (the form the original contract named), `json:path=value`, `path=value`.
  const json = /^(?:json[:.])?([A-Za-z_$][\w$-]*(?:\.[\w$-]+)*)\s*=\s*(.+)$/.exec(t)
  if (json) return { kind: 'json', path: json[1]!, value: json[2]!.trim(), text: t }
  if (/^json:/i.test(t)) return `"${t}" is not json:path=value`
  return { kind: 'text', value: t, text: t }
}

function share(raw: Raw, name: PhaseInput): number | undefined {
  const text = read(raw, name)
  if (text === '') return undefined
  const m = /^(\d+(?:\.\d+)?)\s*(%?)$/.exec(text)
  if (!m) throw new InputError(name, `"${text}" is not a share; accepted: 80%, 80 or 0.8`)
  let v = Number(m[1])
  if (m[2] === '%' || v > 1) v = v / 100
  if (v > 1) throw new InputError(name, `"${text}" is more than 100 %`)
  return v
}

function fieldPath(raw: Raw, name: PhaseInput): string {
  const text = read(raw, name)
  if (!/^[A-Za-z_$][\w$-]*(?:\.[\w$-]+)*$/.test(text))
    throw new InputError(name, `"${text}" is not a dot path such as cacheStats.l2Size`)
  return text
}

/** Parses the inputs of the phases around warming. Throws InputError naming the input. */
export function parsePhaseSettings(raw: Raw, base: URL): PhaseSettings {
  const wait = parseWait(raw, base)
  const trigger = target(raw, 'warmup-trigger', base, true)
  const required = bool(raw, 'warmup-trigger-required')
  const metrics = parseMetrics(raw, base)
  const versionOverride = parseVersionOverride(raw)
  const expectVersion = parseExpectVersion(raw)
  return {
    ...(wait ? { wait } : {}),
    ...(trigger ? { trigger: { target: trigger, required } } : {}),
    verify: parseVerify(raw),
    ...(metrics ? { metrics } : {}),
    ...(versionOverride ? { versionOverride } : {}),
    ...(expectVersion ? { expectVersion } : {})
  }
}

/** `expect-version`: the same forms as wait-for-version, checked on every warm and verify answer. */
function parseExpectVersion(raw: Raw): VersionCheck | undefined {
  const text = read(raw, 'expect-version')
  if (text === '') return undefined
  const parsed = parseVersionCheck(text)
  if (typeof parsed === 'string')
    throw new InputError('expect-version', `${parsed}; ${VERSION_FORMS}`)
  if (parsed.value === '')
    throw new InputError('expect-version', `"${text}" names no version; ${VERSION_FORMS}`)
  return parsed
}

function parseWait(raw: Raw, base: URL): WaitSettings | undefined {
  const waitFor = target(raw, 'wait-for', base, false)
  const versionText = read(raw, 'wait-for-version')
  if (versionText !== '' && !waitFor)
    throw new InputError(
      'wait-for-version',
      'needs wait-for, the path whose answer shows the version (e.g. /health)'
    )
  // Read even when unused, so a bad value is said at once, not when wait-for is added.
  const timeoutMs = duration(raw, 'wait-timeout', INPUTS['wait-timeout'])
  const pollIntervalMs = duration(raw, 'poll-interval', INPUTS['poll-interval'])
  if (!waitFor) return undefined
  let version: VersionCheck | undefined
  if (versionText !== '') {
    const parsed = parseVersionCheck(versionText)
    if (typeof parsed === 'string')
      throw new InputError('wait-for-version', `${parsed}; ${VERSION_FORMS}`)
    version = parsed
  }
  return {
    target: waitFor,
    ...(version ? { version } : {}),
    timeoutMs,
    pollIntervalMs
  }
}

/**
 * The notice for a run that warms a staged version (version-override) without checking that the
 * answers come from it: the override is only a request, and an answer says which version served
 * it only if expect-version asks. The header is the one the example Worker sends from its
 * version-metadata binding.
 */
export function expectVersionHint(phases: {
  readonly versionOverride?: string
  readonly expectVersion?: VersionCheck
}): string | undefined {
  if (!phases.versionOverride || phases.expectVersion) return undefined
  const id = /="?([^"]+)"?\s*$/.exec(phases.versionOverride)?.[1] ?? '<version-id>'
  return `version-override asks for version ${id}, but nothing checks that the answers come from it; set expect-version: header:X-Worker-Version=${id} (the header the example Worker sends from its version-metadata binding) to fail every answer from another version`
}

function parseVersionOverride(raw: Raw): string {
  const versionOverride = read(raw, 'version-override')
  if (/[\r\n\0]/.test(versionOverride))
    throw new InputError(
      'version-override',
      'contains a line break; give one value such as my-worker="<version-id>"'
    )
  const overrideProblem = headerValueProblem(versionOverride)
  if (overrideProblem)
    throw new InputError(
      'version-override',
      `${overrideProblem}; give one value such as my-worker="<version-id>"`
    )
  return versionOverride
}

function parseVerify(raw: Raw): VerifySettings {
  const cacheMarkers: CacheMarker[] = []
  read(raw, 'cache-markers')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === '') return
      const m = /^([A-Za-z_$][\w$-]*(?:\.[\w$-]+)*)\s*=\s*(.+)$/.exec(line.trim())
      if (!m)
        throw new InputError(
          'cache-markers',
          `line ${i + 1}: "${line.trim()}" is not dot.path=value, e.g. metadata.cacheStatus=hit`
        )
      cacheMarkers.push({ path: m[1]!, value: m[2]!.trim() })
    })
  const maxWarm = read(raw, 'max-warm-latency')
  const enabled = bool(raw, 'verify')
  const minCached = share(raw, 'min-cached')
  if (!enabled && (minCached !== undefined || maxWarm !== '')) {
    throw new InputError(
      minCached !== undefined ? 'min-cached' : 'max-warm-latency',
      'needs verify: true (the verify pass measures it)'
    )
  }
  return {
    enabled,
    cacheMarkers,
    ...(minCached !== undefined ? { minCached } : {}),
    ...(maxWarm !== ''
      ? { maxWarmLatencyMs: duration(raw, 'max-warm-latency', INPUTS['max-warm-latency']) }
      : {})
  }
}

function parseMetrics(raw: Raw, base: URL): MetricsSettings | undefined {
  const metrics = target(raw, 'metrics-path', base, false)
  const hitRateField = fieldPath(raw, 'hit-rate-field')
  const cacheSizeField = fieldPath(raw, 'cache-size-field')
  const thresholds = parseThresholds(raw, hitRateField, cacheSizeField)
  if (thresholds.length > 0 && !metrics) {
    const which =
      read(raw, 'thresholds') !== ''
        ? 'thresholds'
        : read(raw, 'min-hit-rate') !== ''
          ? 'min-hit-rate'
          : 'min-cache-size'
    throw new InputError(
      which,
      'needs metrics-path, the endpoint that reports the cache metrics (e.g. /api/v1/cache/metrics)'
    )
  }
  const timeoutMs = duration(raw, 'poll-timeout', INPUTS['poll-timeout'])
  const pollIntervalMs = duration(raw, 'poll-interval', INPUTS['poll-interval'])
  const stablePolls = integer(raw, 'stable-polls', INPUTS['stable-polls'])
  if (!metrics) return undefined
  // Polls come every poll-interval and once more when poll-timeout runs out: a count that cannot
  // fit can only fail, after the whole warm. Say so now.
  const mostPolls = Math.ceil(timeoutMs / pollIntervalMs) + 1
  if (thresholds.length > 0 && stablePolls > mostPolls)
    throw new InputError(
      'stable-polls',
      `${stablePolls} polls in a row cannot fit in poll-timeout ${formatDuration(timeoutMs)} at poll-interval ${formatDuration(pollIntervalMs)} (at most ${mostPolls} polls); raise poll-timeout to at least ${formatDuration((stablePolls - 1) * pollIntervalMs)} or lower stable-polls`
    )
  return {
    target: metrics,
    thresholds,
    hitRateField,
    cacheSizeField,
    timeoutMs,
    pollIntervalMs,
    stablePolls
  }
}

/** `thresholds` lines, then `min-hit-rate` and `min-cache-size` as the thresholds they mean. */
function parseThresholds(raw: Raw, hitRateField: string, cacheSizeField: string): Threshold[] {
  const thresholds: Threshold[] = []
  read(raw, 'thresholds')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === '' || line.trim().startsWith('#')) return
      const t = parseThreshold(line)
      if (typeof t === 'string') throw new InputError('thresholds', `line ${i + 1}: ${t}`)
      thresholds.push(t)
    })
  const minHitRate = read(raw, 'min-hit-rate')
  if (minHitRate !== '') {
    const t = parseThreshold(`${hitRateField} >= ${minHitRate}`, true)
    if (typeof t === 'string')
      throw new InputError(
        'min-hit-rate',
        `"${minHitRate}" is not a rate; accepted: 0.7, 70% or 70`
      )
    thresholds.push({ ...t, text: `${hitRateField} >= ${minHitRate}` })
  }
  const minSize = read(raw, 'min-cache-size')
  if (minSize !== '') {
    if (!/^\d+$/.test(minSize))
      throw new InputError('min-cache-size', `"${minSize}" is not a whole number of entries`)
    const t = parseThreshold(`${cacheSizeField} >= ${minSize}`)
    if (typeof t === 'string') throw new InputError('min-cache-size', t)
    thresholds.push(t)
  }
  return thresholds
}
