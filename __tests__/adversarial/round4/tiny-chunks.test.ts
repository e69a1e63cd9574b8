/**
 * A server that sends its body one byte at a time (Nagle off, a write per byte) must not make
 * the body cost more than its bytes. Kept as a list of chunks, each 1-byte chunk cost about 210
 * bytes of live heap: a 5 MiB body would have been over 1 GB, per request in flight. Now the
 * chunks after the first are copied into one buffer that doubles up to the cap.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { sendOnce } from '../../../src/http/request.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const CHUNKS = 40_000
let server: net.Server
let origin = ''
/** Resumes the body after the server paused half way. */
let resume: (() => void) | undefined
let halfWay: Promise<void>

beforeAll(async () => {
  let half!: () => void
  halfWay = new Promise(resolve => (half = resolve))
  server = net.createServer(socket => {
    socket.setNoDelay(true)
    socket.once('data', () => {
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n'
      )
      let sent = 0
      const next = (): void => {
        if (socket.destroyed) return
        if (sent === CHUNKS) {
          socket.end('0\r\n\r\n')
          return
        }
        if (sent === CHUNKS / 2 && !resume) {
          resume = () => setImmediate(next)
          // Time for the client to read what is in flight.
          setTimeout(half, 200)
          return
        }
        sent++
        // One byte a write, each written before the next: the client reads them one by one.
        socket.write('1\r\nx\r\n', () => setImmediate(next))
      }
      next()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>(resolve => server.close(() => resolve())))

const live = (): number => {
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

describe('a body sent one byte at a time', () => {
  it('costs about its bytes while it is read, not hundreds of bytes a chunk', async () => {
    const before = live()
    const answer = sendOnce(
      { method: 'GET', url: `${origin}/trickle`, headers: {} },
      { timeoutMs: 30_000, maxBodyBytes: 5 * 1024 * 1024 }
    )
    await halfWay
    // 20,000 one-byte chunks read so far: a list of them was about 4.2 MB here.
    const grown = live() - before
    resume!()
    const res = await answer
    expect(res.bytes).toBe(CHUNKS)
    expect(res.body.toString()).toBe('x'.repeat(CHUNKS))
    expect(grown).toBeLessThan(1.5 * 1024 * 1024)
  }, 30_000)
})
