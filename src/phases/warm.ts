import type { Settings } from '../config/settings.js'
import type { PhaseResult, RunResult } from '../result.js'

/**
 * The warm line in the phase table: how many warmed, failed and were skipped. A job with
 * nothing to warm (the metrics gate after a sharded matrix, a shard with no share) says so.
 */
export function warmPhase(warm: RunResult, took: number, settings: Settings): PhaseResult {
  const t = warm.totals
  if (t.total === 0)
    return {
      name: 'warm',
      status: 'skipped',
      durationMs: took,
      detail: settings.warm.shard
        ? `no endpoints in shard ${settings.warm.shard.index}/${settings.warm.shard.count}`
        : settings.sitemap
          ? 'nothing to warm: no endpoints listed, and the sitemap added none'
          : 'no endpoints listed; this job only checks the deployment'
    }
  return {
    name: 'warm',
    status: t.failed + t.skipped === 0 ? 'passed' : warm.stepFailed ? 'failed' : 'warning',
    durationMs: took,
    detail: `${t.passed}/${t.total} warmed${t.failed ? `, ${t.failed} failed` : ''}${t.skipped ? `, ${t.skipped} skipped` : ''}${versionNote(warm, settings)}`
  }
}

/**
 * With expect-version, what the answers showed: `, every answer showed header:X-V=1.4.2` when
 * each warmed one did, else how many did not (each failed with the version it showed).
 */
function versionNote(warm: RunResult, settings: Settings): string {
  const check = settings.deployment.expectVersion
  if (!check) return ''
  let other = 0
  for (const tier of warm.tiers)
    for (const e of tier.endpoints) if (e.cause === 'version-mismatch') other++
  if (other > 0) return `, ${other} did not show ${check.text}`
  return warm.totals.passed > 0 ? `, every answer showed ${check.text}` : ''
}
