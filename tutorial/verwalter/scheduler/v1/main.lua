-- The scheduler of the hello tutorial.
--
-- Runs on the leader every few seconds. It puts one `web` process of the
-- `hello` role on every node of the cluster, and chooses each node's
-- version from the rollout file, runtime/rollout/hello.yaml:
--
--   stable: v1       the version every node runs by default
--   candidate: v2    (optional) the version being rolled out
--   upgraded: 1      how many nodes, in name order, run the candidate
--
-- Each version's daemons (image, config, instances) come from
-- runtime/hello/<version>.yaml, as `deploydocs-tools deploy publish` writes
-- it. The result depends only on the input: no clock, no randomness.

local json = require "json"

local ROLE = "hello"
local TEMPLATE = "hello/v1"

-- The leader's peers (from cantal, never including itself) plus itself.
local function cluster_hosts(input)
  local hosts = {input.current_host}
  for _, peer in pairs(input.peers or {}) do
    if peer.hostname and peer.hostname ~= input.current_host then
      hosts[#hosts + 1] = peer.hostname
    end
  end
  table.sort(hosts)
  return hosts
end

local function version_for(position, rollout)
  local upgraded = math.tointeger(rollout.upgraded) or 0
  if rollout.candidate and position <= upgraded then
    return rollout.candidate
  end
  return rollout.stable
end

-- An empty daemon set still renders (to an empty process config), which is
-- how a role is stopped on a node: a role left out is not rendered at all.
local function daemons_for(release)
  local daemons = {}
  for name, daemon in pairs((release or {}).daemons or {}) do
    daemons[name] = {image = daemon.image, config = daemon.config,
                     instances = math.tointeger(daemon.instances) or 1}
  end
  return daemons
end

local function scheduler(input)
  local runtime = input.runtime or {}
  local releases = runtime[ROLE] or {}
  local rollout = (runtime.rollout or {})[ROLE] or {}
  local nodes, log = {}, {}
  for position, host in ipairs(cluster_hosts(input)) do
    local version = version_for(position, rollout)
    local release = version and releases[version]
    if release == nil then
      log[#log + 1] = host .. ": no release for version " .. tostring(version)
    else
      log[#log + 1] = host .. ": " .. version
    end
    nodes[host] = {roles = {[ROLE] = {version = version or "none",
                                      daemons = daemons_for(release)}}}
  end
  local schedule = {
    roles = {[ROLE] = {template = TEMPLATE}},
    nodes = nodes,
  }
  return json.encode(schedule), table.concat(log, "\n")
end

return {scheduler = scheduler}
