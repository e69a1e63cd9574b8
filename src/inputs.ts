import * as core from '@actions/core'
import { INPUT_NAMES, parseSettings, type RawInputs, type Settings } from './config/settings.js'

/** The only place that calls core.getInput. */
export function readInputs(): RawInputs {
  const raw: RawInputs = {}
  for (const name of INPUT_NAMES)
    raw[name] = core.getInput(name, { trimWhitespace: name !== 'headers' })
  return raw
}

/**
 * Secret values in the raw inputs, found before any validation so that even an error message
 * about a bad input cannot show them: the key and every value of `headers`.
 */
export function rawSecrets(raw: RawInputs): string[] {
  const found: string[] = []
  const key = raw['api-key']?.trim()
  if (key) found.push(key)
  const token = raw['github-token']?.trim()
  if (token) found.push(token)
  for (const line of (raw.headers ?? '').split(/\r?\n/)) {
    if (line.trim().startsWith('#')) continue
    const colon = line.indexOf(':')
    const value = colon > 0 ? line.slice(colon + 1).trim() : ''
    if (value) found.push(value)
  }
  return found
}

export function settingsFromInputs(raw: RawInputs, env: NodeJS.ProcessEnv = process.env): Settings {
  return parseSettings(raw, {
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    ...(env.RUNNER_TEMP ? { runnerTemp: env.RUNNER_TEMP } : {})
  })
}
