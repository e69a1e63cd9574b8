import { parseCliArgs, parseMergeArgs } from './cli-args.js'
import { warmRun } from './run.js'
import { errorMessage, InputError, MergeRefused } from './errors.js'
import { expectVersionHint } from './config/phases.js'
import { labelOf, parseRun, parseSettings, type Settings } from './config/settings.js'
import { normalizeBaseUrl } from './config/url.js'
import { mergeFiles } from './merge/run.js'
import { renderMergeText } from './merge/text.js'
import { finishRun } from './finish.js'
import { plainLog } from './log.js'
import { logSafe } from './report/escape.js'
import { ProgressLine } from './report/progress.js'
import { renderText } from './report/text.js'
import type { FullResult } from './result.js'
import { rawSecrets, Redactor, settingsSecrets } from './secrets.js'
import { planTiers, renderPlan } from './warm/plan.js'

const HELP = `Usage: cache-warm --url URL (--endpoints-file FILE | --endpoints YAML) [options]
       cache-warm merge REPORT.json... [options]   (see cache-warm merge --help)

Warms a deployment's cache by priority and says honestly whether it is warm.
The API key is read from the environment variable CACHE_WARM_API_KEY (or --api-key-env NAME),
never from a flag, so it stays out of shell history and process lists.

Options (the action's inputs, same names and defaults; --name VALUE or --name=VALUE):
  --url URL                 deployment base URL; no scheme means https:// (http:// for localhost)
  --endpoints-file FILE     YAML or JSON endpoint list
  --endpoints YAML          inline endpoint list
  --api-key-header NAME     default X-API-Key
  --headers "Name: value"   extra headers, one per line
  --sitemap PATH|FILE       /sitemap.xml on the deployment, or a workspace file
  --sitemap-exclude LINES   path globs (/tag/**) or re:regex lines to leave out
  --sitemap-limit N         most URLs taken from the sitemap (default 50000)
  --expect YAML             default expect, e.g. "json: {success: true}"
  --concurrency N           default 8
  --max-rps N               requests per second across all workers (default: no limit)
  --shard i/n               warm the i-th of n balanced shares of every tier
  --timeout DURATION        default 10s
  --retries N               default 2
  --deadline DURATION       default 10m
  --fail-on critical|any|never
  --dry-run                 print the plan, send nothing
  --report-file FILE        write the JSON report here
  --report-label TEXT       what this report is in a matrix; empty: the shard i/n, else RUNNER_NAME

Phases around warming (see docs/phases.md):
  --wait-for PATH           poll PATH until 2xx before warming (e.g. /health)
  --wait-for-version CHECK  path=value, header:Name=value or plain text the new version shows
  --wait-timeout DURATION   default 2m
  --poll-interval DURATION  default 5s
  --version-override VALUE  sent as Cloudflare-Workers-Version-Overrides
  --expect-version CHECK    every warm and verify answer must show it (wait-for-version's forms)
  --warmup-trigger "POST /path"   call the deployment's warm-up route first
  --warmup-trigger-required true|false
  --verify true|false       request every warmed GET endpoint again (default true)
  --cache-markers LINES     dot.path=value lines meaning "served from cache"
  --min-cached SHARE        e.g. 80%
  --max-warm-latency DURATION
  --metrics-path PATH       e.g. /api/v1/cache/metrics
  --thresholds LINES        e.g. "cacheStats.l1Size >= 100"
  --min-hit-rate RATE       with --hit-rate-field (default cacheStats.overallHitRate)
  --min-cache-size N        with --cache-size-field (default cacheStats.l2Size)
  --poll-timeout DURATION   default 2m
  --stable-polls N          polls in a row that must meet every threshold, default 2

Other:
  --api-key-env NAME        environment variable holding the key (default CACHE_WARM_API_KEY)
  --json                    print the JSON report instead of the text summary
  -h, --help

Exit status: 0 when the step would pass, 1 when it would fail or an input is bad.`

