/**
 * A settled request keeps nothing of its answer alive through the objects that point at it.
 * V8 may pretenure an allocation site (the first `concurrency` requests all survive the first
 * young collection), and then a dead old object that still points at a request's listeners kept
 * the request's body, answer and promise chain alive until the next full collection: at 128
 * requests in flight that was 40 MB of peak RSS on 20,000 endpoints (docs/performance.md). Here
 * node:http's ClientRequest is held on purpose, as such an object would be, and the body must
 * still be collectable.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import http from 'node:http'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { watch } from '../../src/http/in-flight.js'
import { sendOnce } from '../../src/http/request.js'
import { startServer, type LocalServer } from '../support/server.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

let server: LocalServer
beforeAll(async () => {
  server = await startServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' })
    // Two chunks: the first and the rest are both kept until the answer is built.
    res.write('a'.repeat(64 * 1024))
    setTimeout(() => res.end('b'.repeat(64 * 1024)), 5)
  })
})
afterAll(() => server.close())

/** An agent that remembers every ClientRequest it is given. */
function capturingAgent(): { agent: http.Agent; requests: http.ClientRequest[] } {
  // addRequest is how a ClientRequest hands itself to its agent (not in @types/node).
  type Adding = http.Agent & { addRequest(req: http.ClientRequest, options: unknown): void }
  const agent = new http.Agent({ keepAlive: true }) as Adding
  const requests: http.ClientRequest[] = []
  const add = agent.addRequest.bind(agent)
  agent.addRequest = (req, options) => {
    requests.push(req)
    add(req, options)
  }
  return { agent, requests }
}

async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 10 && ref.deref() !== undefined; i++) {
    await new Promise(resolve => setImmediate(resolve))
    gc()
  }
  return ref.deref() === undefined
}

describe('what a settled request leaves behind', () => {
  it("the answer's body is collectable while node:http's request object is still held", async () => {
    const { agent, requests } = capturingAgent()
    let body: WeakRef<object> | undefined
    await (async () => {
      const res = await sendOnce(
        { method: 'GET', url: `${server.origin}/big`, headers: {} },
        { timeoutMs: 5000, maxBodyBytes: 1 << 20, agentFor: () => agent }
      )
      expect(res.bytes).toBe(128 * 1024)
      body = new WeakRef(res.body)
    })()
    expect(requests).toHaveLength(1)
    expect(await collected(body!)).toBe(true)
    // Held to the end: the request object (and its listeners) outlived the answer.
    expect(requests[0]!.destroyed || requests[0]!.writableEnded).toBe(true)
    agent.destroy()
  })

  it('a watch that is done holds nothing its callbacks closed over', async () => {
    let held: WeakRef<object> | undefined
    let stop: (() => void) | undefined
    ;(() => {
      const big = { payload: new Array(10_000).fill(1) }
      held = new WeakRef(big)
      stop = watch(
        60_000,
        undefined,
        () => big.payload.push(2),
        () => big.payload.push(3)
      )
    })()
    // The returned function (what a request keeps) must not keep the callbacks once called.
    stop!()
    expect(await collected(held!)).toBe(true)
    expect(stop).toBeDefined()
  })
})
