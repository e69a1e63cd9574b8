import { setMaxListeners } from 'node:events'
import http from 'node:http'
import https from 'node:https'
import type { Settings } from './config/settings.js'
import { StoppedError } from './errors.js'
import { sendFollowing } from './http/redirect.js'
import { NetworkError } from './http/request.js'
import { realClock, type Clock } from './http/retry.js'
import type { Send } from './http/send.js'
import type { PhaseContext } from './phases/request.js'
import { USER_AGENT } from './version.js'
import { TokenBucket, type RateLimiter } from './warm/rate-limit.js'
import { Redactor, settingsSecrets } from './secrets.js'
import { guardedLog, toLog, type Log, type LogSink } from './log.js'

export const MAX_BODY_BYTES = 5 * 1024 * 1024

export interface EngineDeps {
  readonly clock?: Clock
  /** Replaces the HTTP layer (tests). */
  readonly send?: Send
  /** The agent per URL: keep-alive, proxy. Default: keep-alive agents sized to concurrency. */
  readonly agentFor?: (url: URL) => http.Agent | undefined
  /** Cancellation (SIGTERM, SIGINT). */
  readonly signal?: AbortSignal
  /**
   * The run's log: a Log (a group per phase, results outside them), or a function given every
   * line as plain text.
   */
  readonly log?: LogSink
  /**
   * List every endpoint's line however many there are (ACTIONS_STEP_DEBUG); else, above
   * LIST_EVERY_ENDPOINT_UP_TO planned endpoints, only the failures and the slowest few.
   */
  readonly listEveryEndpoint?: boolean
  /**
   * Told when warming starts and after each endpoint is done: always the same object, its
   * counters moved on, so a listener costs the engine no allocation per endpoint.
   */
  readonly onProgress?: (progress: WarmProgress) => void
  /**
   * The rate limit shared by every request of the run. Default: a token bucket of `max-rps`
   * when it is set; `false`: none (the caller's `send` is already limited).
   */
  readonly limiter?: RateLimiter | false
}

/** How far the warm pass is: endpoints planned in all tiers, done so far, failed of those. */
export interface WarmProgress {
  readonly total: number
  readonly done: number
  readonly failed: number
}

/** `send`, each attempt first waiting for a token of the rate limit. */
export function limitedSend(send: Send, limiter: RateLimiter | undefined | false): Send {
  if (!limiter) return send
  return async (req, opts) => {
    await limiter.take(opts.signal)
    if (opts.signal?.aborted) throw new NetworkError('aborted', 'stopped before it was sent')
    return send(req, opts)
  }
}

export function defaultAgents(concurrency: number): (url: URL) => http.Agent {
  const opts = { keepAlive: true, maxSockets: concurrency }
  const plain = new http.Agent(opts)
  const tls = new https.Agent(opts)
  return url => (url.protocol === 'https:' ? tls : plain)
}

/** What a run shares: its clock, its deadline, one signal, one rate-limited `send`. */
export interface RunContext {
  readonly clock: Clock
  /** The run's one log: its groups never nest and are closed by close(). */
  readonly log: Log
  readonly listEveryEndpoint: boolean
  readonly onProgress?: (progress: WarmProgress) => void
  readonly started: number
  readonly deadlineAt: number
  /** Aborted by cancellation (the caller's signal) or by the deadline (StoppedError('deadline')). */
  readonly signal: AbortSignal
  readonly deadlineReached: () => boolean
  readonly send: Send
  /** For requests that stream (the sitemap) and so bypass `send`. */
  readonly agentFor?: (url: URL) => http.Agent | undefined
  readonly limiter?: RateLimiter
  /**
   * Redacts the run's secrets from a text. Server words are redacted with it where the engine
   * shortens or normalises them, before the cut, so no part of a secret survives the "...".
   */
  readonly redact: (text: string) => string
  /** Stops the deadline timer, closes a group still open, and the run's own keep-alive sockets. */
  readonly close: () => void
}

/** The context every phase and every endpoint of a run shares, made from the run's one context. */
export function phaseContext(settings: Settings, run: RunContext): PhaseContext {
  return {
    settings,
    send: run.send,
    clock: run.clock,
    deadlineAt: run.deadlineAt,
    signal: run.signal,
    userAgent: USER_AGENT,
    log: line => run.log.line(line),
    redact: run.redact
  }
}

/** Opens a run: the deadline timer, the combined signal, the agents and the rate limit. */
export function openRun(settings: Settings, deps: EngineDeps): RunContext {
  const clock = deps.clock ?? realClock
  const started = clock.now()
  const deadlineAt = started + settings.run.deadlineMs
  const deadline = new AbortController()
  // The reason tells whoever shares the signal that the deadline stopped it, not a cancel.
  const cancelDeadline = clock.after(settings.run.deadlineMs, () =>
    deadline.abort(new StoppedError('deadline'))
  )
  const signal = deps.signal ? AbortSignal.any([deps.signal, deadline.signal]) : deadline.signal
  // Every request in flight listens on it: `concurrency` listeners is no leak, and Node's
  // MaxListenersExceededWarning on the runner's log would say it is.
  setMaxListeners(0, signal)

  const ownAgents =
    !deps.send && !deps.agentFor ? defaultAgents(settings.warm.concurrency) : undefined
  const agentFor = deps.agentFor ?? ownAgents
  const now = (): number => clock.now()
  const raw: Send =
    deps.send ??
    ((req, opts) =>
      // One literal in one shape, no spread: one per request (see answeredResult).
      sendFollowing(req, {
        timeoutMs: opts.timeoutMs,
        maxBodyBytes: MAX_BODY_BYTES,
        now,
        signal: opts.signal,
        agentFor
      }))
  const limiter =
    deps.limiter === false
      ? undefined
      : (deps.limiter ??
        (settings.request.maxRps ? new TokenBucket(settings.request.maxRps, clock) : undefined))

  const redactor = new Redactor(settingsSecrets(settings))
  const log = guardedLog(toLog(deps.log))
  return {
    clock,
    log,
    listEveryEndpoint: deps.listEveryEndpoint === true,
    ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
    redact: text => redactor.redact(text),
    started,
    deadlineAt,
    signal,
    deadlineReached: () => deadline.signal.aborted || clock.now() >= deadlineAt,
    send: limitedSend(raw, limiter),
    ...(agentFor ? { agentFor } : {}),
    ...(limiter ? { limiter } : {}),
    close: () => {
      log.close()
      cancelDeadline()
      // Close keep-alive sockets so the process can exit at once.
      if (ownAgents)
        for (const proto of ['http:', 'https:']) ownAgents(new URL(`${proto}//x`)).destroy()
    }
  }
}
