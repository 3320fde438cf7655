/**
 * A minimal Runware-protocol server for the throughput and latency scenarios: authentication,
 * ping, and every task answered at once with its result items, one frame per frame received,
 * built as text. It costs far less CPU per task than the client under test (the full simulator
 * costs more, so it would measure itself), which is what makes the client's own cost visible.
 */
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type RawData } from 'ws'

export interface FloorServer {
  readonly url: string
  close(): Promise<void>
}

const AUTH_REPLY = '{"data":[{"taskType":"authentication","connectionSessionUUID":"00000000-0000-4000-8000-000000000000"}]}'
const PONG = '{"data":[{"taskType":"ping","pong":true}]}'

interface Incoming {
  taskType?: unknown
  taskUUID?: unknown
  numberResults?: unknown
}

function text(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}

export async function startFloorServer(): Promise<FloorServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  let outputs = 0
  server.on('connection', (socket) => {
    socket.on('error', () => undefined)
    socket.on('message', (data: RawData) => {
      const tasks = JSON.parse(text(data)) as Incoming[]
      const items: string[] = []
      for (const task of tasks) {
        if (task.taskType === 'authentication') {
          socket.send(AUTH_REPLY)
          continue
        }
        if (task.taskType === 'ping') {
          socket.send(PONG)
          continue
        }
        const count = typeof task.numberResults === 'number' ? task.numberResults : 1
        for (let i = 0; i < count; i++) {
          outputs += 1
          // Ids are distinct per output, which is all a client relies on; no UUID is drawn.
          items.push(
            `{"taskType":"imageInference","taskUUID":"${String(task.taskUUID)}","imageUUID":"floor-${outputs}",` +
              `"imageURL":"https://example.invalid/floor/${outputs}.jpg","seed":${outputs}}`,
          )
        }
      }
      if (items.length > 0) socket.send(`{"data":[${items.join(',')}]}`)
    })
  })
  const address = server.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${address.port}/v1`,
    close: () => {
      for (const client of server.clients) client.terminate()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
