import { InputError } from '../errors.js'
import { parseThreshold, type Threshold } from '../metrics/thresholds.js'
import { defaultsOf, INPUTS } from './defaults.js'
import {
  headerValueProblem,
  METHODS,
  resolvePath,
  VERSION_OVERRIDE_HEADER,
  type Method
} from './endpoints.js'
import { bool, duration, read, withInputName } from './read.js'

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

/** Settings of the phases around warming: wait, trigger, verify, metrics. */
export interface PhaseSettings {
  readonly waitFor?: Target
  readonly waitForVersion?: VersionCheck
  readonly waitTimeoutMs: number
  readonly pollIntervalMs: number
  readonly versionOverride?: string
  readonly warmupTrigger?: Target
  readonly warmupTriggerRequired: boolean
  readonly verify: boolean
  readonly cacheMarkers: readonly CacheMarker[]
  /** Share (0-1) of verified endpoints that must be served from cache. */
  readonly minCached?: number
  readonly maxWarmLatencyMs?: number
  readonly metrics?: Target
  readonly thresholds: readonly Threshold[]
  readonly hitRateField: string
  readonly cacheSizeField: string
  readonly pollTimeoutMs: number
}

export const PHASE_INPUTS = [
  'wait-for',
  'wait-for-version',
  'wait-timeout',
  'poll-interval',
  'version-override',
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
  'poll-timeout'
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

export function parseVersionCheck(text: string): VersionCheck | string {
  const t = text.trim()
  const header = /^header:\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(.+)$/i.exec(t)
  if (/^header:/i.test(t))
    return header
      ? { kind: 'header', name: header[1]!, value: header[2]!.trim(), text: t }
      : `"${t}" is not header:Name=value`
  if (/^text:/i.test(t)) return { kind: 'text', value: t.slice(5).trim(), text: t }
  const json = /^(?:json:)?([A-Za-z_$][\w$-]*(?:\.[\w$-]+)*)\s*=\s*(.+)$/.exec(t)
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
  const waitFor = target(raw, 'wait-for', base, false)
  const versionText = read(raw, 'wait-for-version')
  let waitForVersion: VersionCheck | undefined
  if (versionText !== '') {
    if (!waitFor)
      throw new InputError(
        'wait-for-version',
        'needs wait-for, the path whose answer shows the version (e.g. /health)'
      )
    const parsed = parseVersionCheck(versionText)
    if (typeof parsed === 'string')
      throw new InputError(
        'wait-for-version',
        `${parsed}; accepted: path=value (a JSON field), header:Name=value, or plain text`
      )
    waitForVersion = parsed
  }
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

  const metrics = target(raw, 'metrics-path', base, false)
  const hitRateField = fieldPath(raw, 'hit-rate-field')
  const cacheSizeField = fieldPath(raw, 'cache-size-field')
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
  if (thresholds.length > 0 && !metrics) {
    const which =
      read(raw, 'thresholds') !== ''
        ? 'thresholds'
        : minHitRate !== ''
          ? 'min-hit-rate'
          : 'min-cache-size'
    throw new InputError(
      which,
      'needs metrics-path, the endpoint that reports the cache metrics (e.g. /api/v1/cache/metrics)'
    )
  }

  const maxWarm = read(raw, 'max-warm-latency')
  const verify = bool(raw, 'verify')
  const minCached = share(raw, 'min-cached')
  if (!verify && (minCached !== undefined || maxWarm !== '')) {
    throw new InputError(
      minCached !== undefined ? 'min-cached' : 'max-warm-latency',
      'needs verify: true (the verify pass measures it)'
    )
  }
  return {
    ...(waitFor ? { waitFor } : {}),
    ...(waitForVersion ? { waitForVersion } : {}),
    waitTimeoutMs: duration(raw, 'wait-timeout', INPUTS['wait-timeout']),
    pollIntervalMs: duration(raw, 'poll-interval', INPUTS['poll-interval']),
    ...(versionOverride ? { versionOverride } : {}),
    ...(() => {
      const t = target(raw, 'warmup-trigger', base, true)
      return t ? { warmupTrigger: t } : {}
    })(),
    warmupTriggerRequired: bool(raw, 'warmup-trigger-required'),
    verify,
    cacheMarkers,
    ...(minCached !== undefined ? { minCached } : {}),
    ...(maxWarm !== ''
      ? { maxWarmLatencyMs: duration(raw, 'max-warm-latency', INPUTS['max-warm-latency']) }
      : {}),
    ...(metrics ? { metrics } : {}),
    thresholds,
    hitRateField,
    cacheSizeField,
    pollTimeoutMs: duration(raw, 'poll-timeout', INPUTS['poll-timeout'])
  }
}
