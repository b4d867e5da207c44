# qemu-gdb.sh: sourced by debug.sh and test.sh; starts QEMU with a GDB server
# on a free localhost port, so that several sessions (two `make test` runs,
# a `make debug` beside them) can run on one machine at once.
#
#   qemu_gdb_start ERRLOG COMMAND...
#
# COMMAND is a QEMU command line; the function appends
# `-gdb tcp:127.0.0.1:PORT`, runs it in the background in a session of its
# own, with stdin from /dev/null and stderr to ERRLOG, and waits until QEMU
# listens. It sets GDB_PORT and QEMU_PID, or prints why QEMU did not start
# and returns 1.
#
# The port is drawn at random from 10000-31999 (below Linux's range for
# outgoing connections) among those nobody listens on. Another program can
# still take it between that check and QEMU's bind; QEMU then exits saying
# "Address already in use" and the next port is tried.

# Whether something accepts connections on 127.0.0.1:$1. (A probe connection
# is harmless: QEMU's GDB stub goes back to listening when a client leaves.)
port_listens() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

qemu_gdb_start() {
  local errlog=$1
  shift
  local attempt port
  for attempt in $(seq 20); do
    port=$((10000 + RANDOM % 22000))
    port_listens "$port" && continue
    # setsid: QEMU in a session of its own, so that Ctrl-C at the terminal
    # reaches GDB alone (GDB then stops the kernel through the stub); QEMU
    # would otherwise take the SIGINT and quit. A script's background job is
    # no process-group leader, so setsid execs in place: $! is QEMU's pid.
    setsid "$@" -gdb "tcp:127.0.0.1:$port" </dev/null 2>"$errlog" &
    QEMU_PID=$!
    local i
    for i in $(seq 300); do # up to 30 s: QEMU starts slowly on a loaded machine
      if ! kill -0 "$QEMU_PID" 2>/dev/null; then
        wait "$QEMU_PID" 2>/dev/null
        grep -q 'Address already in use' "$errlog" && continue 2
        echo "QEMU did not start (attempt $attempt, port $port): $(cat "$errlog")" >&2
        return 1
      fi
      if port_listens "$port"; then
        GDB_PORT=$port
        return 0
      fi
      sleep 0.1
    done
    kill "$QEMU_PID" 2>/dev/null
    echo "QEMU did not listen on port $port within 30 s (log: $errlog)" >&2
    return 1
  done
  echo "no free port for QEMU's GDB server after 20 tries" >&2
  return 1
}
