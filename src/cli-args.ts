import { INPUT_NAMES, type InputName, type RawInputs } from './config/settings.js'

/** Where the CLI reads the key unless --api-key-env names another variable. */
export const DEFAULT_KEY_VAR = 'CACHE_WARM_API_KEY'

/** The command line turned into the action's raw inputs, or one line saying what is wrong. */
export type CliArgs =
  | {
      readonly ok: true
      readonly raw: RawInputs
      readonly json: boolean
      readonly help: boolean
      /** The environment variable the key was read from. */
      readonly keyVar: string
    }
  | { readonly ok: false; readonly message: string }

type InputFlag = Exclude<InputName, 'api-key' | 'dry-run' | 'merge-reports'>

/**
 * Every input but the key (never a flag) and dry-run (a switch) takes a value; merge-reports
 * is the `cache-warm merge FILE...` command instead.
 */
const INPUT_FLAGS = INPUT_NAMES.filter(
  (n): n is InputFlag => n !== 'api-key' && n !== 'dry-run' && n !== 'merge-reports'
)
const VALUE_FLAGS: ReadonlySet<string> = new Set([...INPUT_FLAGS, 'api-key-env'])
const SWITCHES: ReadonlySet<string> = new Set(['dry-run', 'json', 'help'])
/** What a near-miss is compared with: every flag, and api-key (`--apikey` learns where it goes). */
const KNOWN: readonly string[] = [...INPUT_NAMES, 'api-key-env', 'json', 'help']

/** Names someone passing the key as a flag might try besides near-misses of api-key. */
const KEY_WORDS = /^(api[-_]?)?(key|secret|password|token)$/i

const HELP_HINT = 'run cache-warm --help for the options'

/**
 * Reads argv the way the action reads its inputs: `--name VALUE` or `--name=VALUE` for every
 * input, the key from the environment. Values are bound to their flag before anything else, so
 * a YAML list (`--endpoints "- /a"`) is never taken for a flag. Nothing a user typed after a
 * flag is ever repeated in a message: it may be the key.
 */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliArgs {
  const values = new Map<string, string>()
  const switches = new Set<string>()
  // The first problem is the one reported; the scan goes on so that a later --api-key-env
  // can still name the variable the key message points to.
  let problem: ((keyVar: string) => string) | undefined
  let lastSwitch: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const after = lastSwitch
    lastSwitch = undefined
    if (arg === '-h') {
      switches.add('help')
      lastSwitch = arg
      continue
    }
    const flag = arg === '--' ? null : /^(--?)([^=]+)(=?)/.exec(arg)
    if (!flag) {
      const message = after
        ? `${after} takes no value, but one follows it; ${HELP_HINT}`
        : `argument ${i + 1} is a value with no flag before it (not shown, in case it is a secret); ${HELP_HINT}`
      problem ??= () => message
      continue
    }
    const dashes = flag[1]!
    const name = flag[2]!
    const long = dashes === '--'
    if (long && VALUE_FLAGS.has(name)) {
      const value = flag[3] ? arg.slice(dashes.length + name.length + 1) : argv[++i]
      if (value === undefined) problem ??= () => `--${name} needs a value; ${HELP_HINT}`
      else values.set(name, value)
    } else if (long && SWITCHES.has(name)) {
      if (flag[3])
        problem ??= () => `--${name} takes no value (leave it out for false); ${HELP_HINT}`
      switches.add(name)
      lastSwitch = `--${name}`
    } else if (long && name === 'merge-reports') {
      problem ??= () =>
        `--merge-reports is the action's input; on the command line run cache-warm merge REPORT.json... (cache-warm merge --help)`
    } else {
      problem ??= unknownOption(dashes + name, i + 1)
    }
  }

  const named = values.get('api-key-env')
  const keyVar = named !== undefined && isVariableName(named) ? named : DEFAULT_KEY_VAR
  if (named !== undefined && !isVariableName(named))
    problem ??= () =>
      `--api-key-env takes the name of an environment variable (letters, digits and _), not the key itself, e.g. --api-key-env MY_KEY`
  if (problem) return { ok: false, message: `cache-warm: ${problem(keyVar)}` }

  const raw: RawInputs = {}
  for (const name of INPUT_FLAGS) {
    const value = values.get(name)
    if (value !== undefined) raw[name] = value
  }
  if (switches.has('dry-run')) raw['dry-run'] = 'true'
  if (env[keyVar]) raw['api-key'] = env[keyVar]
  return { ok: true, raw, json: switches.has('json'), help: switches.has('help'), keyVar }
}

