const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])

export function isLoopback(hostname: string): boolean {
  return LOOPBACK.has(hostname.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(hostname)
}

/**
 * Turns what wrangler-action's `deployment-url` output really gives into a base URL:
 * trims it, strips a trailing ` (custom domain)`, adds a scheme when there is none (see
 * addedScheme). Returns an error text instead of throwing.
 */
export function normalizeBaseUrl(raw: string): URL | string {
  const base = normalize(raw)
  return typeof base === 'string' ? base : base.url
}

/**
 * The scheme normalizeBaseUrl added to the URL it returned: `http` for this machine
 * (`localhost:8787`, `127.0.0.1:8787/app`, `[::1]:8787`), where `wrangler dev` serves plain
 * HTTP; `https` for every other host. Undefined when the user wrote a scheme, or the text is
 * no URL. Lets a TLS failure say that the https:// was a guess.
 */
export function addedScheme(raw: string): 'https' | 'http' | undefined {
  const base = normalize(raw)
  return typeof base === 'string' ? undefined : base.added
}

function normalize(raw: string): { url: URL; added?: 'https' | 'http' } | string {
  let text = raw.trim().replace(/\s*\(custom domain\)\s*$/i, '')
  if (text === '')
    return 'is empty; give the deployment URL, e.g. https://my-worker.example.workers.dev'
  // Messages echo the URL, but never a password written into it.
  const shown = (): string => text.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/?#]*@/i, '$1***@')
  if (/\s/.test(text)) return `"${shown()}" contains white space; give one URL`
  let added: 'https' | 'http' | undefined
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    added = schemeFor(text)
    text = `${added}://${text}`
  }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return `"${shown()}" is not a URL; give e.g. https://my-worker.example.workers.dev`
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `"${shown()}" uses ${url.protocol}; only https:// (or http:// for localhost) is accepted`
  }
  if (url.username || url.password)
    return 'must not contain a user name or password; pass the key as api-key'
  url.hash = ''
  return added ? { url, added } : { url }
}

/** Decided on the parsed host, never on the text: `localhost.evil.example` gets https. */
function schemeFor(text: string): 'https' | 'http' {
  try {
    return isLoopback(new URL(`http://${text}`).hostname) ? 'http' : 'https'
  } catch {
    return 'https'
  }
}

/** Joins the base URL's path prefix with an endpoint path (which may carry a query). */
export function joinUrl(base: URL, path: string): URL {
  const prefix = base.pathname.replace(/\/+$/, '')
  const rel = path.startsWith('/') ? path : `/${path}`
  return new URL(`${base.origin}${prefix}${rel}`)
}
