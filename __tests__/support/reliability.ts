/**
 * Figures the reliability suite measures (time against budget, peak RSS), kept only when
 * RELIABILITY_REPORT names a directory: `npm run reliability` sets it, collects the fragments and
 * writes docs/reliability.md (scripts/reliability.js). A normal `npm test` writes nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export interface FaultFigure {
  /** What was thrown at the action. */
  readonly fault: string
  /** `in-process` (main/runAll) or `dist` (dist/index.js as a runner runs it). */
  readonly via: 'in-process' | 'dist'
  readonly timeout: string
  readonly deadline: string
  readonly failOn: string
  /** The bound the test asserts. */
  readonly budgetMs: number
  readonly tookMs: number
  /** How far past the deadline the run went (0 when it ended before). */
  readonly overrunMs: number
  /** The cause the report gave the faulty endpoint (or phase). */
  readonly cause: string
  readonly step: string
}

export interface Fragment {
  readonly section: string
  readonly rows: readonly Record<string, string | number>[]
  readonly note?: string
}

export const RELIABILITY_DIR = process.env.RELIABILITY_REPORT

/** Keeps a table for docs/reliability.md when the suite runs under `npm run reliability`. */
export function recordFigures(name: string, fragment: Fragment): void {
  if (!RELIABILITY_DIR) return
  mkdirSync(RELIABILITY_DIR, { recursive: true })
  writeFileSync(path.join(RELIABILITY_DIR, `${name}.json`), JSON.stringify(fragment, null, 2))
}
