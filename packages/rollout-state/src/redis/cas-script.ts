/**
 * One atomic step: check the revision, write the state, append the audit entry,
 * remember the deployment, and notify watchers. Redis runs a script without
 * interleaving any other command, so no reader sees the state without its audit
 * entry and no two writers both pass the check.
 *
 * KEYS: 1 state hash, 2 audit stream, 3 deployments set
 * ARGV: 1 expected revision (-1: no state yet), 2 state JSON, 3 new revision,
 *       4 audit JSON, 5 deployment, 6 channel
 * Returns {1} on success, {0, current state JSON or false} on conflict.
 */
export const CAS_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'revision')
local expected = tonumber(ARGV[1])
if current then
  if tonumber(current) ~= expected then
    return {0, redis.call('HGET', KEYS[1], 'state')}
  end
elseif expected ~= -1 then
  return {0, false}
end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'revision', ARGV[3])
redis.call('XADD', KEYS[2], '*', 'entry', ARGV[4])
redis.call('SADD', KEYS[3], ARGV[5])
redis.call('PUBLISH', ARGV[6], ARGV[5] .. ' ' .. ARGV[3])
return {1}
`;

/**
 * Appends a no-change audit entry stamped with the current revision, atomically
 * with respect to compare-and-set. KEYS: 1 state hash, 2 audit stream. ARGV: 1 entry JSON.
 * Returns 0 when the deployment has no state.
 */
export const RECORD_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'revision')
if not current then return 0 end
local entry = cjson.decode(ARGV[1])
entry.fromRevision = tonumber(current)
entry.toRevision = tonumber(current)
redis.call('XADD', KEYS[2], '*', 'entry', cjson.encode(entry))
return 1
`;