/** The message for a flag the CLI does not know, with the known flag it is closest to. */
function unknownOption(
  typed: string,
  position: number,
  known: readonly string[] = KNOWN,
  hint = HELP_HINT
): (keyVar: string) => string {
  // A flag name is shown; anything that does not look like one might be a pasted secret.
  if (!/^--?[A-Za-z][A-Za-z0-9_-]{0,39}$/.test(typed))
    return () =>
      `argument ${position} is an unknown option (not shown, in case it is a secret); ${hint}`
  const name = typed.replace(/^--?/, '')
  const meant = KEY_WORDS.test(name) ? 'api-key' : closestFlag(name, known)
  if (meant === 'api-key')
    return keyVar =>
      `${typed} is not a flag, so the key stays out of shell history and process lists; set ${keyVar} (or name another variable with --api-key-env NAME)`
  return () =>
    meant
      ? `unknown option ${typed}; did you mean --${meant}? R${hint.slice(1)}`
      : `unknown option ${typed}; ${hint}`
}

/**
 * The known flag a mistyped one most likely meant: within a small edit distance (one edit for
 * short names, up to three for long ones), or one that begins or ends with the typed name
 * (`--endpoint` -> `--endpoints`, `--rps` -> `--max-rps`). Case and `_` for `-` are forgiven.
 * Undefined when nothing is close.
 */
export function closestFlag(typed: string, known: readonly string[] = KNOWN): string | undefined {
  const name = typed.toLowerCase().replace(/_/g, '-')
  if (name.length < 2 || name.length > 64) return undefined
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 4)))
  let best: string | undefined
  let bestDistance = Infinity
  for (const flag of known) {
    const d = editDistance(name, flag)
    const part = name.length >= 3 && (flag.startsWith(name) || flag.endsWith(name))
    const near = d <= limit || part
    if (near && d < bestDistance) {
      best = flag
      bestDistance = d
    }
  }
  return best
}

/** Damerau-Levenshtein distance (optimal string alignment: a swap of neighbours is one edit). */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0))
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i]!
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1)
      row[j] = d
    }
  }
  return rows[a.length]![b.length]!
}

/** `cache-warm merge REPORT.json...`: the files, and the few inputs a merge reads. */
export type MergeArgs =
  | {
      readonly ok: true
      readonly files: readonly string[]
      readonly raw: RawInputs
      readonly json: boolean
      readonly help: boolean
      readonly keyVar: string
    }
  | { readonly ok: false; readonly message: string }

const MERGE_VALUE_FLAGS = ['fail-on', 'report-file', 'report-label', 'url', 'api-key-env'] as const
const MERGE_SWITCHES = ['json', 'help'] as const
const MERGE_HINT = 'run cache-warm merge --help for the options'

/**
 * Reads `cache-warm merge` arguments (after the word merge): every argument that is not a flag
 * or a flag's value is a report file, in order; `--` ends the flags. The key, if any, is still
 * read from the environment, only to be redacted: the reports may hold it.
 */
export function parseMergeArgs(argv: readonly string[], env: NodeJS.ProcessEnv): MergeArgs {
  const values = new Map<string, string>()
  const switches = new Set<string>()
  const files: string[] = []
  let problem: string | undefined
  let flags = true
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!flags || arg === '-' || !arg.startsWith('-')) {
      files.push(arg)
      continue
    }
    if (arg === '--') {
      flags = false
      continue
    }
    if (arg === '-h') {
      switches.add('help')
      continue
    }
    const flag = /^--([^=]+)(=?)/.exec(arg)
    const name = flag?.[1] ?? ''
    if (flag && (MERGE_VALUE_FLAGS as readonly string[]).includes(name)) {
      const value = flag[2] ? arg.slice(name.length + 3) : argv[++i]
      if (value === undefined) problem ??= `--${name} needs a value; ${MERGE_HINT}`
      else values.set(name, value)
    } else if (flag && (MERGE_SWITCHES as readonly string[]).includes(name) && !flag[2]) {
      switches.add(name)
    } else {
      problem ??= unknownOption(
        flag ? `--${name}` : arg,
        i + 1,
        [...MERGE_VALUE_FLAGS, ...MERGE_SWITCHES],
        MERGE_HINT
      )(DEFAULT_KEY_VAR)
    }
  }
  const named = values.get('api-key-env')
  if (named !== undefined && !isVariableName(named))
    problem ??= `--api-key-env takes the name of an environment variable (letters, digits and _), not the key itself`
  if (problem) return { ok: false, message: `cache-warm merge: ${problem}` }
  const keyVar = named ?? DEFAULT_KEY_VAR
  const raw: RawInputs = {}
  for (const name of ['fail-on', 'report-file', 'report-label', 'url'] as const) {
    const value = values.get(name)
    if (value !== undefined) raw[name] = value
  }
  if (env[keyVar]) raw['api-key'] = env[keyVar]
  return { ok: true, files, raw, json: switches.has('json'), help: switches.has('help'), keyVar }
}

function isVariableName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
}
