import { lstatSync, realpathSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { InputError } from '../errors.js'

/** Where files named by inputs may be: the workspace, and for absolute paths RUNNER_TEMP. */
export interface PathContext {
  readonly workspace: string
  readonly runnerTemp?: string
}

export interface PathRule {
  /** Also the OS temp folder for an absolute path when RUNNER_TEMP is unset (report-file). */
  readonly tmpdirWithoutRunnerTemp?: boolean
}

function inside(child: string, root: string): boolean {
  const rel = path.relative(root, child)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
}

/**
 * The real path of `file` as far as it exists, with the rest appended: a symbolic link anywhere
 * on the way is followed, so `link/x` is judged by where `link` leads. Undefined when a part
 * exists but cannot be resolved (a dangling or looping link): writing through it would land
 * wherever it points.
 */
function realPath(file: string): string | undefined {
  const rest: string[] = []
  for (let at = file; ;) {
    try {
      return path.join(realpathSync(at), ...rest)
    } catch {
      try {
        lstatSync(at)
        return undefined
      } catch {
        // Not there (yet): judge its folder.
      }
    }
    const up = path.dirname(at)
    if (up === at) return undefined
    rest.unshift(path.basename(at))
    at = up
  }
}

function realRoot(root: string): string {
  return realPath(path.resolve(root)) ?? path.resolve(root)
}

/**
 * Resolves a path an input names against the workspace, and refuses one outside it: a relative
 * path must stay in the workspace, symbolic links included; an absolute one may also be in
 * RUNNER_TEMP. Returns the resolved (not the real) path. Throws InputError naming `input`.
 */
export function containedPath(
  input: string,
  text: string,
  ctx: PathContext,
  rule: PathRule = {}
): string {
  const full = path.resolve(ctx.workspace, text)
  const roots = [{ dir: ctx.workspace, name: 'the workspace' }]
  if (path.isAbsolute(text)) {
    if (ctx.runnerTemp) roots.push({ dir: ctx.runnerTemp, name: 'RUNNER_TEMP' })
    else if (rule.tmpdirWithoutRunnerTemp) roots.push({ dir: tmpdir(), name: 'the temp folder' })
  }
  const accepted = `accepted: a path inside ${roots.map(r => `${r.name} (${r.dir})`).join(' or ')}`
  const real = realPath(full)
  if (real === undefined)
    throw new InputError(
      input,
      `"${text}" goes through a symbolic link that leads nowhere or loops; ${accepted}`
    )
  if (roots.some(r => inside(real, realRoot(r.dir)))) return full
  const where = path.isAbsolute(text) ? roots.map(r => r.name).join(' and ') : 'the workspace'
  const lexically = roots.some(r => inside(full, path.resolve(r.dir)))
  throw new InputError(
    input,
    lexically
      ? `"${text}" leads outside ${where} through a symbolic link; ${accepted}`
      : `"${text}" is outside ${where}; ${accepted}`
  )
}
