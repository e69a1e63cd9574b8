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
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) {
    const s = ms / 1000
    return `${Number.isInteger(s) ? s : s.toFixed(1)}s`
  }
  if (ms < 3_600_000) {
    const m = Math.floor(ms / 60_000)
    const s = Math.round((ms % 60_000) / 1000)
    return s === 0 ? `${m}m` : `${m}m${s}s`
  }
  const h = Math.floor(ms / 3_600_000)
  const m = Math.round((ms % 3_600_000) / 60_000)
  return m === 0 ? `${h}h` : `${h}h${m}m`
}
