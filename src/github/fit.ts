/**
 * Cutting text to one of GitHub's size limits. GitHub measures a check run's summary in UTF-8
 * bytes ("summary exceeds a maximum bytesize of 65535"), not in the characters its docs name,
 * and every ✅ or · of a summary is 2 to 4 bytes; a comment's body in characters. A cut never
 * splits a character (half of a surrogate pair is not Unicode, and GitHub refuses or garbles
 * it), and ends at a line when one is near, so a table row is never left half.
 */

/** `text` as GitHub counts a check run's summary. */
export const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8')

/** `text` as GitHub counts a comment's body, at most: UTF-16 units are never fewer than characters. */
export const utf16Units = (text: string): number => text.length

/**
 * `text` when it fits in `limit` as `size` measures it; else its longest start that fits with
 * `note` after it, ended at a line break when one is in the last half.
 */
export function cutToFit(
  text: string,
  limit: number,
  note: string,
  size: (text: string) => number
): string {
  if (size(text) <= limit) return text
  const room = limit - size(note)
  // The longest start that fits: sizes only grow with length, so a binary search finds it.
  let lo = 0
  let hi = Math.min(text.length, Math.max(0, room))
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (size(text.slice(0, mid)) <= room) lo = mid
    else hi = mid - 1
  }
  let end = lo
  const last = text.charCodeAt(end - 1)
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--
  const line = text.lastIndexOf('\n', end - 1)
  if (line >= end / 2) end = line
  return text.slice(0, end) + note
}
