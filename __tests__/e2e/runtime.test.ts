/**
 * The Node version the built action really runs on in these tests: the runner's `node24` is what
 * users get, so `npm run test:node24` (and .ci/run) runs the dist tests on Node 24 and sets
 * CACHE_WARM_EXPECT_NODE_MAJOR=24, and this test checks the action process itself said so.
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import process from 'node:process'
import { cleanUp, ensureBuilt, fakeApi } from '../support/run-action.js'
import { spawnAction } from '../support/spawn-action.js'

const EXPECTED_MAJOR = process.env.CACHE_WARM_EXPECT_NODE_MAJOR

afterEach(cleanUp)
beforeAll(ensureBuilt, 180_000)

/** A file, preloaded into the action with NODE_OPTIONS, that writes the Node running it. */
async function versionProbe(dir: string): Promise<{ preload: string; written: string }> {
  const preload = path.join(dir, 'node-version.cjs')
  const written = path.join(dir, 'node-version.json')
  await writeFile(
    preload,
    'require("node:fs").writeFileSync(' +
      `${JSON.stringify(written)}, JSON.stringify({ node: process.versions.node, execPath: process.execPath }))\n`
  )
  return { preload, written }
}

describe('the Node version', () => {
  it(`dist/index.js runs on the Node that runs the tests (${process.version}), and warms`, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-node-'))
    try {
      const probe = await versionProbe(dir)
      const api = await fakeApi()
      const spawned = await spawnAction(
        { url: api.url, endpoints: 'critical:\n  - /api/v1/symbols', 'check-name': '' },
        { NODE_OPTIONS: `--require ${probe.preload}` }
      )
      const run = await spawned.exited()
      await spawned.cleanUp()

      expect({ code: run.code, result: run.outputs.result }).toEqual({ code: 0, result: 'passed' })
      const seen = JSON.parse(await readFile(probe.written, 'utf8')) as {
        node: string
        execPath: string
      }
      expect(seen).toEqual({ node: process.versions.node, execPath: process.execPath })
      if (EXPECTED_MAJOR !== undefined)
        expect({ major: seen.node.split('.')[0] }).toEqual({ major: EXPECTED_MAJOR })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('of the tests themselves is CACHE_WARM_EXPECT_NODE_MAJOR when that is set', () => {
    const major = process.versions.node.split('.')[0]
    expect({ major }).toEqual({ major: EXPECTED_MAJOR ?? major })
  })
})
