import type { Target } from '../config/phases.js'
import type { TriggerResult } from '../result.js'
import { requestHeaders, sendWithRetries } from '../warm/endpoint.js'
import {
  diagnoseNetwork,
  diagnoseRedirect,
  diagnoseStatus,
  serverMessage
} from '../warm/diagnose.js'
import type { PhaseContext } from './request.js'

/** Calls the deployment's warm-up route once (with retries), and explains a refusal. */
export async function callTrigger(target: Target, ctx: PhaseContext): Promise<TriggerResult> {
  const { settings } = ctx
  const attempted = await sendWithRetries(
    {
      method: target.method,
      url: target.url,
      headers: requestHeaders(target.url, settings, {}, ctx.userAgent)
    },
    settings.retries,
    settings.timeoutMs,
    ctx
  )
  const base = {
    method: target.method,
    path: target.path,
    required: settings.warmupTriggerRequired,
    attempts: attempted.attempts
  }
  const line = `${target.method} ${target.path}`
  const res = attempted.response
  if (!res) {
    const reason = attempted.error
      ? diagnoseNetwork(attempted.error, {
          method: target.method,
          path: target.path,
          apiKeyHeader: settings.apiKeyHeader,
          apiKeySent: !!settings.apiKey,
          attempts: attempted.attempts,
          timeoutMs: settings.timeoutMs
        }).reason
      : `${line} was not sent: the run was stopped`
    return { ...base, ok: false, message: `warm-up trigger failed: ${reason}` }
  }
  if (res.status >= 200 && res.status < 300 && !res.blockedRedirect) {
    return { ...base, ok: true, status: res.status, message: `${line} answered ${res.status}` }
  }
  const said = serverMessage(res)
  const quote = said ? ` (server said: "${said}")` : ''
  let message: string
  if (res.status === 403) {
    message = `warm-up route refused (403): the deployment may have warm-up disabled, or the key may not be allowed to warm${quote}`
  } else if (res.status === 404 && target.method !== 'POST') {
    message = `warm-up route not found (404) for ${line}; warm-up routes usually need POST, set warmup-trigger: POST ${target.path}${quote}`
  } else if (res.status === 404) {
    message = `warm-up route not found (404): ${line}; check the path, and that this deployment has a warm-up route${quote}`
  } else {
    // A redirect that was not followed (another origin, a loop) is no "redirect with no Location".
    const d = (res.blockedRedirect ? diagnoseRedirect : diagnoseStatus)(res, {
      method: target.method,
      path: target.path,
      apiKeyHeader: settings.apiKeyHeader,
      apiKeySent: !!settings.apiKey,
      attempts: attempted.attempts
    })
    message = `warm-up trigger failed: ${d.reason}`
  }
  return { ...base, ok: false, status: res.status, message }
}
