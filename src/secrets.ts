/**
 * Every secret value the action knows (the API key, values of extra headers) lives here, and
 * every text that leaves the action (log, summary, report, outputs, error text) passes through
 * `redact` first.
 */
import type { RawInputs } from './config/settings.js'

export const REDACTED = '***'
/** The shortest start of a secret, cut off by "...", that is still redacted. */
const MIN_PART = 6

export class Redactor {
  private readonly values: string[] = []

  constructor(secrets: Iterable<string> = []) {
    for (const s of secrets) this.add(s)
  }

  add(secret: string | undefined): void {
    if (!secret) return
    for (const form of new Set([
      secret,
      encodeURIComponent(secret),
      JSON.stringify(secret).slice(1, -1)
    ])) {
      if (form && !this.values.includes(form)) this.values.push(form)
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.values.sort((a, b) => b.length - a.length)
  }

  get secrets(): readonly string[] {
    return this.values
  }

  redact(text: string): string {
    let out = text
    // `includes` first: a report of 50,000 endpoints is megabytes, and copying it per secret
    // form when the secret is not there is most of the peak memory at the end of a run.
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(REDACTED)
    return out.includes('...') || out.includes('…') ? this.redactCutOff(out) : out
  }

  /**
   * Text shortened to fit (`server said: "bad key sk_live_ab..."`) can end inside a secret, and
   * the part before the cut is still a secret: a secret's start of MIN_PART characters or more
   * that runs straight into "..." or "…" is replaced too.
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

  /** Redacts every string inside a JSON-able value. */
  redactDeep<T>(value: T): T {
    return JSON.parse(this.redact(JSON.stringify(value))) as T
  }
}

/**
 * Secret values in the raw inputs, found before any validation so that even an error message
 * about a bad input cannot show them: the key and every value of `headers`.
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
    const value = colon > 0 ? line.slice(colon + 1).trim() : ''
    if (value) found.push(value)
  }
  return found
}
