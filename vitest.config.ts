import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['spec/**/*.spec.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Specs open real sockets on 127.0.0.1; forks keep each file's servers and timers apart.
    pool: 'forks',
  },
})
