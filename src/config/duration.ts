const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const SINGLE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i
// What formatDuration writes back: 1h30m, 2m30s, each unit at most once, largest first.
const COMPOUND = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/i

export const DURATION_HELP =
  'a duration such as 500ms, 10s, 2m, 1h, 1m30s or a bare number of seconds'

/** Parses `500ms`, `10s`, `2m`, `1h`, `1m30s` or bare seconds into milliseconds; undefined when invalid. */
export function parseDuration(raw: string): number | undefined {
  const text = raw.trim()
  const m = SINGLE.exec(text)
  if (m) {
    const ms = Math.round(Number(m[1]) * (UNITS[(m[2] ?? 's').toLowerCase()] ?? 1000))
    return Number.isFinite(ms) ? ms : undefined
  }
  const c = COMPOUND.exec(text)
  if (!c || text === '') return undefined
  const [h, min, s, ms] = c.slice(1).map(v => Number(v ?? 0)) as [number, number, number, number]
  return h * UNITS.h! + min * UNITS.m! + s * UNITS.s! + ms
}

/** Formats milliseconds for people: 850ms, 1.2s, 2m, 2m30s. */
export function formatDuration(ms: number): string {
  // Rounded first, then split: 59,950 ms is 1m, never 60.0s; 119,500 ms is 2m, never 1m60s.
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`
  const tenths = Math.round(ms / 100) / 10
  if (tenths < 60) return `${Number.isInteger(tenths) ? tenths : tenths.toFixed(1)}s`
  const secs = Math.round(ms / 1000)
  if (secs < 3600) {
    const m = Math.floor(secs / 60)
    const s = secs % 60
    return s === 0 ? `${m}m` : `${m}m${s}s`
  }
  const mins = Math.round(ms / 60_000)
  const h = Math.floor(mins / 60)
  const m = mins % 60
  return m === 0 ? `${h}h` : `${h}h${m}m`
}
