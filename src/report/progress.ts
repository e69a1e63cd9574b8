import { formatDuration } from '../config/duration.js'
import type { WarmProgress } from '../run-context.js'

/** Where the line is drawn: a terminal (process.stderr when it is a TTY). */
export interface ProgressOut {
  write(text: string): unknown
  /** Width of the terminal: a line longer than it would wrap, and `\r` redraw only one row. */
  readonly columns?: number
}

export interface ProgressOptions {
  readonly now?: () => number
  /** The least time between two redraws. Default 100 ms. */
  readonly everyMs?: number
  /** Applied to the text before it is drawn (the run's redactor). */
  readonly redact?: (text: string) => string
}

/** `Warming: 1200/20000 done, 85 req/s, 3 failed, about 3m28s left`. */
export function progressText(p: WarmProgress, elapsedMs: number): string {
  const rate = p.done > 0 && elapsedMs > 0 ? p.done / (elapsedMs / 1000) : undefined
  const left = p.total - p.done
  return (
    `Warming: ${p.done}/${p.total} done, ` +
    (rate === undefined ? '- req/s' : `${rate < 10 ? rate.toFixed(1) : Math.round(rate)} req/s`) +
    (p.failed ? `, ${p.failed} failed` : '') +
    (rate !== undefined && left > 0 ? `, about ${formatDuration((left / rate) * 1000)} left` : '')
  )
}

/**
 * The CLI's live progress line on a terminal: rewritten in place with `\r`, at most every
 * `everyMs`, and cleared before any other line is printed (clear()) and at the end.
 */
export class ProgressLine {
  private readonly now: () => number
  private readonly everyMs: number
  private readonly redact: (text: string) => string
  private startedAt: number | undefined
  private drawnAt = Number.NEGATIVE_INFINITY
  private shown = false

  constructor(
    private readonly out: ProgressOut,
    opts: ProgressOptions = {}
  ) {
    this.now = opts.now ?? Date.now
    this.everyMs = opts.everyMs ?? 100
    this.redact = opts.redact ?? (text => text)
  }

  /** Told after each finished endpoint; draws when the last draw is old enough, or at the end. */
  update(p: WarmProgress): void {
    const now = this.now()
    this.startedAt ??= now
    if (now - this.drawnAt < this.everyMs && p.done < p.total) return
    this.drawnAt = now
    let text = this.redact(progressText(p, now - this.startedAt))
    const width = this.out.columns
    if (width !== undefined && width > 1 && text.length >= width) text = text.slice(0, width - 1)
    this.out.write(`\r${text}\x1b[K`)
    this.shown = true
  }

  /** Wipes the line, if it is shown; the next update draws it again at once. */
  clear(): void {
    if (!this.shown) return
    this.out.write('\r\x1b[K')
    this.shown = false
    this.drawnAt = Number.NEGATIVE_INFINITY
  }
}
