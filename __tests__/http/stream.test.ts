import { afterEach, describe, expect, it } from '@jest/globals'
import { FetchError, openStream } from '../../src/http/stream.js'
import { startServer, type LocalServer } from '../support/server.js'
import { settingsFrom } from '../support/settings.js'

const KEY = 'sk_live_STREAMKEY_42aa'
let servers: LocalServer[] = []
afterEach(async () => {
  await Promise.all(servers.map(s => s.close()))
  servers = []
})

async function serve(handler: Parameters<typeof startServer>[0]): Promise<LocalServer> {
  const s = await startServer(handler)
  servers.push(s)
  return s
}

describe('openStream', () => {
  it('follows a same-origin redirect with the key, and streams the answer', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/old') {
        res.writeHead(301, { Location: '/new' })
        res.end()
      } else res.end('<urlset/>')
    })
    const settings = settingsFrom({ url: s.origin, 'api-key': KEY, endpoints: '- /a' })
    const open = await openStream(
      `${s.origin}/old`,
      settings,
      { userAgent: 'ua' },
      { Accept: '*/*' }
    )
    let text = ''
    for await (const chunk of open.body) text += String(chunk)
    expect(text).toBe('<urlset/>')
    expect(open.finalUrl).toBe(`${s.origin}/new`)
    expect(s.requests.map(r => r.headers['x-api-key'])).toEqual([KEY, KEY])
  })

  it('never follows a redirect to another origin, so the key stays home', async () => {
    const other = await serve((_req, res) => res.end('<urlset/>'))
    const s = await serve((_req, res) => {
      res.writeHead(302, { Location: `${other.origin}/steal` })
      res.end()
    })
    const settings = settingsFrom({ url: s.origin, 'api-key': KEY, endpoints: '- /a' })
    await expect(
      openStream(`${s.origin}/sitemap.xml`, settings, { userAgent: 'ua' }, {})
    ).rejects.toThrow(FetchError)
    expect(other.requests).toHaveLength(0)
  })
})
