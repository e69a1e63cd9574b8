import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { closestFlag, editDistance, parseCliArgs, type CliArgs } from '../src/cli-args.js'

const SECRET = 'sk-live-4f9a2c7e1b'

function parsed(argv: string[], env: NodeJS.ProcessEnv = {}): Extract<CliArgs, { ok: true }> {
  const args = parseCliArgs(argv, env)
  if (!args.ok) throw new Error(`expected to parse, got: ${args.message}`)
  return args
}

function refused(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  const args = parseCliArgs(argv, env)
  if (args.ok) throw new Error(`expected a message for ${argv.join(' ')}`)
  return args.message
}

describe('parseCliArgs: what it takes', () => {
  it('reads --name VALUE and --name=VALUE as the action inputs of the same names', () => {
    const { raw } = parsed(['--url', 'https://a.example', '--concurrency=4', '--fail-on', 'any'])
    expect(raw).toEqual({ url: 'https://a.example', concurrency: '4', 'fail-on': 'any' })
  })

  it('binds a value that starts with "-" to its flag, so a YAML list is not taken for one', () => {
    const { raw } = parsed(['--endpoints', '- /a\n- /b', '--headers', '--X: y'])
    expect(raw).toEqual({ endpoints: '- /a\n- /b', headers: '--X: y' })
  })

  it('keeps an "=" inside an inline value', () => {
    expect(parsed(['--wait-for-version=version=abc']).raw['wait-for-version']).toBe('version=abc')
  })

  it('takes the last of a repeated flag', () => {
    expect(parsed(['--retries', '1', '--retries', '3']).raw.retries).toBe('3')
  })

  it('turns --dry-run into the dry-run input and reads --json and --help / -h', () => {
    expect(parsed(['--dry-run']).raw).toEqual({ 'dry-run': 'true' })
    expect(parsed(['--json'])).toMatchObject({ json: true, help: false })
    expect(parsed(['--help'])).toMatchObject({ help: true, json: false })
    expect(parsed(['-h']).help).toBe(true)
  })

  it('reads the key from CACHE_WARM_API_KEY, or the variable --api-key-env names', () => {
    expect(parsed([], { CACHE_WARM_API_KEY: SECRET })).toMatchObject({
      raw: { 'api-key': SECRET },
      keyVar: 'CACHE_WARM_API_KEY'
    })
    const custom = parsed(['--api-key-env', 'MY_KEY'], { MY_KEY: SECRET, CACHE_WARM_API_KEY: 'x' })
    expect(custom).toMatchObject({ raw: { 'api-key': SECRET }, keyVar: 'MY_KEY' })
    expect(custom.raw).not.toHaveProperty('api-key-env')
  })

  it('sends no key when the variable is unset or empty', () => {
    expect(parsed([], {}).raw).not.toHaveProperty('api-key')
    expect(parsed([], { CACHE_WARM_API_KEY: '' }).raw).not.toHaveProperty('api-key')
  })
})

describe('parseCliArgs: the key is never a flag', () => {
  it.each([
    [['--api-key', SECRET]],
    [[`--api-key=${SECRET}`]],
    [['--url', 'https://a.example', '--api-key', SECRET, '--dry-run']],
    [['-api-key', SECRET]],
    [['--api_key', SECRET]],
    [['--apikey', SECRET]],
    [[`--apikey=${SECRET}`]],
    [['--API-KEY', SECRET]],
    [['--api-keys', SECRET]],
    [['--key', SECRET]],
    [['--token', SECRET]],
    [['--api-secret', SECRET]],
    [['--password', SECRET]]
  ])('answers %j with where the key goes, never the key', argv => {
    const message = refused(argv)
    const flag = argv.find(a => a.startsWith('-') && a !== '--url' && a !== '--dry-run')!
    expect(message).toBe(
      `cache-warm: ${flag.split('=')[0]} is not a flag, so the key stays out of shell history and process lists; set CACHE_WARM_API_KEY (or name another variable with --api-key-env NAME)`
    )
    expect(message).not.toContain(SECRET)
  })

  it('names the variable --api-key-env gives, even when it comes later', () => {
    const message = refused(['--api-key', SECRET, '--api-key-env', 'WORKER_KEY'])
    expect(message).toContain('set WORKER_KEY (or name another variable')
    expect(message).not.toContain(SECRET)
  })

  it('refuses a key given to --api-key-env in place of a variable name, without echoing it', () => {
    const message = refused(['--api-key-env', SECRET])
    expect(message).toBe(
      'cache-warm: --api-key-env takes the name of an environment variable (letters, digits and _), not the key itself, e.g. --api-key-env MY_KEY'
    )
    expect(message).not.toContain(SECRET)
  })

  it('still knows --api-key-env and --api-key-header', () => {
    expect(parsed(['--api-key-header', 'Authorization']).raw['api-key-header']).toBe(
      'Authorization'
    )
    expect(parsed(['--api-key-env=K']).keyVar).toBe('K')
  })
})

