import * as core from '@actions/core'
import { INPUT_NAMES, parseSettings, type RawInputs, type Settings } from './config/settings.js'

/** The only place that calls core.getInput. */
export function readInputs(): RawInputs {
  const raw: RawInputs = {}
  for (const name of INPUT_NAMES)
    raw[name] = core.getInput(name, { trimWhitespace: name !== 'headers' })
  return raw
}

// Kept here too for callers that think of it as part of reading inputs.
export { rawSecrets } from './secrets.js'

export function settingsFromInputs(raw: RawInputs, env: NodeJS.ProcessEnv = process.env): Settings {
  return parseSettings(raw, {
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    ...(env.RUNNER_TEMP ? { runnerTemp: env.RUNNER_TEMP } : {}),
    ...(env.RUNNER_NAME ? { runnerName: env.RUNNER_NAME } : {})
  })
}
