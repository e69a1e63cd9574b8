/**
 * Starts dist/index.js as a runner would, but hands back the child process, so a test can
 * cancel it (SIGTERM / SIGINT), give it extra environment (a proxy, NODE_OPTIONS), and read its
 * artifacts when it exits. See run-action.ts for the plain run-to-completion helper.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ACTION, readArtifacts, runnerEnv, type Run } from './run-action.js'

export interface Spawned {
  readonly child: ChildProcess
  readonly dir: string
  /** Resolves when the child has exited; `ms` counts from `since` (default: the spawn). */
  readonly exited: (since?: number) => Promise<Run & { signal: NodeJS.Signals | null }>
  /** Resolves once the child's stdout contains `text`. */
  readonly printed: (text: string) => Promise<void>
  readonly cleanUp: () => Promise<void>
}

export async function spawnAction(
  inputs: Record<string, string | undefined>,
  extraEnv: NodeJS.ProcessEnv = {},
  /** The child is killed after this long, so a hung run cannot outlive the test. */
  killAfterMs = 20_000
): Promise<Spawned> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cache-warm-spawn-'))
  const { env, outputPath, summaryPath } = await runnerEnv(dir, inputs, extraEnv)

  const started = Date.now()
  const child = spawn(process.execPath, [ACTION], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  const waiters: { text: string; resolve: () => void }[] = []
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString('utf8')
    for (const w of waiters.splice(0)) {
      if (stdout.includes(w.text)) w.resolve()
      else waiters.push(w)
    }
  })
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')))
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    resolve => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() }))
  )
  // A test that fails early must not leave the child running.
  const kill = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
  kill.unref()

  return {
    child,
    dir,
    printed: text =>
      new Promise<void>(resolve => {
        if (stdout.includes(text)) resolve()
        else waiters.push({ text, resolve })
      }),
    exited: async (since = started) => {
      const { code, signal, at } = await exit
      clearTimeout(kill)
      // Let the pipes drain.
      await new Promise(r => setTimeout(r, 20))
      return {
        code: code ?? 128,
        signal,
        ms: at - since,
        stdout,
        stderr,
        ...(await readArtifacts(dir, outputPath, summaryPath))
      }
    },
    cleanUp: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await rm(dir, { recursive: true, force: true })
    }
  }
}
