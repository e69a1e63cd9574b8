import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { readGitHubContext } from '../../src/github/context.js'
import { deployedCommit, pullRequestNumber, urlFromEvent } from '../../src/github/event.js'

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'events')
const fixture = (name: string): string => path.join(dir, `${name}.json`)
const payload = (name: string) =>
  JSON.parse(readFileSync(fixture(name), 'utf8')) as Record<string, unknown>

describe('urlFromEvent', () => {
  it('takes environment_url from a successful deployment_status', () => {
    expect(urlFromEvent('deployment_status', payload('deployment_status.success'))).toEqual({
      kind: 'url',
      url: 'https://pr-42.reports.example.workers.dev',
      from: 'deployment_status.environment_url'
    })
  })

  it('prefers environment_url even when target_url is set too', () => {
    const r = urlFromEvent('deployment_status', payload('deployment_status.success'))
    expect(r).toMatchObject({ kind: 'url', url: 'https://pr-42.reports.example.workers.dev' })
    expect(JSON.stringify(r)).not.toContain('dash.example.com')
  })

  it('never uses target_url, the log page: without environment_url it asks for url', () => {
    const r = urlFromEvent('deployment_status', payload('deployment_status.target-only'))
    expect(r).toEqual({
      kind: 'none',
      reason:
        "is empty and the deployment_status event has no environment_url (target_url is the deployment's log page, so the key is never sent there); set url to the deployment's own URL, e.g. url: https://preview.example.com"
    })
    expect(JSON.stringify(r)).not.toContain('dash.example.com')
  })

  it.each([
    ['blank', '   '],
    ['not a string', 42],
    ['null', null]
  ])('treats an environment_url that is %s as absent, even beside a target_url', (_, value) => {
    const r = urlFromEvent('deployment_status', {
      deployment_status: {
        state: 'success',
        environment_url: value,
        target_url: 'https://dash.example.com/logs'
      }
    })
    expect(r.kind).toBe('none')
    expect(JSON.stringify(r)).not.toContain('dash.example.com')
  })

  it('refuses an environment_url that is not http(s), without echoing it or falling back', () => {
    const r = urlFromEvent('deployment_status', payload('deployment_status.not-http'))
    expect(r).toEqual({
      kind: 'none',
      reason:
        "is empty and the deployment_status event's environment_url is not an http(s) URL (its scheme is ftp:); set url to the deployment's own URL"
    })
    expect(JSON.stringify(r)).not.toMatch(/s3cret|files\.example|dash\.example/)
  })

  it.each([
    ['javascript:alert(1)', 'its scheme is javascript:'],
    ['file:///etc/passwd', 'its scheme is file:'],
    ['data:text/html,hi', 'its scheme is data:'],
    ['reports.example.com', 'it has no http:// or https://'],
    ['reports.example.com:8443/app', 'it has no http:// or https://'],
    ['//reports.example.com', 'it has no http:// or https://'],
    ['https://reports example.com', 'it does not parse as a URL'],
    ['https://', 'it does not parse as a URL']
  ])('refuses environment_url %j: %s', (value, problem) => {
    const r = urlFromEvent('deployment_status', {
      deployment_status: { state: 'success', environment_url: value }
    })
    expect(r).toEqual({
      kind: 'none',
      reason: `is empty and the deployment_status event's environment_url is not an http(s) URL (${problem}); set url to the deployment's own URL`
    })
  })

  it.each(['http://localhost:8787', 'HTTPS://Reports.Example.com/app/'])(
    'accepts an http(s) environment_url as given: %s',
    value => {
      expect(
        urlFromEvent('deployment_status', {
          deployment_status: { state: 'success', environment_url: ` ${value} ` }
        })
      ).toEqual({ kind: 'url', url: value, from: 'deployment_status.environment_url' })
    }
  )

  it('skips, with the reason, when the deployment is not successful yet', () => {
    expect(urlFromEvent('deployment_status', payload('deployment_status.pending'))).toEqual({
      kind: 'skip',
      reason: 'deployment_status for preview is "pending", not success: nothing to warm yet'
    })
  })

  it.each(['push', 'workflow_dispatch', 'pull_request', 'schedule'])(
    'asks for url on a %s event',
    name => {
      const r = urlFromEvent(name, {})
      expect(r.kind).toBe('none')
      expect(r.kind === 'none' && r.reason).toContain(`is required on a ${name} event`)
    }
  )
})

describe('deployedCommit and pullRequestNumber', () => {
  it('uses the deployment sha on deployment_status', () => {
    expect(
      deployedCommit('deployment_status', payload('deployment_status.success'), 'fallback')
    ).toBe('abc123def4567890abc123def4567890abc12345')
  })

  it('uses the head sha and number on pull_request', () => {
    expect(deployedCommit('pull_request', payload('pull_request'), 'merge-sha')).toBe(
      'fedcba9876543210fedcba9876543210fedcba98'
    )
    expect(pullRequestNumber('pull_request', payload('pull_request'))).toBe(42)
  })

  it('uses GITHUB_SHA otherwise and has no pull request', () => {
    expect(deployedCommit('push', payload('push'), 'the-sha')).toBe('the-sha')
    expect(pullRequestNumber('push', payload('push'))).toBeUndefined()
  })
})

describe('readGitHubContext', () => {
  it('reads the runner environment and the event file', () => {
    const ctx = readGitHubContext({
      GITHUB_EVENT_NAME: 'deployment_status',
      GITHUB_EVENT_PATH: fixture('deployment_status.success'),
      GITHUB_REPOSITORY: 'acme/reports',
      GITHUB_SHA: 'merge-sha',
      GITHUB_RUN_ID: '99',
      GITHUB_SERVER_URL: 'https://github.com'
    })
    expect(ctx).toMatchObject({
      eventName: 'deployment_status',
      owner: 'acme',
      repo: 'reports',
      sha: 'abc123def4567890abc123def4567890abc12345',
      apiUrl: 'https://api.github.com',
      runUrl: 'https://github.com/acme/reports/actions/runs/99'
    })
  })

  it('copes with no event file outside a runner', () => {
    expect(readGitHubContext({ GITHUB_EVENT_PATH: '/nonexistent/event.json' })).toEqual({
      apiUrl: 'https://api.github.com'
    })
  })
})