const MERGE_HELP = `Usage: cache-warm merge REPORT.json... [options]

Merges the JSON reports of a matrix (shards, regions) into one verdict, by the rules of one run:
fail-on over every endpoint (each counted once, with its worst outcome), any gate that failed in
any report, any report stopped by its deadline or a cancel. Sends no request. Refuses, in one
line naming the file, a report that is unreadable, not valid JSON, of another schemaVersion, or
for another deployment. At most 256 reports, each at most 64 MiB. Globs are your shell's.

Options:
  --fail-on critical|any|never   (default critical)
  --report-file FILE        write the merged JSON report here
  --report-label TEXT       the merged report's own label
  --url URL                 refuse reports of any other deployment
  --api-key-env NAME        a key to redact from the output (default CACHE_WARM_API_KEY)
  --json                    print the merged JSON report instead of the text summary
  -h, --help

Exit status: 0 when the merged verdict passes, 1 when it fails or a report is refused.`

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv[0] === 'merge') return merge(argv.slice(1), env)
  const args = parseCliArgs(argv, env)
  if (!args.ok) {
    process.stderr.write(`${args.message}\n`)
    return 1
  }
  if (args.help) {
    process.stdout.write(`${HELP}\n`)
    return 0
  }
  const { raw, json, keyVar } = args

  // Before anything can print them: the key and every header value, as the action does.
  const redactor = new Redactor(rawSecrets(raw))

  try {
    const settings = parseSettings(raw, {
      workspace: process.cwd(),
      ...(env.RUNNER_TEMP ? { runnerTemp: env.RUNNER_TEMP } : {})
    })
    // Endpoint-level secret headers are known only now.
    for (const secret of settingsSecrets(settings)) redactor.add(secret)
    const notice = expectVersionHint(settings.deployment)
    if (notice) process.stderr.write(`cache-warm: notice: ${logSafe(redactor.redact(notice))}\n`)
    if (settings.run.dryRun)
      (json ? process.stderr : process.stdout).write(
        `${redactor.redact(renderPlan(planTiers(settings.warm), settings))}\n`
      )
    const result = await runLogged(settings, redactor, env)
    const { safe, outputs, reportProblem } = await finishRun(result, settings, redactor, {
      writeReport: !!raw['report-file']
    })
    if (reportProblem !== undefined) process.stderr.write(`cache-warm: warning: ${reportProblem}\n`)
    process.stdout.write(
      json
        ? `${JSON.stringify(safe, null, 2)}\n`
        : `\n${logSafe(redactor.redact(renderText(safe)))}\n`
    )
    if (!json) {
      process.stdout.write(
        `\n${Object.entries(outputs)
          .map(([k, v]) => `${k}=${v}`)
          .join('  ')}\n`
      )
    }
    const hint = keyHint(result, keyVar, env)
    if (hint) process.stderr.write(`${redactor.redact(hint)}\n`)
    return result.stepFailed ? 1 : 0
  } catch (error) {
    const message = redactor.redact(errorMessage(error))
    process.stderr.write(
      error instanceof InputError
        ? `cache-warm: bad input: ${message}\n`
        : `cache-warm: ${message}\n`
    )
    return 1
  }
}

