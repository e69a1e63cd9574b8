import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { RunResult } from '../result.js'

/** Writes the JSON report (already redacted by the caller). */
export async function writeReport(file: string, result: RunResult): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`, 'utf8')
}
