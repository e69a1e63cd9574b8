/**
 * Round 2: a form of the key the action itself produces. When a redirect leaves the deployment,
 * the action shows where it pointed "as its origin only" (src/http/redirect.ts). The WHATWG URL
 * parser lower-cases a host, so a Location whose host label is the key (which the deployment
 * received, and can echo) is shown with the key lower-cased: readable, and not among the forms
 * the redactor knows (it matches case-sensitively). Same for a sitemap <loc> on another origin
 * (shown as "e.g. <origin>"). Promise 3: the key never appears in any readable form.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { ensureBuilt } from '../../support/run-action.js'
import { runDist, serve, type Server } from '../../support/round2.js'

ensureBuilt()
// Mixed case, as most generated keys are; a host label may be up to 63 characters.
const KEY = 'Kx9PqR7tWm2ZbN4vLs8DyH3c'
let servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.map(s => s.close()))
  servers = []
})

/** Artifacts (minus the runner's own ::add-mask:: lines) that hold the key in any letter case. */
function holdingKeyAnyCase(run: {
  stdout: string
  stderr: string
  summary: string
  outputFile: string
  reportFile: string
}): string[] {
  const lower = KEY.toLowerCase()
  const texts: Record<string, string> = {
    stdout: run.stdout
      .split('\n')
      .filter(l => !l.startsWith('::add-mask::'))
      .join('\n'),
    stderr: run.stderr,
    summary: run.summary,
    outputs: run.outputFile,
    report: run.reportFile
  }
  return Object.entries(texts)
    .filter(([, t]) => t.toLowerCase().includes(lower))
    .map(([name]) => name)
}

describe('the key, lower-cased by the URL parser, is still the key', () => {
  it('a redirect to http://<key>.example.invalid/ shows no form of the key', async () => {
    const s = await serve((req, res) => {
      const got = String(req.headers['x-api-key'] ?? '')
      res.writeHead(302, {
        Location: `http://${got}.example.invalid/landing`,
        'Content-Length': '0'
      })
      res.end()
    })
    servers.push(s)
    const run = await runDist({
      url: s.origin,
      'api-key': KEY,
      endpoints: '- /api/a',
      retries: '0'
    })
    expect(run.outputs.result).toBe('failed')
    expect(holdingKeyAnyCase(run)).toEqual([])
  })

  it('a sitemap <loc> on http://<key>.example.invalid shows no form of the key', async () => {
    const s = await serve((req, res) => {
      const got = String(req.headers['x-api-key'] ?? '')
      const xml = `<?xml version="1.0"?><urlset><url><loc>http://${got}.example.invalid/p</loc></url></urlset>`
      res.writeHead(200, {
        'Content-Type': 'application/xml',
        'Content-Length': String(Buffer.byteLength(xml))
      })
      res.end(xml)
    })
    servers.push(s)
    const run = await runDist({
      url: s.origin,
      'api-key': KEY,
      sitemap: '/sitemap.xml',
      retries: '0'
    })
    expect(run.outputs.result).toBe('failed')
    expect(holdingKeyAnyCase(run)).toEqual([])
  })
})
