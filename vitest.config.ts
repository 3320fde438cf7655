import { defineConfig } from 'vitest/config'

const common = {
  environment: 'node',
  testTimeout: 20_000,
  hookTimeout: 20_000,
  // Specs open real sockets on 127.0.0.1; forks keep each file's servers and timers apart.
  pool: 'forks',
} as const

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...common,
          name: 'ws',
          include: ['spec/**/*.spec.ts'],
          exclude: ['spec/queue/**'],
          // Type-level specs (*.test-d.ts) are checked by tsc inside `vitest run`: a broken type fails npm test.
          typecheck: { enabled: true, include: ['spec/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
      {
        // The fleet on BullMQ: one redis-server for the run (spec/helpers/redis-global.ts), real worker processes.
        test: {
          ...common,
          name: 'queue',
          include: ['spec/queue/**/*.spec.ts'],
          globalSetup: ['spec/helpers/redis-global.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The client's specs for tasks, reconnect and close again, over a standard WHATWG WebSocket
        // (undici's, the one behind Node's global): spec/helpers/harness.ts gives it to every client.
        test: {
          ...common,
          name: 'whatwg',
          include: [
            'spec/client/tasks.spec.ts',
            'spec/client/connection.spec.ts',
            'spec/client/exit.spec.ts',
            'spec/client/time.spec.ts',
            'spec/recovery/*.spec.ts',
          ],
          env: { RUNWARE_SPEC_WEBSOCKET: 'whatwg' },
        },
      },
    ],
  },
})
