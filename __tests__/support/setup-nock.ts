import { afterAll, afterEach, beforeAll, expect } from '@jest/globals'
import { readFileSync } from 'node:fs'
import nock from 'nock'

// nock intercepts every request of the process once it is loaded, and its pass-through sockets
// to loopback servers carry no 'error' listener: a server that resets a connection (a hostile
// server, workerd shutting down) then threw an uncaught ECONNRESET into whichever test ran.
// Files that do not use nock talk only to servers they start themselves: nock stays out.
const testPath = expect.getState().testPath
const usesNock = testPath !== undefined && /from 'nock'/.test(readFileSync(testPath, 'utf8'))
if (!usesNock) nock.restore()

// Every test file: no real network except loopback servers the test starts itself, and any
// request nock did not expect fails the test (nock 15 would otherwise answer it with a 501).
const unmatched: string[] = []
// nock 15 emits 'no match' with a Fetch Request (it has `url`, not `hostname`/`path`), and also
// for requests it lets through to the loopback servers tests start; those are not unexpected.
const onNoMatch = (req: { method?: string; url?: string }): void => {
  const url = URL.canParse(req.url ?? '') ? new URL(req.url as string) : undefined
  if (url && ['127.0.0.1', 'localhost'].includes(url.hostname)) return
  unmatched.push(`${req.method ?? '?'} ${req.url ?? '(no url)'}`)
}

beforeAll(() => {
  if (!usesNock) return
  nock.disableNetConnect()
  nock.enableNetConnect(host => host.startsWith('127.0.0.1') || host.startsWith('localhost'))
  nock.emitter.on('no match', onNoMatch)
})

afterEach(() => {
  if (!usesNock) return
  const seen = unmatched.splice(0)
  const pending = nock.pendingMocks()
  nock.cleanAll()
  if (seen.length > 0) throw new Error(`unexpected HTTP request(s): ${seen.join(', ')}`)
  if (pending.length > 0)
    throw new Error(`expected HTTP request(s) never sent: ${pending.join(', ')}`)
})

afterAll(() => {
  if (!usesNock) return
  nock.emitter.removeListener('no match', onNoMatch)
  nock.enableNetConnect()
  nock.restore()
})
