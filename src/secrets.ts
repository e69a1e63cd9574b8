/**
 * Every secret value the action knows (the API key, values of extra headers) lives here, and
 * every text that leaves the action (log, summary, report, outputs, error text) passes through
 * `redact` first.
 */
export const REDACTED = '***'

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
    for (const v of this.values) out = out.split(v).join(REDACTED)
    return out
  }

  /** Redacts every string inside a JSON-able value. */
  redactDeep<T>(value: T): T {
    return JSON.parse(this.redact(JSON.stringify(value))) as T
  }
}
