import { expect } from '@jest/globals'
import { NetworkError } from '../../src/http/request.js'

/** The NetworkError `promise` rejects with; fails the test when it resolves or rejects otherwise. */
export async function failureOf(promise: Promise<unknown>): Promise<NetworkError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(NetworkError)
    return error as NetworkError
  }
  throw new Error('expected the request to fail')
}
