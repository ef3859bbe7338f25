/**
 * The Lua scripts of the Redis store. Each touches only the keys of one deployment, which
 * share a hash tag (`{<deployment>}`), so they run on Redis Cluster too. None decodes JSON:
 * Redis's cjson refuses lone UTF-16 surrogates (`\ud800`), which alert labels may carry, and
 * a script that fails on them fails every delivery of that alert.
 */

/**
 * Check the revision, write the state, append the audit entry, notify watchers: one atomic
 * step, so no reader sees the state without its audit entry and no two writers both pass.
 *
 * KEYS: 1 state hash, 2 audit stream
 * ARGV: 1 expected revision (-1: no state yet), 2 state JSON, 3 new revision,
 *       4 audit JSON, 5 channel, 6 message
 * Returns {1} on success, {0, state JSON or false, revision field or false} on conflict.
 */
export const CAS_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'revision')
local expected = tonumber(ARGV[1])
if current then
  if tonumber(current) ~= expected then
    return {0, redis.call('HGET', KEYS[1], 'state'), current}
  end
elseif expected ~= -1 then
  return {0, false, false}
end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'revision', ARGV[3])
redis.call('XADD', KEYS[2], '*', 'entry', ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return {1}
`;

/**
 * Sets the revision field to the state JSON's revision, if the state is still the one the
 * caller read. Repairs a field that disagrees with the JSON (set by hand, or by a tool that
 * wrote one and not the other), which would otherwise fail every compare-and-set.
 * KEYS: 1 state hash. ARGV: 1 the state JSON as read, 2 its revision. Returns 1 when repaired.
 */
export const REPAIR_REVISION_SCRIPT = `
if redis.call('HGET', KEYS[1], 'state') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'revision', ARGV[2])
  return 1
end
return 0
`;

/**
 * Appends a no-change audit entry stamped with the current revision, atomically with
 * respect to compare-and-set. The entry comes as a JSON object without its revisions; the
 * script appends them before the closing brace.
 * KEYS: 1 state hash, 2 audit stream. ARGV: 1 entry JSON.
 * Returns 1, 0 when the deployment has no state, or the revision field (a string) when it
 * is not a whole number (nothing is appended: the entry would not be valid JSON).
 */
export const RECORD_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'revision')
if not current then return 0 end
if not string.match(current, '^%d+$') then return current end
local entry = string.sub(ARGV[1], 1, -2) .. ',"fromRevision":' .. current .. ',"toRevision":' .. current .. '}'
redis.call('XADD', KEYS[2], '*', 'entry', entry)
return 1
`;
