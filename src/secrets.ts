/**
 * Every secret value the action knows (the API key, the GitHub token, the values of secret
 * headers) lives here, and every text that leaves the action (log, summary, report, outputs,
 * check run, PR comment, error text) passes through a Redactor first.
 *
 * Redaction works on text and on the string leaves of plain data, never on serialized
 * structure: a secret that happens to equal a word of the report ("passed", "1", "step") can
 * blank that word in free text, but it can never rename a field, change a verdict or make the
 * report unparseable. Nothing here throws: a redaction that fails hides the whole text.
 */
import type { RawInputs } from './config/settings.js'
import { CLOSED_SET_FIELDS, PHASE_NAMES } from './result.js'

export const REDACTED = '***'
/** The shortest start of a secret, cut off by "...", that is still redacted. */
const MIN_PART = 6
/**
 * Secrets shorter than this are not also redacted in another case (lower, upper or mixed: a
 * server that upper-cases what it echoes): too many ordinary words would go.
 */
const MIN_LOWERED = 8
/**
 * A secret-named header's value shorter than this is not a secret: `X-Cache-Key-Version: 2`
 * would otherwise mask every "2" in the job's log (the runner's masking is job-wide). As
 * google-github-actions do with min_mask_length; the API key itself is always a secret.
 */
export const MIN_HEADER_SECRET = 4

/**
 * Header names whose values are always secrets: `Authorization`, `Cookie`, anything with key,
 * token, secret, password, auth, session, signature, credential or bypass in its name
 * (`X-API-Key`, `X-Auth-Token`, `CF-Access-Client-Secret`, `x-vercel-protection-bypass`), and
 * Cloudflare Access's `CF-Access-Client-Id`, half of a service token.
 */
const SECRET_HEADER_NAME =
  /authorization|cookie|key|token|secret|passw|auth|session|signature|credential|bypass|^cf-access-client-id$/i

/** A value long enough and random-looking enough to be a secret whatever its header's name. */
function looksLikeSecret(value: string): boolean {
  return value.length >= 20 && !/\s/.test(value) && /[A-Za-z]/.test(value) && /\d/.test(value)
}

/**
 * Secret-named headers whose documented values are public words: Vercel's
 * `x-vercel-set-bypass-cookie: true` (or `samesitenone`) carries no secret, and masking `true`
 * would blank that word in every log line of the job. Any other value is still a secret.
 */
const FLAG_HEADERS: Readonly<Record<string, readonly string[]>> = {
  'x-vercel-set-bypass-cookie': ['true', 'samesitenone']
}

/**
 * Whether a header's value is treated as a secret: masked with core.setSecret and redacted
 * everywhere. `X-Debug: 1` or `Accept-Language: en` are not, so they blank nothing.
 */
export function isSecretHeader(name: string, value: string): boolean {
  if (value.trim().length < MIN_HEADER_SECRET) return false
  const flags = FLAG_HEADERS[name.trim().toLowerCase()]
  if (flags?.includes(value.trim().toLowerCase())) return false
  return SECRET_HEADER_NAME.test(name.trim()) || looksLikeSecret(value)
}

/** The secret values among headers. */
export function secretHeaderValues(headers: Readonly<Record<string, string>>): string[] {
  return Object.entries(headers)
    .filter(([name, value]) => isSecretHeader(name, value))
    .map(([, value]) => value)
}

/**
 * Secret values in the raw inputs, found before any validation so that even an error message
 * about a bad input cannot show them: the key, the GitHub token, secret `headers` values.
 */
export function rawSecrets(raw: RawInputs): string[] {
  const found: string[] = []
  const key = raw['api-key']?.trim()
  if (key) found.push(key)
  const token = raw['github-token']?.trim()
  if (token) found.push(token)
  for (const line of (raw.headers ?? '').split(/\r?\n/)) {
    if (line.trim().startsWith('#')) continue
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const value = line.slice(colon + 1).trim()
    if (isSecretHeader(line.slice(0, colon), value)) found.push(value)
  }
  return found
}

/** What parsed settings hold that is secret, endpoint-level headers included. */
export interface SecretBearing {
  readonly deployment: {
    readonly apiKey?: string
    readonly headers: Readonly<Record<string, string>>
  }
  readonly github: { readonly token?: string }
  readonly warm: {
    readonly endpoints: readonly { readonly headers: Readonly<Record<string, string>> }[]
  }
}

export function settingsSecrets(settings: SecretBearing): string[] {
  const found = new Set<string>()
  if (settings.deployment.apiKey) found.add(settings.deployment.apiKey)
  if (settings.github.token) found.add(settings.github.token)
  for (const v of secretHeaderValues(settings.deployment.headers)) found.add(v)
  for (const ep of settings.warm.endpoints)
    for (const v of secretHeaderValues(ep.headers)) found.add(v)
  return [...found]
}

