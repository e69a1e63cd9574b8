import { InputError } from '../errors.js'
import {
  labelOf,
  parseGithub,
  parseRun,
  type GithubSettings,
  type InputName,
  type RawInputs,
  type RunSettings,
  type SettingsContext
} from '../config/settings.js'
import { normalizeBaseUrl } from '../config/url.js'

/** A merge job's settings: where the reports are and what the merged verdict follows. */
export interface MergeSettings {
  /** `merge-reports`, one glob a line (`!` lines exclude). */
  readonly patterns: readonly string[]
  readonly run: RunSettings
  readonly github: GithubSettings
  /** `url`, when given: every report must be for this deployment. */
  readonly target?: string
}

/** Inputs that send requests: a merge job sends none, so they are refused rather than ignored. */
const WARMING_INPUTS: readonly InputName[] = [
  'endpoints',
  'endpoints-file',
  'sitemap',
  'shard',
  'wait-for',
  'warmup-trigger',
  'metrics-path'
]

/** Whether the inputs make this job a merge job. */
export function isMergeJob(raw: RawInputs): boolean {
  return (raw['merge-reports']?.trim() ?? '') !== ''
}

/** The merge job's settings, or InputError naming the input that does not belong. */
export function parseMergeSettings(raw: RawInputs, ctx: SettingsContext): MergeSettings {
  const patterns = (raw['merge-reports'] ?? '')
    .split(/\r?\n/)
    .map(l => l.trim())
    .filter(l => l !== '' && !l.startsWith('#'))
  if (patterns.length === 0)
    throw new InputError(
      'merge-reports',
      'is empty; give a glob of report files, e.g. reports/**/*.json'
    )
  if (patterns.every(p => p.startsWith('!')))
    throw new InputError(
      'merge-reports',
      'only excludes (! lines); add a glob that finds the reports, e.g. reports/**/*.json'
    )
  const warming = WARMING_INPUTS.find(name => (raw[name]?.trim() ?? '') !== '')
  if (warming)
    throw new InputError(
      'merge-reports',
      `makes this a merge job, which sends no request; leave out ${warming} here (the jobs whose reports it merges warm; a metrics gate is a step of its own)`
    )
  if (raw['dry-run']?.trim() === 'true')
    throw new InputError('merge-reports', 'a merge job sends nothing anyway; leave out dry-run')
  const run = { ...parseRun(raw, ctx), ...labelOf(raw, undefined, ctx) }
  const urlText = raw.url?.trim() ?? ''
  let target: string | undefined
  if (urlText !== '') {
    const base = normalizeBaseUrl(urlText)
    if (typeof base === 'string') throw new InputError('url', base)
    target = base.href
  }
  return { patterns, run, github: parseGithub(raw), ...(target ? { target } : {}) }
}