/** `cache-warm merge REPORT.json...`: read, check and merge, then end as a run does. */
async function merge(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = parseMergeArgs(argv, env)
  if (!args.ok) {
    process.stderr.write(`${args.message}\n`)
    return 1
  }
  if (args.help) {
    process.stdout.write(`${MERGE_HELP}\n`)
    return 0
  }
  const { raw, json } = args
  const redactor = new Redactor(rawSecrets(raw))
  try {
    const ctx = {
      workspace: process.cwd(),
      ...(env.RUNNER_TEMP ? { runnerTemp: env.RUNNER_TEMP } : {}),
      ...(env.RUNNER_NAME ? { runnerName: env.RUNNER_NAME } : {})
    }
    const run = { ...parseRun(raw, ctx), ...labelOf(raw, undefined, ctx) }
    const url = raw.url?.trim() ? normalizeBaseUrl(raw.url) : undefined
    if (typeof url === 'string') throw new InputError('url', url)
    const result = await mergeFiles(args.files, {
      failOn: run.failOn,
      ...(run.label ? { label: run.label } : {}),
      ...(url ? { target: url.href } : {})
    })
    const { safe, outputs, reportProblem } = await finishRun(result, { run }, redactor, {
      writeReport: !!raw['report-file']
    })
    if (reportProblem !== undefined) process.stderr.write(`cache-warm: warning: ${reportProblem}\n`)
    process.stdout.write(
      json
        ? `${JSON.stringify(safe, null, 2)}\n`
        : `${logSafe(redactor.redact(renderMergeText(safe)))}\n\n${Object.entries(outputs)
            .map(([k, v]) => `${k}=${v}`)
            .join('  ')}\n`
    )
    return result.stepFailed ? 1 : 0
  } catch (error) {
    const message = redactor.redact(errorMessage(error))
    process.stderr.write(
      error instanceof MergeRefused
        ? `cache-warm merge: ${message}\n`
        : error instanceof InputError
          ? `cache-warm merge: bad input: ${message}\n`
          : `cache-warm merge: ${message}\n`
    )
    return 1
  }
}

/**
 * The run, its log on stderr as plain lines (no workflow commands: a group's title is a line),
 * every endpoint listed up to LIST_EVERY_ENDPOINT_UP_TO or with ACTIONS_STEP_DEBUG set, as in
 * the action. On a terminal, a live progress line while warming, wiped before every other line
 * and at the end; not on a pipe or a file, which see no `\r`.
 */
async function runLogged(
  settings: Settings,
  redactor: Redactor,
  env: NodeJS.ProcessEnv
): Promise<FullResult> {
  const stderr = process.stderr
  const progress = stderr.isTTY
    ? new ProgressLine(stderr, { redact: text => redactor.redact(text) })
    : undefined
  const write = (line: string): void => {
    progress?.clear()
    stderr.write(`${logSafe(redactor.redact(line))}\n`)
  }
  try {
    return await warmRun(settings, {
      log: plainLog(write),
      listEveryEndpoint: env.ACTIONS_STEP_DEBUG === 'true' || env.RUNNER_DEBUG === '1',
      ...(progress ? { progress: p => progress.update(p) } : {})
    })
  } finally {
    progress?.clear()
  }
}

/**
 * The run's findings speak the action's words ("set api-key"); a refused or missing key gets
 * one line more in the CLI's: the environment variable the key is read from.
 */
export function keyHint(
  result: FullResult,
  keyVar: string,
  env: NodeJS.ProcessEnv
): string | undefined {
  const refused = result.tiers
    .flatMap(t => t.endpoints)
    .filter(e => e.outcome !== 'passed' && /^(http-40[13]|key-refused)$/.test(e.cause ?? ''))
  if (refused.length === 0 && !result.trigger?.keyRefused && !result.metrics?.keyRefused)
    return undefined
  const statuses = new Set(refused.flatMap(e => (e.status === undefined ? [] : [e.status])))
  if (result.trigger?.keyRefused && result.trigger.status) statuses.add(result.trigger.status)
  const answered = statuses.size > 0 ? ` (${[...statuses].sort((a, b) => a - b).join('/')})` : ''
  if (!result.settings.apiKeySent) {
    const state = env[keyVar] === undefined ? 'is not set' : 'is empty'
    return `cache-warm: the deployment refused the requests${answered} and no key was sent: ${keyVar} ${state}; set ${keyVar} to the deployment's key (or name another variable with --api-key-env NAME)`
  }
  return `cache-warm: the key read from ${keyVar} was refused${answered}; check its value, and --api-key-header if the deployment reads the key from another header`
}
