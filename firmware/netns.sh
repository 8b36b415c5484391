# The firmware test's private network (sourced by firmware/test): a network
# namespace holding a bridge at 10.77.0.1/24 and one tap device per network
# image, which QEMU opens from inside the namespace. The broker for those
# images runs in the same namespace, so no packet leaves it. Needs root (or
# CAP_NET_ADMIN) and iproute2.
#   netns_up NAME TAPS   creates namespace NAME with taps tap0..tap(TAPS-1);
#                        on failure sets netns_problem to why and leaves
#                        nothing behind
#   netns_down           removes the namespace (and with it its devices)
netns_name=
netns_problem=

netns_up() {
  local ns=$1 taps=$2 i out
  if ! out=$(ip netns add "$ns" 2>&1); then
    netns_problem="cannot create a network namespace here (ip netns add: $out); the network images need root or CAP_NET_ADMIN"
    return 1
  fi
  netns_name=$ns
  if ! out=$({ ip -n "$ns" link set lo up &&
      ip -n "$ns" link add br0 type bridge &&
      ip -n "$ns" addr add 10.77.0.1/24 dev br0 &&
      ip -n "$ns" link set br0 up &&
      for ((i = 0; i < taps; i++)); do
        ip -n "$ns" tuntap add dev "tap$i" mode tap &&
          ip -n "$ns" link set "tap$i" master br0 &&
          ip -n "$ns" link set "tap$i" up || exit 1
      done; } 2>&1); then
    netns_problem="cannot set up the namespace's bridge and tap devices: $out"
    netns_down
    return 1
  fi
}

netns_down() {
  [ -n "$netns_name" ] || return 0
  ip netns del "$netns_name" 2>/dev/null
  netns_name=
}