// Percent-encode sets of the WHATWG URL standard, as the URL parser applies them to the parts
// of a URL (a redirect's Location is shown as the parser wrote it), and as the encoders use.
const C0 = (c: number): boolean => c < 0x20 || c > 0x7e
const FRAGMENT = new Set(' "<>`')
const QUERY = new Set(' "#<>')
const SPECIAL_QUERY = new Set([...QUERY, "'"])
const PATH = new Set([...QUERY, '?', '^', '`', '{', '}'])
const PATH_OLD = new Set([...QUERY, '?', '`', '{', '}'])
const USERINFO = new Set([...PATH, '/', ':', ';', '=', '@', '[', '\\', ']', '|'])
const COMPONENT = new Set([...USERINFO, '$', '%', '&', '+', ','])
const FORM = new Set([...COMPONENT, '!', "'", '(', ')', '~'])

function percentEncode(text: string, set: ReadonlySet<string>, spaceAsPlus = false): string {
  let out = ''
  for (const ch of text) {
    const c = ch.codePointAt(0)!
    if (spaceAsPlus && ch === ' ') out += '+'
    else if (C0(c) || set.has(ch))
      for (const b of Buffer.from(ch, 'utf8'))
        out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`
    else out += ch
  }
  return out
}

/**
 * Every readable form the action itself can produce from a secret: raw, JSON-escaped,
 * percent-encoded by encodeURIComponent, encodeURI, URLSearchParams and each part of the URL
 * parser (lower-case hex too), lower-cased as the URL parser writes a host, and after the
 * action's own whitespace collapsing.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>()
  const collapsed = secret.replace(/\s+/g, ' ').trim()
  // What the URL parser makes of it before encoding: tabs and newlines dropped, the ends
  // stripped of controls and spaces, and (in http(s) paths) a backslash read as a slash.
  const parsed = stripEnds(secret.replace(/[\t\n\r]/g, ''))
  const variants = [secret, collapsed, parsed, parsed.replace(/\\/g, '/')]
  // The URL parser lower-cases a host: a key sent back as `http://<key>.example/` shows so.
  if (secret.length >= MIN_LOWERED) variants.push(secret.toLowerCase(), secret.toUpperCase())
  for (const s of new Set(variants)) {
    if (!s) continue
    forms.add(s)
    forms.add(JSON.stringify(s).slice(1, -1))
    forms.add(JSON.stringify(JSON.stringify(s).slice(1, -1)).slice(1, -1))
    const encoded = [
      safe(() => encodeURIComponent(s)),
      safe(() => encodeURI(s)),
      percentEncode(s, FRAGMENT),
      percentEncode(s, QUERY),
      percentEncode(s, SPECIAL_QUERY),
      percentEncode(s, PATH),
      percentEncode(s, PATH_OLD),
      percentEncode(s, USERINFO),
      percentEncode(s, COMPONENT),
      percentEncode(s, FORM, true)
    ]
    for (const e of encoded) {
      if (!e) continue
      forms.add(e)
      forms.add(e.replace(/%[0-9A-F]{2}/g, m => m.toLowerCase()))
    }
  }
  forms.delete('')
  return [...forms]
}

/** Drops leading and trailing C0 controls and spaces, as the URL parser does. */
function stripEnds(text: string): string {
  let from = 0
  let to = text.length
  while (from < to && text.charCodeAt(from) <= 0x20) from++
  while (to > from && text.charCodeAt(to - 1) <= 0x20) to--
  return text.slice(from, to)
}

function safe(fn: () => string): string {
  try {
    return fn()
  } catch {
    // encodeURIComponent throws on a lone surrogate: that form cannot be produced then.
    return ''
  }
}

// A secret that equals "failed" must not turn `outcome: "failed"` into `outcome: "***"`.
const STRUCTURAL = CLOSED_SET_FIELDS
const PHASES: ReadonlySet<string> = new Set(PHASE_NAMES)

/** Secrets shorter than this are not matched across whitespace (too many false matches). */
const MIN_SPACED = 8

/**
 * A pattern for a secret that the server split with whitespace (`sk_live_ab\n    cd12`), which
 * the action's own collapsing then shows as `sk_live_ab cd12`. Linear: between two non-space
 * characters `\s*`, a run of whitespace in the secret itself `\s+`, never both side by side.
 */
function spacedPattern(secret: string): RegExp | undefined {
  const parts = secret.trim().split(/(\s+)/)
  let source = ''
  for (const part of parts) {
    if (part === '') continue
    if (/^\s+$/.test(part)) source += '\\s+'
    else
      source +=
        (source !== '' && !source.endsWith('\\s+') ? '\\s*' : '') +
        [...part].map(ch => ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('\\s*')
  }
  try {
    return source ? new RegExp(source, 'g') : undefined
  } catch {
    return undefined
  }
}

export class Redactor {
  private values: string[] = []
  private spaced: RegExp[] = []
  /** Each long enough secret in any case, for a server that changes its case when echoing. */
  private folded: RegExp[] = []

  constructor(secrets: Iterable<string> = []) {
    for (const s of secrets) this.add(s)
  }

  add(secret: string | undefined): void {
    if (!secret) return
    const known = new Set(this.values)
    for (const form of secretForms(secret)) if (!known.has(form)) this.values.push(form)
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) {
      const pattern = form.trim().length >= MIN_SPACED ? spacedPattern(form) : undefined
      if (pattern) this.spaced.push(pattern)
    }
    if (secret.length >= MIN_LOWERED)
      for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)]))
        this.folded.push(new RegExp(form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'))
    // Longest first, so a secret that contains another is replaced whole.
    this.values.sort((a, b) => b.length - a.length)
  }

  /** Every form redacted, longest first (to mask them on the runner too). */
  get secrets(): readonly string[] {
    return this.values
  }

  /** Redacts a text. Never throws: if anything goes wrong, the whole text is hidden. */
  redact(text: string): string {
    if (this.values.length === 0) return text
    try {
      let out = String(text)
      // `includes` first: a report of 50,000 endpoints is megabytes, and copying it per secret
      // form when the secret is not there is most of the peak memory at the end of a run.
      for (const v of this.values) if (out.includes(v)) out = out.split(v).join(REDACTED)
      // A secret the server split with whitespace, whole again once the whitespace is read past.
      if (/\s/.test(out)) for (const p of this.spaced) out = out.replace(p, REDACTED)
      for (const p of this.folded) out = out.replace(p, REDACTED)
      return out.includes('...') || out.includes('…') ? this.redactCutOff(out) : out
    } catch {
      return REDACTED
    }
  }

  /**
   * Text shortened to fit by someone else (the server's own `"bad key sk_live_ab..."`) can end
   * inside a secret, and the part before the cut is still a secret: a secret's start of
   * MIN_PART characters or more that runs straight into "..." or "…" is replaced too. The
   * action's own shortening redacts before it cuts (`clip`).
   */
  private redactCutOff(text: string): string {
    let out = ''
    let from = 0
    for (const m of text.matchAll(/\.\.\.|…/g)) {
      const at = m.index
      let cut = 0
      for (const v of this.values) {
        for (let n = Math.min(v.length - 1, at - from); n >= MIN_PART && n > cut; n--) {
          if (text.startsWith(v.slice(0, n), at - n)) {
            cut = n
            break
          }
        }
      }
      out += text.slice(from, at - cut) + (cut > 0 ? REDACTED : '')
      from = at
    }
    return out + text.slice(from)
  }

  /**
   * A copy of plain data (a result) with every string value redacted. Field names, numbers,
   * booleans and the closed-set fields (STRUCTURAL) are kept as they are. Iterative, so no
   * depth of data can overflow the stack; never throws.
   */
  redactDeep<T>(value: T): T {
    if (this.values.length === 0) return value
    const leaf = (key: string, v: unknown): unknown => {
      if (typeof v !== 'string') return v
      if (STRUCTURAL.has(key) || (key === 'name' && PHASES.has(v))) return v
      return this.redact(v)
    }
    const copy = (v: unknown): unknown =>
      Array.isArray(v) ? new Array<unknown>(v.length) : v && typeof v === 'object' ? {} : v
    const root = copy(value)
    if (root === value) return leaf('', value) as T
    const seen = new Map<object, unknown>([[value as object, root]])
    const stack: [unknown, Record<string, unknown> | unknown[]][] = [
      [value, root as Record<string, unknown>]
    ]
    while (stack.length > 0) {
      const [from, to] = stack.pop()!
      for (const [k, v] of Object.entries(from as object)) {
        let out: unknown
        if (v && typeof v === 'object') {
          out = seen.get(v)
          if (out === undefined) {
            out = copy(v)
            seen.set(v, out)
            stack.push([v, out as Record<string, unknown>])
          }
        } else out = leaf(Array.isArray(from) ? '' : k, v)
        // Defined, not assigned: a field named `__proto__` is data here, not a prototype.
        Object.defineProperty(to, k, {
          value: out,
          enumerable: true,
          writable: true,
          configurable: true
        })
      }
    }
    return root as T
  }
}

/** Text cut to `max` characters with "..." after it has been redacted, never before. */
export function clip(text: string, max: number, redact: (s: string) => string = s => s): string {
  const safe = redact(text)
  return safe.length > max ? `${safe.slice(0, max - 3)}...` : safe
}
