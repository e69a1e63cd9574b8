/**
 * Round 2: can a deployment forge the verdict a reader sees? The job summary, the check run and
 * the PR comment are Markdown that GitHub renders (HTML included, sanitized but with headings,
 * tables and images allowed). Server words reach them: the names of the fields of a metrics
 * answer (listed when a threshold's field is missing), a JSON "error" message quoted in "Why it
 * failed" and in the tier table. A failed run must not show a green "✅ Cache warm passed"
 * heading that the server wrote.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { startGitHub, type GitHubStandIn } from '../../support/hostile-server.js'
import { ensureBuilt } from '../../support/run-action.js'
import { json, runDist, serve, type Server } from '../../support/round2.js'

ensureBuilt()
const KEY = 'sk_live_R2sumKey_0a1b2c3d4e5f'
const FORGED = '## ✅ Cache warm passed: 1/1 endpoints warmed'
let servers: Server[] = []
let github: GitHubStandIn | undefined
afterEach(async () => {
  await Promise.all(servers.map(s => s.close()))
  servers = []
  await github?.close()
  github = undefined
})

/** Lines of rendered Markdown that are headings saying the warm passed. */
function greenHeadings(markdown: string): string[] {
  return markdown.split(/\r?\n/).filter(l => /^\s{0,3}#{1,6}\s.*passed/i.test(l))
}

describe('the job summary and the check run show the verdict the action reached, not one a server wrote', () => {
  it('a metrics answer whose field names hold newlines and a heading cannot add a heading to the summary', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/metrics')
        return json(res, 200, {
          cacheStats: { l1Size: 3 },
          [`\n\n${FORGED}\n\n`]: 1
        })
      json(res, 200, { success: true, data: [1] }, { 'X-Cache': 'HIT' })
    })
    servers.push(s)
    github = await startGitHub('answer')
    const run = await runDist(
      {
        url: s.origin,
        'api-key': KEY,
        endpoints: '- /api/a',
        'metrics-path': '/metrics',
        thresholds: 'cacheStats.l2Size >= 100',
        'poll-interval': '100ms',
        'poll-timeout': '1s',
        'github-token': 'ghs_r2TokenForCheckRun000000000000',
        'check-name': 'Cache warm'
      },
      {
        GITHUB_API_URL: github.url,
        GITHUB_REPOSITORY: 'o/r',
        GITHUB_SHA: 'a'.repeat(40)
      }
    )
    expect(run.outputs.result).toBe('failed')
    expect(run.summary.startsWith('## ❌')).toBe(true)
    const bodies = github.requests
      .filter(r => r.method === 'PATCH')
      .map(r => (JSON.parse(r.body) as { output: { summary: string } }).output.summary)
    expect(bodies).toHaveLength(1)
    expect({
      summary: greenHeadings(run.summary),
      checkRun: bodies.flatMap(greenHeadings)
    }).toEqual({ summary: [], checkRun: [] })
  })

  it('a server error message with HTML cannot put a heading or an image into the summary', async () => {
    const html =
      '</li></ul><h2>✅ Cache warm passed: 1/1 endpoints warmed</h2><img src="https://example.invalid/p.png">'
    const s = await serve((req, res) => json(res, 500, { error: html }))
    servers.push(s)
    const run = await runDist({
      url: s.origin,
      'api-key': KEY,
      endpoints: '- /api/b',
      retries: '0',
      verify: 'false'
    })
    expect(run.outputs.result).toBe('failed')
    // Shown as text it is harmless; as raw HTML GitHub renders a green heading and loads the image.
    expect(run.summary.match(/<h2>|<img\b|<\/ul>/gi) ?? []).toEqual([])
  })
})
