import { afterEach, describe, expect, it } from '@jest/globals'
import { watch } from '../../src/http/in-flight.js'

const never = (): void => {
  throw new Error('must not be called')
}
const watchTimeout = (ms: number, onTimeout: () => void): (() => void) =>
  watch(ms, undefined, onTimeout, never)
const watchAbort = (signal: AbortSignal, onAbort: () => void): (() => void) =>
  watch(60_000, signal, never, onAbort)
import { NetworkError, sendOnce } from '../../src/http/request.js'
import { startServer, type LocalServer } from '../support/server.js'

const wait = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

describe('watch: one timer for every request in flight', () => {
  it('never times a request out before its time, and times it out soon after', async () => {
    const started = performance.now()
    const fired = await new Promise<number>(resolve => {
      watchTimeout(80, () => resolve(performance.now() - started))
    })
    expect(fired).toBeGreaterThanOrEqual(80)
    expect(fired).toBeLessThan(400)
  })

  it('times out a short request sent after a long one on time, not at the long one’s time', async () => {
    const stopLong = watchTimeout(10_000, () => {
      throw new Error('the long one must not time out')
    })
    const started = performance.now()
    const fired = await new Promise<number>(resolve => {
      watchTimeout(50, () => resolve(performance.now() - started))
    })
    stopLong()
    expect(fired).toBeGreaterThanOrEqual(50)
    expect(fired).toBeLessThan(1000)
  })

  it('does not time out what finished first, and still times out the others', async () => {
    const fired: string[] = []
    const stopA = watchTimeout(40, () => fired.push('a'))
    watchTimeout(60, () => fired.push('b'))
    stopA()
    await wait(150)
    expect(fired).toEqual(['b'])
  })

  it('leaves no timer behind once nothing is in flight, so the process can exit', async () => {
    const before = process.getActiveResourcesInfo().filter(r => r === 'Timeout').length
    const stops = [5_000, 10_000, 20_000].map(ms => watchTimeout(ms, () => {}))
    expect(process.getActiveResourcesInfo().filter(r => r === 'Timeout').length).toBe(before + 1)
    for (const stop of stops) stop()
    expect(process.getActiveResourcesInfo().filter(r => r === 'Timeout').length).toBe(before)
  })
})

describe('watch: one abort listener per signal', () => {
  it('tells every watched request of the signal once, and none that stopped watching', () => {
    const timers = (): number =>
      process.getActiveResourcesInfo().filter(r => r === 'Timeout').length
    const before = timers()
    const controller = new AbortController()
    const told: number[] = []
    watchAbort(controller.signal, () => told.push(1))
    const stop2 = watchAbort(controller.signal, () => told.push(2))
    watchAbort(controller.signal, () => told.push(3))
    stop2()
    controller.abort()
    controller.abort()
    expect(told).toEqual([1, 3])
    // Told once and no longer watched: no timer left for them either.
    expect(timers()).toBe(before)
  })

  it('keeps signals apart', () => {
    const a = new AbortController()
    const b = new AbortController()
    const told: string[] = []
    watchAbort(a.signal, () => told.push('a'))
    watchAbort(b.signal, () => told.push('b'))
    b.abort()
    expect(told).toEqual(['b'])
    a.abort()
    expect(told).toEqual(['b', 'a'])
  })
})

describe('sendOnce with many requests in flight', () => {
  let server: LocalServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('times out each request on its own timeout and aborts them all on the signal', async () => {
    // /slow never answers; /ok answers at once.
    server = await startServer((req, res) => {
      if (req.url === '/ok') res.end('ok')
    })
    const url = (p: string): string => `${server!.origin}${p}`
    const req = (p: string) => ({ method: 'GET', url: url(p), headers: {} })
    const controller = new AbortController()
    const started = Date.now()
    const long = sendOnce(req('/slow'), {
      timeoutMs: 30_000,
      maxBodyBytes: 1024,
      signal: controller.signal
    }).catch((e: NetworkError) => e)
    const short = sendOnce(req('/slow'), { timeoutMs: 120, maxBodyBytes: 1024 }).catch(
      (e: NetworkError) => e
    )
    const ok = await sendOnce(req('/ok'), {
      timeoutMs: 50,
      maxBodyBytes: 1024,
      signal: controller.signal
    })
    expect(ok.body.toString()).toBe('ok')

    const shortError = await short
    expect(shortError).toBeInstanceOf(NetworkError)
    expect((shortError as NetworkError).kind).toBe('timeout')
    expect((shortError as NetworkError).message).toBe('timed out after 120ms')
    const shortAt = Date.now() - started
    expect(shortAt).toBeGreaterThanOrEqual(120)
    expect(shortAt).toBeLessThan(2000)

    controller.abort()
    const longError = await long
    expect((longError as NetworkError).kind).toBe('aborted')
    expect(Date.now() - started).toBeLessThan(3000)
  })
})
