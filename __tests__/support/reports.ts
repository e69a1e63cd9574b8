/** JSON reports as jobs write them, for the merge tests. */

/** A minimal valid report, as JSON text. */
export function reportJson(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    schemaVersion: 1,
    tool: { name: 'cache-warm-action', version: '0.1.0' },
    target: 'https://app.example/',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 10,
    dryRun: false,
    result: 'passed',
    stepFailed: false,
    failOn: 'critical',
    settings: {
      concurrency: 8,
      timeoutMs: 10000,
      retries: 2,
      deadlineMs: 600000,
      apiKeyHeader: 'X-API-Key',
      apiKeySent: true
    },
    tiers: [
      {
        priority: 'critical',
        durationMs: 5,
        endpoints: [
          {
            source: 'endpoints',
            method: 'GET',
            path: '/a',
            priority: 'critical',
            outcome: 'passed',
            status: 200,
            attempts: 1
          }
        ]
      }
    ],
    totals: { total: 1, passed: 1, failed: 0, skipped: 0 },
    latency: {},
    warnings: [],
    phases: [],
    ...over
  })
}
