# lab/lib.sh — functions shared by the lab scripts (sourced, not run).
#
# The caller sets LAB_NAME (for messages) and LAB_MARKER, a path unique to its lab that appears
# on the command line of every daemon the lab starts: the processes carrying it are the lab's.

say() { printf '%s: %s\n' "$LAB_NAME" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Installs Debian's packages the lab needs when a command is missing, without letting the
# packages start system-wide daemons (a system nmbd would broadcast on the real network).
ensure_installed() {
  local missing=()
  command -v smbd >/dev/null || missing+=(samba)
  command -v smbclient >/dev/null || missing+=(smbclient)
  command -v nmblookup >/dev/null || missing+=(samba-common-bin)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v flock >/dev/null || missing+=(util-linux)
  command -v wsdd >/dev/null || missing+=(wsdd)
  command -v avahi-daemon >/dev/null || missing+=(avahi-daemon)
  command -v avahi-browse >/dev/null || missing+=(avahi-utils)
  command -v dbus-daemon >/dev/null || missing+=(dbus)
  [ ${#missing[@]} -eq 0 ] && return 0
  install_packages "${missing[@]}"
}

# Installs Debian packages, no host daemon started: see ensure_installed.
install_packages() {
  say "installing $*"
  local made_policy=no
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=yes
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  [ "$made_policy" = yes ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

# The documentation range's guard. While no lab holds it, 198.51.100.0/24 is unreachable on this
# host: a test or benchmark pointed at a stopped lab fails at once (EHOSTUNREACH) instead of
# sending its packets to the default gateway, off the machine. The labs' own routes (the Samba
# lab's connected /24, the broadcast lab's /26) win over it while they are up: it has a higher
# metric, or a shorter prefix. Added by every `up` and `down`; it is never removed.
readonly GUARD_RANGE=198.51.100.0/24
readonly GUARD_METRIC=4242
guard_range() {
  ip route replace unreachable "$GUARD_RANGE" metric "$GUARD_METRIC" ||
    die "cannot add the unreachable route that keeps $GUARD_RANGE on this host"
}

# PIDs of the lab's daemons: processes whose program is a Samba daemon (smbd, nmbd and the
# helpers smbd starts: samba-dcerpcd, rpcd_*; the AD DC's samba and the winbindd) and whose
# command line names LAB_MARKER, the lab's own smb.conf or directory. No other process has that
# path, so these are the lab's. The AD DC's samba processes overwrite their command line with a
# title ("samba: task[kdc] pre-fork master"): lab/ad starts them in its directory, and a samba
# whose working directory names LAB_MARKER is the lab's too (a deleted directory still does).
# The broadcast lab's announcers are found the same way. wsdd (a python3 script) names no file:
# lab/netns starts it in its directory, and it is the lab's by its working directory.
# avahi-daemon overwrites its command line with a title ("avahi-daemon: running [NAME.local]")
# and changes to /: it runs in a mount namespace of its own whose tmpfs over /run has the lab's
# directory as its source, and it is the lab's by its mountinfo.
# Zombies have no command line and are skipped: they are already dead and their parent or PID 1
# reaps them.
lab_pids() {
  local dir args arg program cwd
  for dir in /proc/[0-9]*; do
    mapfile -d '' args 2>/dev/null <"$dir/cmdline" || continue
    [ ${#args[@]} -gt 0 ] || continue
    program=${args[0]##*/}
    program=${program%%:*}
    case "$program" in
      smbd | nmbd | samba-dcerpcd | rpcd_* | smbd-* | samba | winbindd | avahi-daemon | wsdd) ;;
      python3*)
        if [ ${#args[@]} -lt 2 ] || [ "${args[1]##*/}" != wsdd ]; then continue; fi
        program=wsdd
        ;;
      *) continue ;;
    esac
    for arg in "${args[@]}"; do
      if [ "${arg#*"$LAB_MARKER"}" != "$arg" ]; then
        echo "${dir#/proc/}"
        continue 2
      fi
    done
    if [ "$program" = avahi-daemon ]; then
      if grep -qF -- "$LAB_MARKER" "$dir/mountinfo" 2>/dev/null; then echo "${dir#/proc/}"; fi
    elif [ "$program" = samba ] || [ "$program" = wsdd ]; then
      cwd=$(readlink "$dir/cwd" 2>/dev/null) || continue
      [ "${cwd#*"$LAB_MARKER"}" = "$cwd" ] || echo "${dir#/proc/}"
    fi
  done
}

stop_processes() {
  local pids pid deadline
  pids=$(lab_pids)
  [ -z "$pids" ] && return 0
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + 10))
  while [ -n "$(lab_pids)" ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  for pid in $(lab_pids); do
    say "process $pid did not stop on SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  done
  deadline=$((SECONDS + 5))
  while [ -n "$(lab_pids)" ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  [ -z "$(lab_pids)" ] || die "processes still running: $(lab_pids | tr '\n' ' ')"
}

wait_for() { # wait_for <what> <command...>
  local what=$1 deadline=$((SECONDS + START_TIMEOUT))
  shift
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      die "$what did not come up within ${START_TIMEOUT}s; see $LAB_ROOT/logs"
    fi
    sleep 0.1
  done
}

json_string() { # a JSON string literal; the lab's values hold no control characters
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}
