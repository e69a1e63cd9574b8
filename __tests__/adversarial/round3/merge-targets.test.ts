/**
 * Round 3: one deployment written differently must merge; another deployment must be refused,
 * whichever way it differs. The merge job's `url` goes through the same normalizing as a run's.
 */
import { describe, expect, it } from '@jest/globals'
import { normalizeBaseUrl } from '../../../src/config/url.js'
import { MergeRefused } from '../../../src/errors.js'
import { mergeReports } from '../../../src/merge/merge.js'
import { reportOf, type ReadReport } from '../../../src/merge/read.js'
import { reportJson } from '../../support/reports.js'

const read = (target: string): ReadReport => ({
  file: 'r.json',
  report: reportOf('r.json', Buffer.from(reportJson({ target })))
})

function merges(url: string, reportTarget = 'https://app.example/base'): boolean {
  const base = normalizeBaseUrl(url)
  if (typeof base === 'string') throw new Error(base)
  try {
    mergeReports([read(reportTarget)], { failOn: 'critical', target: base.href })
    return true
  } catch (error) {
    expect(error).toBeInstanceOf(MergeRefused)
    return false
  }
}

describe('the merge job url against the reports target', () => {
  it.each([
    'https://app.example/base',
    'https://APP.Example/base/',
    'https://app.example:443/base',
    'app.example/base',
    ' https://app.example/base (custom domain)'
  ])('takes %j as the same deployment', url => {
    expect(merges(url)).toBe(true)
  })

  it.each([
    'http://app.example/base',
    'https://app.example:8443/base',
    'https://app.example/Base',
    'https://app.example/base/v2',
    'https://app.example/',
    'https://www.app.example/base'
  ])('refuses %j as another deployment', url => {
    expect(merges(url)).toBe(false)
  })

  it('merges reports of one deployment written with and without the trailing slash, not http with https', () => {
    expect(() =>
      mergeReports([read('https://app.example/base'), read('https://app.example/base/')], {
        failOn: 'critical'
      })
    ).not.toThrow()
    expect(() =>
      mergeReports([read('https://app.example/base'), read('http://app.example/base')], {
        failOn: 'critical'
      })
    ).toThrow(MergeRefused)
  })
})
