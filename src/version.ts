/** The action's version, shown in the User-Agent and the report. Kept in step with package.json by a test. */
export const VERSION = '0.1.0'
export const USER_AGENT = `cache-warm-action/${VERSION}`
