import type { z } from 'zod'

/** A key that reads like a name (`priority`, `X-Tenant`, `data.0.price`) is shown as it is. */
const PLAIN_KEY = /^[\w$.-]{1,64}$/

/**
 * A key of the user's document for a message: `"code"`, or `a key of 80 characters` when it
 * does not read like a name (a file that is not an endpoint list must not reach the log).
 */
export function shownKey(key: string): string {
  return PLAIN_KEY.test(key) ? `"${key}"` : `a key of ${key.length} characters`
}

/** Formats a zod path as `[3].priority` or `.critical[0].path`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map(p =>
      typeof p === 'number'
        ? `[${p}]`
        : PLAIN_KEY.test(String(p))
          ? `.${String(p)}`
          : `.(a key of ${String(p).length} characters)`
    )
    .join('')
}

/** The first zod issue as one line: `[3].priority: expected one of ...`. */
export function firstIssue(error: z.ZodError, prefix: readonly PropertyKey[] = []): string {
  const issue = error.issues[0]
  if (!issue) return 'is not valid'
  const where = formatPath([...prefix, ...issue.path])
  let message = issue.message
  if (issue.code === 'unrecognized_keys') {
    message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map(shownKey).join(', ')}`
    // A schema may say what it accepts instead of zod's "Unrecognized key ..." text.
    if (!/^Unrecognized key/.test(issue.message)) message += `; ${issue.message}`
  } else if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
    message = 'is required'
  }
  return where ? `${where}: ${message}` : message
}
