import { InputError } from '../errors.js'
import { INPUTS } from './defaults.js'
import { DURATION_HELP, formatDuration, parseDuration } from './duration.js'
import { EndpointsError } from './endpoints.js'
import type { InputName } from './settings.js'

/** Raw input strings by name, as the runner or the CLI gives them. */
type Raw = Partial<Record<string, string>>

/** The input, trimmed; its default when it is empty (the runner passes unset inputs as ''). */
export function read(raw: Raw, name: InputName): string {
  const v = raw[name]?.trim() ?? ''
  return v === '' ? INPUTS[name].default : v
}

export function integer(
  raw: Raw,
  name: InputName,
  { min, max }: { readonly min: number; readonly max: number }
): number {
  const text = read(raw, name)
  if (!/^\d+$/.test(text))
    throw new InputError(name, `"${text}" is not a whole number; accepted: ${min} to ${max}`)
  const n = Number(text)
  if (n < min || n > max)
    throw new InputError(name, `${n} is out of range; accepted: ${min} to ${max}`)
  return n
}

/** A duration in milliseconds, more than 0 and at most `maxMs`. */
export function duration(raw: Raw, name: InputName, { maxMs }: { readonly maxMs: number }): number {
  const text = read(raw, name)
  const ms = parseDuration(text)
  if (ms === undefined) throw new InputError(name, `"${text}" is not ${DURATION_HELP}`)
  if (ms <= 0) throw new InputError(name, `"${text}" is too short; it must be more than 0`)
  if (ms > maxMs)
    throw new InputError(
      name,
      `"${text}" is too long; the most accepted is ${formatDuration(maxMs)}`
    )
  return ms
}

export function parseBoolean(name: string, text: string): boolean {
  if (['true', 'True', 'TRUE'].includes(text)) return true
  if (['false', 'False', 'FALSE', ''].includes(text)) return false
  throw new InputError(name, `"${text}" is not a boolean; accepted: true or false`)
}

export function bool(raw: Raw, name: InputName): boolean {
  return parseBoolean(name, read(raw, name))
}

export function oneOf<T extends string>(raw: Raw, name: InputName, accepted: readonly T[]): T {
  const text = read(raw, name).toLowerCase()
  if (!(accepted as readonly string[]).includes(text)) {
    throw new InputError(name, `"${text}" is not accepted; accepted: ${accepted.join(', ')}`)
  }
  return text as T
}

/**
 * Runs `parse` on the text of input `name`; an EndpointsError it throws (a bad path, a bad
 * endpoint list) becomes an InputError naming that input.
 */
export function withInputName<T>(name: InputName, parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    if (error instanceof EndpointsError) throw new InputError(name, error.message)
    throw error
  }
}
