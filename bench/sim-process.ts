/**
 * The simulator's own process: the bench forks it so the server's CPU cost never lands on the
 * client being measured. It hosts one simulator at a time and obeys the requests of
 * sim-protocol.ts over IPC.
 */
import type { Simulator } from '../lib/simulator/index.js'
import { startFloorServer, type FloorServer } from './floor-server.js'
import { simulator as sim } from './lib-under-test.js'
import { epochNow, type FromSim, type SimStats, type ToSim } from './sim-protocol.js'

let simulator: Simulator | undefined
let floor: FloorServer | undefined
/** Frame watchers: each runs after every frame the server processed. */
const watchers = new Set<() => void>()

function send(message: FromSim): void {
  process.send?.(message)
}

function current(): Simulator {
  if (simulator === undefined) throw new Error('no simulator running: send start first')
  return simulator
}

function stats(): SimStats {
  const s = current().stats
  const cpu = process.cpuUsage()
  return {
    tasksReceived: s.tasksReceived,
    executed: s.executions.size,
    executions: [...s.executions.values()].reduce((sum, n) => sum + n, 0),
    executedTwice: s.executedTwice().length,
    connections: s.connections,
    authentications: s.authentications,
    resumes: s.resumes,
    replayed: s.replayed,
    polls: s.polls,
    openSockets: s.openSockets,
    cpuUs: cpu.user + cpu.system,
  }
}

function watch(check: () => boolean): void {
  const watcher = (): void => {
    if (check()) watchers.delete(watcher)
  }
  if (!check()) watchers.add(watcher)
}

async function handle(request: ToSim): Promise<unknown> {
  switch (request.op) {
    case 'start': {
      if (simulator !== undefined) await simulator.close()
      simulator = undefined
      await floor?.close()
      floor = undefined
      watchers.clear()
      if (request.options.floor === true) {
        floor = await startFloorServer()
        return { url: floor.url }
      }
      // No idle timeout: a long scenario must not lose its socket to the server's housekeeping.
      const started = await sim.startSimulator({ ...request.options, idleTimeoutMs: 0 })
      started.events.on('frame', () => {
        for (const watcher of [...watchers]) watcher()
      })
      started.events.on('internalError', (error) => {
        console.error('simulator internal error', error)
      })
      simulator = started
      return { url: started.url }
    }
    case 'stop': {
      watchers.clear()
      const closing = Promise.all([simulator?.close(), floor?.close()])
      simulator = undefined
      floor = undefined
      await closing
      return null
    }
    case 'hold':
      current().holdResults()
      return null
    case 'release':
      current().releaseResults()
      return null
    case 'dropAll':
      current().dropAll()
      return epochNow()
    case 'dropWhenReceived': {
      const sim = current()
      watch(() => {
        if (sim.stats.tasksReceived < request.total) return false
        sim.dropAll()
        send({ event: 'dropped', at: epochNow(), tasksReceived: sim.stats.tasksReceived })
        return true
      })
      return null
    }
    case 'delay':
      current().delay(request.ms, request.n)
      return null
    case 'waitReceived': {
      const sim = current()
      return await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`the simulator received ${sim.stats.tasksReceived} of ${request.total} tasks within ${request.timeoutMs} ms`))
        }, request.timeoutMs)
        watch(() => {
          if (sim.stats.tasksReceived < request.total) return false
          clearTimeout(timer)
          resolve(sim.stats.tasksReceived)
          return true
        })
      })
    }
    case 'stats':
      return stats()
    case 'cpu': {
      const cpu = process.cpuUsage()
      return cpu.user + cpu.system
    }
  }
}

process.on('message', (message: ToSim) => {
  handle(message).then(
    (value) => send({ id: message.id, ok: true, value }),
    (error: unknown) => send({ id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  )
})

// The bench going away takes the simulator with it.
process.on('disconnect', () => {
  void simulator?.close().finally(() => process.exit(0))
  if (simulator === undefined) process.exit(0)
})
