/**
 * `runware-socket/queue`: a worker fleet on BullMQ and Redis. Tasks are enqueued with their
 * taskUUID fixed; any number of worker processes, on any number of machines, run them, each over
 * one RunwareSocket; a job whose worker died is finished by another without being executed or
 * paid for twice. BullMQ and ioredis are optional peer dependencies: only this entry loads them.
 */
export { RunwareQueue, DEFAULT_JOB_OPTIONS, type AddOptions, type Enqueued, type Retention, type RunwareQueueOptions } from './queue.js'
export { startRunwareWorker, type RunwareWorker, type RunwareWorkerOptions, type WorkerCounts } from './worker.js'
export { checkRedis, type CheckRedisOptions, type RedisFacts } from './redis.js'
export { DEFAULT_QUEUE, JOB_NAME, restoreError, type RunwareJobData, type StoredError } from './job-data.js'
export { redisJournal, type RedisJournalOptions } from './redis-journal.js'
