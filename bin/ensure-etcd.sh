# Sourced by bin/test and bin/run-local: makes sure the etcd binary is on PATH.
# On Debian, as root, installs the etcd-server package when it is missing; otherwise says
# exactly what to install and fails.
ensure_etcd() {
  if command -v etcd >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "switchboard: etcd not found; installing Debian's etcd-server package" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server etcd-client >/dev/null
    command -v etcd >/dev/null 2>&1 && return 0
  fi
  echo "switchboard: etcd is required: install it with 'sudo apt-get install etcd-server etcd-client'" \
       "(or put an etcd 3.4+ binary on PATH) and run this again" >&2
  return 1
}

# ensure_tool COMMAND PACKAGE: the same for another tool the tests run (e.g. ip from iproute2,
# which the route-mode test runs inside a network namespace of its own).
ensure_tool() {
  if command -v "$1" >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "switchboard: $1 not found; installing Debian's $2 package" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    command -v "$1" >/dev/null 2>&1 && return 0
  fi
  echo "switchboard: $1 is required: install it with 'sudo apt-get install $2' and run this again" >&2
  return 1
}
