// The Lua script behind GET /status: everything it needs in one Redis round trip. It reads
// BullMQ's own keys directly, so it depends on BullMQ's key layout: see BULLMQ_VERSION_CHECKED.

/**
 * The BullMQ version whose key layout this script was checked against. A unit test compares it
 * with package-lock.json: after an upgrade, re-check the keys below (and the job hash fields
 * Job.fromJSON reads), then update this constant.
 */
export const BULLMQ_VERSION_CHECKED = '5.81.5';

/**
 * The keys the script reads, in KEYS order. In a Redis Cluster they must share one slot: every
 * prefix carries the queue's hash tag there (bull:{<queue>}…, cutout:{<queue>}…: redis-keys.ts).
 */
export const STATUS_SCRIPT_KEYS = [
  'jobHash',
  'completed',
  'failed',
  'delayed',
  'prioritized',
  'active',
  'wait',
  'paused',
  'durations',
  'tombstone',
] as const;

/**
 * KEYS[1]  job hash          bull:<queue>:<id>          HASH (BullMQ's job record)
 * KEYS[2]  completed         bull:<queue>:completed     ZSET of job ids
 * KEYS[3]  failed            bull:<queue>:failed        ZSET of job ids
 * KEYS[4]  delayed           bull:<queue>:delayed       ZSET of job ids (retries wait here)
 * KEYS[5]  prioritized       bull:<queue>:prioritized   ZSET of job ids
 * KEYS[6]  active            bull:<queue>:active        LIST of job ids
 * KEYS[7]  wait              bull:<queue>:wait          LIST of job ids (head of the line: right end)
 * KEYS[8]  paused            bull:<queue>:paused        LIST of job ids (same order as wait)
 * KEYS[9]  durations         cutout:<queue>:durations   LIST of recent processing times (ms)
 * KEYS[10] tombstone         cutout:<queue>:gone:<id>   STRING, JSON Tombstone of a job that is gone
 * ARGV[1]  the job id
 *
 * Returns false (unknown job), {'gone', tombstoneJson}, or {state, flatHash, position|false,
 * durations}. Position: BullMQ LPUSHes new jobs and workers take from the right, so the head of
 * the line is the right end. LPOS with RANK -1 scans from that end and stops at the job: O(p)
 * inside Redis for a job at position p, nothing transferred, whatever the length of the line.
 * Every other step is O(1) or O(log n).
 */
export const STATUS_LUA = `
local jobHashKey, completedKey, failedKey, delayedKey, prioritizedKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local activeKey, waitKey, pausedKey, durationsKey, tombstoneKey = KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local jobId = ARGV[1]
local SCAN_FROM_HEAD = -1
local jobFields = redis.call('HGETALL', jobHashKey)
if #jobFields == 0 then
  local tombstone = redis.call('GET', tombstoneKey)
  if tombstone then return {'gone', tombstone} end
  return false
end
local state = 'unknown'
local position = false
if redis.call('ZSCORE', completedKey, jobId) then state = 'completed'
elseif redis.call('ZSCORE', failedKey, jobId) then state = 'failed'
elseif redis.call('ZSCORE', delayedKey, jobId) then state = 'delayed'
elseif redis.call('ZSCORE', prioritizedKey, jobId) then state = 'prioritized'
elseif redis.call('LPOS', activeKey, jobId) then state = 'active'
else
  for _, lineKey in ipairs({waitKey, pausedKey}) do
    local index = redis.call('LPOS', lineKey, jobId, 'RANK', SCAN_FROM_HEAD)
    if index then
      state = 'waiting'
      position = redis.call('LLEN', lineKey) - index
      break
    end
  end
end
local durations = {}
if state == 'waiting' then durations = redis.call('LRANGE', durationsKey, 0, -1) end
return {state, jobFields, position, durations}`;

export type StatusScriptReply = null | ['gone', string] | [string, string[], number | null, string[]];
