/**
 * The specs a mutation run uses: those that exercise the core in this process (Stryker activates
 * a mutant through a global, so a spec that spawns a process would test unmutated code, slowly).
 */
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    environment: 'node',
    // A hung promise fails its spec here (killed) instead of costing a Stryker timeout and a
    // restarted worker; the slowest spec in this set takes about 1 s.
    testTimeout: 6_000,
    hookTimeout: 6_000,
    env: { RUNWARE_MUTATION_RUN: '1' },
    include: [
      'spec/unit/**/*.spec.ts',
      'spec/client/connection.spec.ts',
      'spec/client/odd-frames.spec.ts',
      'spec/client/tasks.spec.ts',
      'spec/client/receiver.spec.ts',
      // The chaos spec (2,000 tasks, 3 s) is left out: it runs first for every mutant it covers, which is all of them.
      'spec/recovery/lost-replies.spec.ts',
      'spec/recovery/requests.spec.ts',
      'spec/recovery/settled.spec.ts',
      'spec/recovery/state-machine.spec.ts',
      'spec/recovery/tasks.spec.ts',
      'spec/recovery/direct.spec.ts',
      'spec/hardening/callers.spec.ts',
      'spec/hardening/frames.spec.ts',
      'spec/hardening/options.spec.ts',
      'spec/hardening/secrets.spec.ts',
      'spec/hardening/tasks.spec.ts',
      'spec/hardening/thrown-values.spec.ts',
      // The journal's and idempotency keys' paths through the engine and carry-out (in this process; the crash spec spawns).
      'spec/durable/journal.spec.ts',
      'spec/durable/idempotency.spec.ts',
      // The per-model limit (pure). Not the lanes' spec: its races of slow tasks cover most of the
      // engine and cost seconds per mutant (a full run with it reached 53 % in 89 minutes), so lanes.ts is
      // not in the mutate set either.
      'spec/capacity/limiter.spec.ts',
      'spec/capacity/limiter-edges.spec.ts',
      // Capacity codes per model: the limit cut and its event, the pause (quick cases; carry-out.ts, engine.ts).
      'spec/capacity/capacity-codes.spec.ts',
      // Cost and the span's parent (quick; the engine's observer calls). Not telemetry.spec.ts: its
      // heartbeat and dropped-socket cases take seconds on the real clock.
      'spec/telemetry/cost.spec.ts',
      'spec/telemetry/parent.spec.ts',
    ],
  },
})
