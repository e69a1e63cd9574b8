import { looksLikeRate } from './rates.js'

export const OPERATORS = ['>=', '<=', '==', '>', '<'] as const
export type Operator = (typeof OPERATORS)[number]

/** One gate on the metrics: `cacheStats.l1Size >= 100`, `l1Stats.hitRate >= 70%`. */
export interface Threshold {
  /** As written, for people. */
  readonly text: string
  readonly path: string
  readonly op: Operator
  /** The target on the comparison scale (a 0-1 fraction for rates). */
  readonly target: number
  readonly rate: boolean
}

const LINE = /^([A-Za-z_$][\w$-]*(?:\.[\w$-]+)*)\s*(>=|<=|==|>|<)\s*(-?\d+(?:\.\d+)?)\s*(%?)$/

/**
 * Parses one threshold line; returns an error phrase instead of throwing. A target with `%`,
 * or on a field named like a rate, is a rate: `0.7`, `70%` and `70` all mean 70 %.
 */
export function parseThreshold(line: string, forceRate = false): Threshold | string {
  const m = LINE.exec(line.trim())
  if (!m)
    return `"${line.trim()}" is not "dot.path OP number" (OP one of ${OPERATORS.join(' ')}), e.g. cacheStats.l1Size >= 100`
  const [, path, op, num, pct] = m as unknown as [string, string, Operator, string, string]
  const rate = forceRate || pct === '%' || looksLikeRate(path)
  let target = Number(num)
  if (rate) {
    if (pct === '%' || target > 1) target = target / 100
    if (target < 0 || target > 1)
      return `"${line.trim()}": a rate must be between 0 and 1 (or 0 % and 100 %)`
  }
  return { text: line.trim(), path, op, target, rate }
}

export function holds(value: number, op: Operator, target: number): boolean {
  const eps = 1e-9
  switch (op) {
    case '>=':
      return value >= target - eps
    case '>':
      return value > target + eps
    case '<=':
      return value <= target + eps
    case '<':
      return value < target - eps
    case '==':
      return Math.abs(value - target) <= eps
  }
}
