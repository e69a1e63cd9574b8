import type { Clock } from '../../src/http/retry.js'

/**
 * A clock for tests: `sleep` records the delay and moves time forward at once, so retry and
 * deadline tests run in milliseconds. `random` returns the given values in turn (last repeats).
 */
export class FakeClock implements Clock {
  readonly sleeps: number[] = []
  private randoms: number[]

  constructor(
    private time = Date.UTC(2025, 0, 1),
    randoms: number[] = [0.5]
  ) {
    this.randoms = [...randoms]
  }

  now(): number {
    return this.time
  }

  private timers: { at: number; fn: () => void }[] = []

  advance(ms: number): void {
    this.time += ms
    this.fireDue()
  }

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.time + Math.max(0, ms), fn }
    this.timers.push(timer)
    return () => {
      this.timers = this.timers.filter(t => t !== timer)
    }
  }

  /** Runs, in time order, every timer whose time has come. */
  private fireDue(): void {
    const due = this.timers.filter(t => t.at <= this.time).sort((a, b) => a.at - b.at)
    this.timers = this.timers.filter(t => t.at > this.time)
    for (const t of due) t.fn()
  }

  // Plain methods on purpose: a Clock may be a class, so the code under test must not call
  // `clock.random` or `clock.now` unbound.
  random(): number {
    return this.randoms.length > 1 ? (this.randoms.shift() as number) : (this.randoms[0] ?? 0.5)
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms)
    if (signal?.aborted) return
    this.time += ms
    this.fireDue()
  }
}
