// The Lua script behind GET /status: everything it needs in one Redis round trip. It reads
// BullMQ's own keys directly, so it depends on BullMQ's key layout: see BULLMQ_VERSION_CHECKED.

/**
 * The BullMQ version whose key layout this script was checked against. A unit test compares it
 * with package-lock.json: after an upgrade, re-check the keys below (and the job hash fields
 * Job.fromJSON reads), then update this constant.
 */
export const BULLMQ_VERSION_CHECKED = '5.81.5';

/**
 * The keys the script reads, in KEYS order: the tombstone, then the same nine keys for each lane
 * (one queue per model: lanes.ts), the default model's lane first. In a Redis Cluster they must
 * share one slot: every prefix carries the queue's hash tag there (bull:{<queue>}…,
 * cutout:{<queue>}…: redis-keys.ts), and every lane is a queue under that same prefix.
 */
export const STATUS_SCRIPT_KEYS = ['tombstone'] as const;
export const STATUS_SCRIPT_LANE_KEYS = ['jobHash', 'completed', 'failed', 'delayed', 'prioritized', 'active', 'wait', 'paused', 'durations'] as const;

/**
 * KEYS[1]  tombstone         cutout:<queue>:gone:<id>   STRING, JSON Tombstone of a job that is gone
 * then, for lane L (0 for the default model's; base = 2 + 9·L; <lane> is the lane's queue name):
 * KEYS[2]  job hash          bull:<lane>:<id>           HASH (BullMQ's job record)
 * KEYS[3]  completed         bull:<lane>:completed      ZSET of job ids
 * KEYS[4]  failed            bull:<lane>:failed         ZSET of job ids
 * KEYS[5]  delayed           bull:<lane>:delayed        ZSET of job ids (retries wait here)
 * KEYS[6]  prioritized       bull:<lane>:prioritized    ZSET of job ids
 * KEYS[7]  active            bull:<lane>:active         LIST of job ids
 * KEYS[8]  wait              bull:<lane>:wait           LIST of job ids (head of the line: right end)
 * KEYS[9]  paused            bull:<lane>:paused         LIST of job ids (same order as wait)
 * KEYS[10] durations         cutout:<queue>:durations[:<model>]  LIST of recent processing times (ms)
 * ARGV[1]  the job id
 *
 * Returns false (unknown job), {'gone', tombstoneJson}, or {state, flatHash, position|false,
 * durations, lane index}. Position: BullMQ LPUSHes new jobs and workers take from the right, so
 * the head of the line is the right end. LPOS with RANK -1 scans from that end and stops at the
 * job: O(p) inside Redis for a job at position p, nothing transferred, whatever the length of the
 * line. Every other step is O(1) or O(log n) per lane.
 */
export const STATUS_LUA = `
local jobId = ARGV[1]
local SCAN_FROM_HEAD = -1
local PER_LANE = 9
for base = 2, #KEYS, PER_LANE do
  local jobFields = redis.call('HGETALL', KEYS[base])
  if #jobFields > 0 then
    local completedKey, failedKey, delayedKey, prioritizedKey = KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], KEYS[base + 4]
    local activeKey, waitKey, pausedKey, durationsKey = KEYS[base + 5], KEYS[base + 6], KEYS[base + 7], KEYS[base + 8]
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
    return {state, jobFields, position, durations, (base - 2) / PER_LANE}
  end
end
local tombstone = redis.call('GET', KEYS[1])
if tombstone then return {'gone', tombstone} end
return false`;

export type StatusScriptReply = null | ['gone', string] | [string, string[], number | null, string[], number];
