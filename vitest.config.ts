import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['spec/**/*.spec.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Specs open real sockets on 127.0.0.1; forks keep each file's servers and timers apart.
    pool: 'forks',
    // Type-level specs (*.test-d.ts) are checked by tsc inside `vitest run`: a broken type fails npm test.
    typecheck: {
      enabled: true,
      include: ['spec/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
})
