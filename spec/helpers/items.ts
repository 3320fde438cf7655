/** Helpers for specs that compare result items: what the library itself never needs. */
import type { ResultItem } from '../../lib/protocol/protocol.js'
import { DEFAULT_KIND, kindOf } from '../../lib/tasks/admit.js'
import { POLL_STATUSES } from '../../lib/protocol/protocol.js'
import { identityOf } from '../../lib/tasks/outputs.js'

/** The field that asks for a number of results. */
export function countField(taskType: string): 'numberResults' | 'promptVersions' {
  return kindOf(taskType).countField ?? 'numberResults'
}

/** Fields that describe delivery, not the output: ignored when comparing items without an id. */
const DELIVERY_FIELDS = new Set(['progress', 'taskUUID'])

/**
 * A key equal for two copies of the same output and different for different outputs, as far as
 * the content can tell: the id when there is one, else the content without delivery fields. The
 * client dedupes by `identityOf` only (equal content is not a replay); specs check results with this.
 */
export function itemKey(item: ResultItem): string {
  const id = identityOf(item, DEFAULT_KIND)
  if (id !== undefined) return id
  const rest: Record<string, unknown> = {}
  for (const key of Object.keys(item).sort()) {
    if (DELIVERY_FIELDS.has(key)) continue
    // A poll status says how the item was delivered; any other status (modelUpload's stages) is content.
    if (key === 'status' && typeof item.status === 'string' && POLL_STATUSES.has(item.status)) continue
    rest[key] = item[key]
  }
  return JSON.stringify(rest)
}
