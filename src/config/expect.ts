import { z } from 'zod'

/** The operators a JSON check may use instead of a literal. */
export const JSON_OPERATORS = ['exists', 'non-empty', 'not-null'] as const
export type JsonOperator = (typeof JSON_OPERATORS)[number]

export type JsonLiteral = string | number | boolean | null

/** What an endpoint's final answer must look like to count as warmed. */
export interface Expect {
  /** Accepted status codes; undefined means any 2xx. */
  readonly status?: readonly number[]
  /** Dot path (`data.0.price`) → literal or operator. */
  readonly json?: Readonly<Record<string, JsonLiteral>>
}

const statusCode = z
  .number({ error: 'expected an HTTP status code such as 200' })
  .int({ error: 'expected an HTTP status code such as 200' })
  .min(100, { error: 'expected an HTTP status code between 100 and 599' })
  .max(599, { error: 'expected an HTTP status code between 100 and 599' })

export const expectSchema = z
  .strictObject(
    {
      status: z.union(
        [statusCode, z.array(statusCode).min(1, { error: 'list at least one status code' })],
        {
          error: 'expected a status code or a list of them, e.g. 200 or [200, 204]'
        }
      ),
      json: z.record(
        z.string().min(1, { error: 'a JSON path must not be empty' }),
        z.union([z.string(), z.number(), z.boolean(), z.null()], {
          error: `expected a literal (string, number, true, false, null) or one of ${JSON_OPERATORS.join(', ')}`
        }),
        {
          error: 'expected a mapping of dot paths to values, e.g. {success: true, data: non-empty}'
        }
      )
    },
    {
      // firstIssue() names the unknown keys itself and appends this.
      error: issue =>
        issue.code === 'unrecognized_keys'
          ? 'accepted: status, json'
          : 'expected a mapping with status and/or json, e.g. {status: 200}'
    }
  )
  .partial()
  .transform((raw): Expect => ({
    ...(raw.status !== undefined
      ? { status: Array.isArray(raw.status) ? raw.status : [raw.status] }
      : {}),
    ...(raw.json !== undefined ? { json: raw.json } : {})
  }))
