/** JSON reports as jobs write them, for the merge tests. */

/** What `totals` says of these tiers, as a job writes it. */
function totalsOf(tiers: unknown): Record<string, number> {
  const all = (tiers as { endpoints: { outcome: string }[] }[]).flatMap(t => t.endpoints)
  const count = (o: string): number => all.filter(e => e.outcome === o).length
  return {
    total: all.length,
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped')
  }
}

/** A minimal valid report, as JSON text; totals follow `tiers` unless given. */
export function reportJson(over: Record<string, unknown> = {}): string {
  const totals = Array.isArray(over.tiers) && !('totals' in over) ? totalsOf(over.tiers) : undefined
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
    ...over,
    ...(totals ? { totals } : {})
  })
}
