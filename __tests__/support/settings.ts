import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseSettings, type RawInputs, type Settings } from '../../src/config/settings.js'

const workspace = mkdtempSync(path.join(tmpdir(), 'cache-warm-test-'))

/** Settings the way the action builds them, from raw input strings. */
export function settingsFrom(raw: RawInputs): Settings {
  return parseSettings(raw, { workspace, runnerTemp: workspace })
}
