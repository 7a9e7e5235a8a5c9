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
