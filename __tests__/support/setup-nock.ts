import { afterAll, afterEach, beforeAll } from '@jest/globals'
import nock from 'nock'

// Every test file: no real network except loopback servers the test starts itself, and any
// request nock did not expect fails the test (nock 15 would otherwise answer it with a 501).
const unmatched: string[] = []
const onNoMatch = (req: { method?: string; path?: string; hostname?: string }): void => {
  unmatched.push(`${req.method ?? '?'} ${req.hostname ?? ''}${req.path ?? ''}`)
}

beforeAll(() => {
  nock.disableNetConnect()
  nock.enableNetConnect(host => host.startsWith('127.0.0.1') || host.startsWith('localhost'))
  nock.emitter.on('no match', onNoMatch)
})

afterEach(() => {
  const seen = unmatched.splice(0)
  const pending = nock.pendingMocks()
  nock.cleanAll()
  if (seen.length > 0) throw new Error(`unexpected HTTP request(s): ${seen.join(', ')}`)
  if (pending.length > 0)
    throw new Error(`expected HTTP request(s) never sent: ${pending.join(', ')}`)
})

afterAll(() => {
  nock.emitter.removeListener('no match', onNoMatch)
  nock.enableNetConnect()
  nock.restore()
})
