import type { TriggerSettings } from '../config/phases.js'
import type { PhaseResult, TriggerResult } from '../result.js'
import { requestHeaders, sendWithRetries } from '../http/send.js'
import {
  diagnoseNetwork,
  diagnoseRedirect,
  diagnoseStatus,
  serverMessage
} from '../warm/diagnose.js'
import type { PhaseContext } from './request.js'

/**
 * Calls the deployment's warm-up route once (with retries), and explains a refusal. A 401/403
 * is marked `keyRefused`: the run fails on it even when the trigger is not required.
 */
export async function callTrigger(
  trigger: TriggerSettings,
  ctx: PhaseContext
): Promise<TriggerResult> {
  const { settings } = ctx
  const { target } = trigger
  const attempted = await sendWithRetries(
    {
      method: target.method,
      url: target.url,
      headers: requestHeaders(target.url, settings, {}, ctx.userAgent)
    },
    settings.request.retries,
    settings.request.timeoutMs,
    ctx
  )
  const base = {
    method: target.method,
    path: target.path,
    required: trigger.required,
    attempts: attempted.attempts
  }
  const line = `${target.method} ${target.path}`
  const res = attempted.response
  if (!res) {
    const reason = attempted.error
      ? diagnoseNetwork(attempted.error, {
          method: target.method,
          path: target.path,
          apiKeyHeader: settings.deployment.apiKeyHeader,
          apiKeySent: !!settings.deployment.apiKey,
          attempts: attempted.attempts,
          timeoutMs: settings.request.timeoutMs
        }).reason
      : `${line} was not sent: the run was stopped`
    return { ...base, ok: false, message: `warm-up trigger failed: ${reason}` }
  }
  if (res.status >= 200 && res.status < 300 && !res.blockedRedirect) {
    return { ...base, ok: true, status: res.status, message: `${line} answered ${res.status}` }
  }
  const said = serverMessage(res, ctx.redact)
  const quote = said ? ` (server said: "${said}")` : ''
  const diagnose = {
    method: target.method,
    path: target.path,
    apiKeyHeader: settings.deployment.apiKeyHeader,
    apiKeySent: !!settings.deployment.apiKey,
    attempts: attempted.attempts,
    ...(ctx.redact ? { redact: ctx.redact } : {})
  }
  let message: string
  if ((res.status === 401 || res.status === 403) && !res.blockedRedirect) {
    // A refused key fails the step whatever warmup-trigger-required says: nothing behind the
    // key is warm then. The words name the header, never the key.
    const code = res.status === 401 ? '401 (unauthorized)' : '403 (forbidden)'
    const why = settings.deployment.apiKey
      ? `the key sent in header ${settings.deployment.apiKeyHeader} was refused${res.status === 403 ? ' (or is not allowed to warm, or warm-up is disabled on this deployment)' : ''}; check the api-key secret and api-key-header`
      : `no api-key was given, so no ${settings.deployment.apiKeyHeader} header was sent; set api-key to the deployment's key`
    return {
      ...base,
      ok: false,
      keyRefused: true,
      status: res.status,
      message: `warm-up trigger failed: ${line} returned ${code}: ${why}${quote}`
    }
  }
  if (res.status === 404 && target.method !== 'POST') {
    message = `warm-up route not found (404) for ${line}; warm-up routes usually need POST, set warmup-trigger: POST ${target.path}${quote}`
  } else if (res.status === 404) {
    message = `warm-up route not found (404): ${line}; check the path, and that this deployment has a warm-up route${quote}`
  } else {
    // A redirect that was not followed (another origin, a loop) is no "redirect with no Location".
    const d = (res.blockedRedirect ? diagnoseRedirect : diagnoseStatus)(res, diagnose)
    message = `warm-up trigger failed: ${d.reason}`
  }
  return { ...base, ok: false, status: res.status, message }
}

/**
 * The trigger line in the phase table. A refused key (401/403) fails it whether or not the
 * trigger is required; any other failure fails it only when it is required.
 */
export function triggerPhase(trigger: TriggerResult, took: number): PhaseResult {
  const fails = !trigger.ok && (trigger.required || trigger.keyRefused === true)
  return {
    name: 'trigger',
    status: trigger.ok ? 'passed' : fails ? 'failed' : 'warning',
    durationMs: took,
    detail: trigger.message
  }
}

/** A trigger that failed without failing the run is still said, as a warning. */
export function triggerWarnings(trigger: TriggerResult | undefined): string[] {
  return trigger && !trigger.ok && !trigger.required && !trigger.keyRefused ? [trigger.message] : []
}
