/**
 * Outbound units and how they are cut into frames. A unit is what one piece of work produced
 * (a task's result items, a reply to one request task, or a control frame); `framing` decides how
 * units become frames.
 */
import type { Framing } from './options.js'
import type { OutUnit, ReplyUnit, ResultUnit, Session } from './model.js'
import { encodeEnvelope } from './replies.js'

type ItemUnit = ReplyUnit | ResultUnit

export function encodeUnit(unit: OutUnit): string {
  return unit.kind === 'control' ? unit.raw : encodeEnvelope(unit.data, unit.errors)
}

function emptyLike(unit: ItemUnit): ItemUnit {
  return unit.kind === 'result' ? { kind: 'result', data: [], errors: [], session: unit.session } : { kind: 'reply', data: [], errors: [] }
}

function size(unit: ItemUnit): number {
  return unit.data.length + unit.errors.length
}

/** One frame per item. */
function perItem(units: readonly OutUnit[]): OutUnit[] {
  const frames: OutUnit[] = []
  for (const unit of units) {
    if (unit.kind === 'control') {
      frames.push(unit)
      continue
    }
    for (const item of unit.data) frames.push({ ...emptyLike(unit), data: [item] })
    for (const error of unit.errors) frames.push({ ...emptyLike(unit), errors: [error] })
  }
  return frames
}

/** Consecutive units of the same kind (and session) merged, at most `max` items per frame. */
function batched(units: readonly OutUnit[], max: number): OutUnit[] {
  const frames: OutUnit[] = []
  let current: ItemUnit | undefined
  const close = (): void => {
    if (current !== undefined && size(current) > 0) frames.push(current)
    current = undefined
  }
  const room = (unit: ItemUnit): ItemUnit => {
    if (current === undefined || size(current) >= max) {
      close()
      current = emptyLike(unit)
    }
    return current
  }
  for (const unit of units) {
    if (unit.kind === 'control') {
      close()
      frames.push(unit)
      continue
    }
    if (current !== undefined && (current.kind !== unit.kind || sessionOf(current) !== sessionOf(unit))) close()
    for (const item of unit.data) room(unit).data.push(item)
    for (const error of unit.errors) room(unit).errors.push(error)
  }
  close()
  return frames
}

function sessionOf(unit: ItemUnit): Session | undefined {
  return unit.kind === 'result' ? unit.session : undefined
}

export function toFrames(units: OutUnit[], framing: Framing, maxItemsPerFrame: number): OutUnit[] {
  switch (framing) {
    case 'item':
      return perItem(units)
    case 'task':
      return units
    case 'batch':
      return batched(units, maxItemsPerFrame)
    case 'mixed':
      return mixed(units, maxItemsPerFrame)
  }
}

/** Each task's results as its own draw says; consecutive `batch` ones merge, as a batching server would. */
function mixed(units: readonly OutUnit[], max: number): OutUnit[] {
  const frames: OutUnit[] = []
  let run: OutUnit[] = []
  const flush = (): void => {
    if (run.length > 0) frames.push(...batched(run, max))
    run = []
  }
  for (const unit of units) {
    const drawn = unit.kind === 'result' ? (unit.framing ?? 'task') : 'task'
    if (drawn === 'batch') {
      run.push(unit)
      continue
    }
    flush()
    frames.push(...(drawn === 'item' ? perItem([unit]) : [unit]))
  }
  flush()
  return frames
}