describe('parseCliArgs: a mistyped flag', () => {
  it.each([
    ['--concurency', 'concurrency'],
    ['--concurrancy', 'concurrency'],
    ['--endpoint', 'endpoints'],
    ['--endpoint-file', 'endpoints-file'],
    ['--endpoints_file', 'endpoints-file'],
    ['--Dry-Run', 'dry-run'],
    ['--dryrun', 'dry-run'],
    ['--max-rsp', 'max-rps'],
    ['--rps', 'max-rps'],
    ['--jsn', 'json'],
    ['--uri', 'url'],
    ['--header', 'headers'],
    ['--threshold', 'thresholds'],
    ['--wait-for-versoin', 'wait-for-version'],
    ['--warmup-triger', 'warmup-trigger'],
    ['--api-key-en', 'api-key-env'],
    ['--helpp', 'help']
  ])('answers %s with "did you mean --%s?"', (typed, meant) => {
    expect(refused([typed, '4'])).toBe(
      `cache-warm: unknown option ${typed}; did you mean --${meant}? Run cache-warm --help for the options`
    )
  })

  it.each([
    ['-url', 'url'],
    ['-dry-run', 'dry-run'],
    ['-concurrency', 'concurrency']
  ])('answers the single-dash long flag %s with --%s', (typed, meant) => {
    expect(refused([typed, 'x'])).toBe(
      `cache-warm: unknown option ${typed}; did you mean --${meant}? Run cache-warm --help for the options`
    )
  })

  it.each(['--frobnicate', '--x', '-v', '--verbose'])(
    'answers %s, close to nothing, with the help hint alone',
    typed => {
      expect(refused([typed])).toBe(
        `cache-warm: unknown option ${typed}; run cache-warm --help for the options`
      )
    }
  )

  it('never shows the value given to an unknown flag, inline or next', () => {
    for (const argv of [[`--concurency=${SECRET}`], ['--concurency', SECRET], [`-url=${SECRET}`]]) {
      const message = refused(argv)
      expect(message).toContain('did you mean')
      expect(message).not.toContain(SECRET)
    }
  })

  it('does not show an "option" that looks like no flag name (it may be a pasted secret)', () => {
    for (const odd of ['--0a9f8e7d6c5b', '-/etc/key', `--${'a'.repeat(60)}`, '--\u001b[31mred']) {
      const message = refused(['--url', 'https://a.example', odd])
      expect(message).toBe(
        'cache-warm: argument 3 is an unknown option (not shown, in case it is a secret); run cache-warm --help for the options'
      )
    }
  })
})

describe('parseCliArgs: values in the wrong place', () => {
  it('says a flag at the end needs a value', () => {
    expect(refused(['--url'])).toBe(
      'cache-warm: --url needs a value; run cache-warm --help for the options'
    )
  })

  it('says a switch takes no value, without echoing it', () => {
    expect(refused(['--dry-run=false'])).toBe(
      'cache-warm: --dry-run takes no value (leave it out for false); run cache-warm --help for the options'
    )
    expect(refused(['--json', SECRET])).toBe(
      'cache-warm: --json takes no value, but one follows it; run cache-warm --help for the options'
    )
  })

  it('refuses a value with no flag before it, saying where, not what', () => {
    for (const argv of [
      ['--url', 'https://a.example', SECRET],
      ['--url', 'https://a.example', '--', SECRET]
    ]) {
      const message = refused(argv)
      expect(message).toMatch(/^cache-warm: argument 3 is a value with no flag before it/)
      expect(message).not.toContain(SECRET)
    }
  })

  it('reports the first problem of several', () => {
    expect(refused(['--concurency', '4', '--url'])).toContain('did you mean --concurrency?')
  })
})

describe('parseCliArgs, for any command line', () => {
  const flags = ['--url', '--endpoints', '--dry-run', '--json', '-h', '--api-key-env', '--api-key']
  const typos = ['--concurency', '--apikey', '-url', '--frobnicate', '--', '-']
  it('never repeats a value that is not a flag in its message', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...flags, ...typos, 'SECRET', '=SECRET'), { maxLength: 8 }),
        words => {
          // The secret goes where a value goes: alone, or after "=" on a flag.
          const argv = words.reduce<string[]>((out, w) => {
            if (w === '=SECRET' && out.length > 0 && out.at(-1)!.startsWith('-'))
              out[out.length - 1] = `${out.at(-1)}=${SECRET}`
            else out.push(w === 'SECRET' || w === '=SECRET' ? SECRET : w)
            return out
          }, [])
          const args = parseCliArgs(argv, {})
          if (!args.ok) expect(args.message).not.toContain(SECRET)
          if (!args.ok) expect(args.message.split('\n')).toHaveLength(1)
        }
      )
    )
  })
})

describe('closestFlag', () => {
  it('offers the closest of several flags that begin with what was typed', () => {
    expect(closestFlag('endpoint')).toBe('endpoints')
    expect(closestFlag('wait')).toBe('wait-for')
    expect(closestFlag('sitemap-ex')).toBe('sitemap-exclude')
  })

  it('offers nothing for a short or far name', () => {
    expect(closestFlag('a')).toBeUndefined()
    expect(closestFlag('zz')).toBeUndefined()
    expect(closestFlag('completely-different')).toBeUndefined()
  })
})

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['url', '', 3],
    ['url', 'url', 0],
    ['concurency', 'concurrency', 1],
    ['max-rsp', 'max-rps', 1],
    ['kitten', 'sitting', 3]
  ])('from %p to %p is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d)
    expect(editDistance(b, a)).toBe(d)
  })
})
