/**
 * Round 2: the verdict. docs/verdict.md: "a 2xx JSON answer does not say, at its top level, that
 * it failed: success: false ..." and the verify pass reads X-Cache for whether an answer "came
 * from cache". Ordinary servers write JSON with a UTF-8 byte order mark (many .NET and PHP stacks
 * do) or with leading whitespace from a template; CloudFront writes "RefreshHit from cloudfront"
 * for an object served from its cache after a revalidation (what CF-Cache-Status calls
 * REVALIDATED, which the action does count as cached).
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { ensureBuilt } from '../../support/run-action.js'
import { runDist, serve, type Server } from '../../support/round2.js'

ensureBuilt()
const KEY = 'sk_live_R2verKey_1a2b3c4d5e6f'
let servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.map(s => s.close()))
  servers = []
})

async function answering(
  body: Buffer | string,
  headers: Record<string, string> = {}
): Promise<Server> {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')
  const s = await serve((req, res) => {
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(buf.length),
      ...headers
    })
    res.end(buf)
  })
  servers.push(s)
  return s
}

describe('never green when the answer says it failed', () => {
  it('200 application/json with a UTF-8 BOM and {"success": false} fails the endpoint', async () => {
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify({ success: false, message: 'upstream down', data: null }))
    ])
    const s = await answering(body)
    const run = await runDist({
      url: s.origin,
      'api-key': KEY,
      endpoints: '- /api/report',
      retries: '0'
    })
    expect({ code: run.code, result: run.outputs.result, failed: run.outputs.failed }).toEqual({
      code: 1,
      result: 'failed',
      failed: '1'
    })
  })

  it('200 application/json with 64 spaces of indentation before {"success": false} fails the endpoint', async () => {
    const s = await answering(
      `${' '.repeat(64)}{"success": false, "error": "database unavailable"}`
    )
    const run = await runDist({
      url: s.origin,
      'api-key': KEY,
      endpoints: '- /api/report',
      retries: '0'
    })
    expect({ code: run.code, result: run.outputs.result, failed: run.outputs.failed }).toEqual({
      code: 1,
      result: 'failed',
      failed: '1'
    })
  })
})

describe('never red on a healthy cache', () => {
  it('CloudFront "X-Cache: RefreshHit from cloudfront" on the verify pass counts as served from cache', async () => {
    let n = 0
    const s = await serve((req, res) => {
      n++
      const body = JSON.stringify({ success: true, data: [{ price: 1 }] })
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(body)),
        'X-Cache': n === 1 ? 'Miss from cloudfront' : 'RefreshHit from cloudfront'
      })
      res.end(body)
    })
    servers.push(s)
    const run = await runDist({
      url: s.origin,
      'api-key': KEY,
      endpoints: '- /api/symbols',
      'min-cached': '100%',
      retries: '0'
    })
    const entries = run.report?.verify?.entries.map(e => `${e.path}: ${e.state}`)
    expect({ result: run.outputs.result, entries }).toEqual({
      result: 'passed',
      entries: ['/api/symbols: cached']
    })
  })
})
