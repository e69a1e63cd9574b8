import { parseArgs } from 'node:util'
import { INPUT_NAMES, type RawInputs } from './config/settings.js'
import { warmRun } from './run.js'
import { errorMessage, InputError } from './errors.js'
import { parseSettings } from './config/settings.js'
import { computeOutputs } from './report/outputs.js'
import { writeReport } from './report/json.js'
import { logSafe } from './report/escape.js'
import { renderText } from './report/text.js'
import { rawSecrets, Redactor, settingsSecrets } from './secrets.js'
import { planTiers, renderPlan } from './warm/plan.js'

const HELP = `Usage: cache-warm --url URL (--endpoints-file FILE | --endpoints YAML) [options]

Warms a deployment's cache by priority and says honestly whether it is warm.
The API key is read from the environment variable CACHE_WARM_API_KEY (or --api-key-env NAME),
never from a flag, so it stays out of shell history and process lists.

Options (the action's inputs, same names and defaults):
  --url URL                 deployment base URL
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

Phases around warming (see docs/phases.md):
  --wait-for PATH           poll PATH until 2xx before warming (e.g. /health)
  --wait-for-version CHECK  path=value, header:Name=value or plain text the new version shows
  --wait-timeout DURATION   default 2m
  --poll-interval DURATION  default 5s
  --version-override VALUE  sent as Cloudflare-Workers-Version-Overrides
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

Other:
  --api-key-env NAME        environment variable holding the key (default CACHE_WARM_API_KEY)
  --json                    print the JSON report instead of the text summary
  -h, --help

Exit status: 0 when the step would pass, 1 when it would fail or an input is bad.`

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const flags = INPUT_NAMES.filter(n => n !== 'api-key' && n !== 'dry-run')
  // A YAML list starts with "-", which parseArgs would take for a flag: bind values explicitly.
  const stringFlags = new Set([...flags, 'api-key-env'].map(n => `--${n}`))
  const args: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (stringFlags.has(arg) && i + 1 < argv.length) args.push(`${arg}=${argv[++i]}`)
    else args.push(arg)
  }
  let parsed
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(flags.map(n => [n, { type: 'string' as const }])),
        'dry-run': { type: 'boolean' },
        'api-key-env': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (error) {
    const first = errorMessage(error).split('\n')[0]
    process.stderr.write(`cache-warm: ${first}; run cache-warm --help for the options\n`)
    return 1
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  if (values.help) {
    process.stdout.write(`${HELP}\n`)
    return 0
  }
  const raw: RawInputs = {}
  for (const name of flags) if (typeof values[name] === 'string') raw[name] = values[name] as string
  if (values['dry-run']) raw['dry-run'] = 'true'
  const keyVar = (values['api-key-env'] as string | undefined) ?? 'CACHE_WARM_API_KEY'
  if (env[keyVar]) raw['api-key'] = env[keyVar]

  // Before anything can print them: the key and every header value, as the action does.
  const redactor = new Redactor(rawSecrets(raw))

  try {
    const settings = parseSettings(raw, {
      workspace: process.cwd(),
      ...(env.RUNNER_TEMP ? { runnerTemp: env.RUNNER_TEMP } : {})
    })
    // Endpoint-level secret headers are known only now.
    for (const secret of settingsSecrets(settings)) redactor.add(secret)
    if (settings.dryRun)
      (values.json ? process.stderr : process.stdout).write(
        `${redactor.redact(renderPlan(planTiers(settings), settings))}\n`
      )
    const result = await warmRun(settings, {
      log: line => process.stderr.write(`${logSafe(redactor.redact(line))}\n`)
    })
    const safe = redactor.redactDeep(result)
    if (values['report-file']) await writeReport(settings.reportFile, safe)
    process.stdout.write(
      values.json
        ? `${JSON.stringify(safe, null, 2)}\n`
        : `\n${logSafe(redactor.redact(renderText(safe)))}\n`
    )
    if (!values.json) {
      const outputs = computeOutputs(result, values['report-file'] ? settings.reportFile : '')
      process.stdout.write(
        `\n${Object.entries(outputs)
          .map(([k, v]) => `${k}=${v}`)
          .join('  ')}\n`
      )
    }
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
