/**
 * The few errors the action raises on purpose. The top level turns each into one line for the
 * log and the summary; none of them is ever shown with a stack trace.
 */

/** A user's input is wrong. The message names the kebab-case input and what is accepted. */
export class InputError extends Error {
  override readonly name = 'InputError'
  constructor(
    readonly input: string,
    detail: string
  ) {
    // One line, always: a line break the user typed (a pasted second URL, a quoted YAML
    // string) is shown as \n instead of splitting the message.
    const line = detail.replace(/\r\n|\r|\n/g, '\\n')
    super(`${input}${line.startsWith('[') || line.startsWith('.') ? '' : ': '}${line}`)
  }
}

/** The run was stopped before it finished: the deadline passed, or the job was cancelled. */
export class StoppedError extends Error {
  override readonly name = 'StoppedError'
  constructor(readonly why: 'deadline' | 'cancelled') {
    super(why === 'deadline' ? 'the deadline passed' : 'the run was cancelled')
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}

/**
 * Reports that cannot be merged (none found, unreadable, not a report, another schemaVersion,
 * another deployment). The message names the file and what is wrong; the action prefixes the
 * input (`merge-reports: ...`), the CLI its command.
 */
export class MergeRefused extends Error {
  override readonly name = 'MergeRefused'
}
