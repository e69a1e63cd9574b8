import type { z } from 'zod'

/** Formats a zod path as `[3].priority` or `.critical[0].path`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map(p => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')
}

/** The first zod issue as one line: `[3].priority: expected one of ...`. */
export function firstIssue(error: z.ZodError, prefix: readonly PropertyKey[] = []): string {
  const issue = error.issues[0]
  if (!issue) return 'is not valid'
  const where = formatPath([...prefix, ...issue.path])
  let message = issue.message
  if (issue.code === 'unrecognized_keys') {
    message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map(k => `"${k}"`).join(', ')}`
    // A schema may say what it accepts instead of zod's "Unrecognized key ..." text.
    if (!/^Unrecognized key/.test(issue.message)) message += `; ${issue.message}`
  } else if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
    message = 'is required'
  }
  return where ? `${where}: ${message}` : message
}
