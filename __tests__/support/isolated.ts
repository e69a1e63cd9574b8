/**
 * Runs scenarios of __tests__/adversarial/cases/isolated.case.ts in a child jest process and
 * kills it when one of them overruns its budget (a blocked event loop cannot be timed out from
 * inside): the overrunning scenario is recorded as hung and the rest run in a fresh child.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ROOT } from './run-action.js'

/** Parsed JSON read the way a user's script would: any shape, fields looked up by name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyJson = Record<string, any>

export interface IsolatedResult {
  name: string
  /** Wall time from the scenario's start to its end (or to the kill). */
  ms: number
  /** The child had to be killed: the scenario blocked for longer than its budget. */
  killed?: boolean
  hung?: boolean
  result?: string
  stepFailed?: boolean
  failures?: string[]
  summaryWritten?: boolean
  reportWritten?: boolean
  warmed?: string
  stackOverflow?: boolean
  threw?: string
}

function lines(file: string): AnyJson[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(l => JSON.parse(l) as AnyJson)
}

async function once(cases: string[], budgetMs: number, out: string): Promise<void> {
  const jest = path.join(ROOT, 'node_modules/jest/bin/jest.js')
  const child = spawn(
    process.execPath,
    [
      '--experimental-vm-modules',
      jest,
      '--rootDir',
      ROOT,
      '--runInBand',
      '--ci',
      '--testMatch',
      '**/__tests__/adversarial/cases/isolated.case.ts',
      '--testTimeout',
      '120000'
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ADV_OUT: out, ADV_CASES: cases.join(','), NODE_OPTIONS: '' },
      stdio: ['ignore', 'ignore', 'pipe']
    }
  )
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const exited = new Promise<void>(resolve => child.on('exit', () => resolve()))
  const startedAt = Date.now()
  for (;;) {
    const done = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>(r => setTimeout(() => r(false), 200))
    ])
    if (done) break
    const seen = lines(out)
    const last = seen.at(-1)
    const overrun =
      last?.phase === 'start'
        ? Date.now() - (last.at as number) > budgetMs
        : Date.now() - startedAt > 60_000
    if (overrun) {
      child.kill('SIGKILL')
      await exited
      break
    }
  }
  void stderr
}

/** Runs every case; each may take `budgetMs` before its child is killed. */
export async function runIsolated(cases: string[], budgetMs: number): Promise<IsolatedResult[]> {
  const out = path.join(os.tmpdir(), `adv-isolated-${process.pid}-${Date.now()}.jsonl`)
  const results = new Map<string, IsolatedResult>()
  let left = [...cases]
  try {
    for (let spawns = 0; left.length > 0 && spawns < cases.length; spawns++) {
      await once(left, budgetMs, out)
      const seen = lines(out)
      for (const l of seen) {
        if (l.phase === 'done') {
          const { phase: _p, at: _a, ...rest } = l
          results.set(l.name as string, rest as IsolatedResult)
        }
      }
      const started = seen.filter(l => l.phase === 'start' && !results.has(l.name as string))
      for (const s of started)
        results.set(s.name as string, {
          name: s.name as string,
          ms: Date.now() - (s.at as number),
          killed: true
        })
      left = left.filter(c => !results.has(c))
      if (started.length === 0 && left.length > 0) {
        // The child died before starting anything: record it, do not loop.
        for (const c of left) results.set(c, { name: c, ms: 0, killed: true })
        left = []
      }
    }
  } finally {
    rmSync(out, { force: true })
  }
  return cases.map(c => results.get(c) ?? { name: c, ms: 0, killed: true })
}
