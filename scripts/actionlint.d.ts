/** The JSON scripts/actionlint.js writes on stdout (it is run as a process, not imported). */
export interface ActionlintFinding {
  line: number
  column: number
  message: string
  kind: string
}
export interface ActionlintOutput {
  /** The actionlint release compiled into the wasm, e.g. `1.7.7`; `unknown` if not found. */
  version: string
  results: { path: string; findings: ActionlintFinding[] }[]
}
