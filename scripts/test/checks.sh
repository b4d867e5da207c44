# checks.sh: sourced by scripts/test.sh. The static checks: formatting,
# clippy and rustdoc with warnings denied, and plain cargo at the workspace
# root. Each is one named line in the tally; a failure names the command
# that fixes or shows it.
#
# Uses pass, fail, indent and $LOGS from test.sh.

# run_check NAME FIX LOG COMMAND...: runs COMMAND (output to LOG); passes
# when it succeeds; otherwise fails NAME, shows the diagnostics (the lines
# from the first `warning:` or `error:` on, else the log's end) and names
# FIX, the command to run by hand.
run_check() {
  local name=$1 fix=$2 log=$3
  shift 3
  if "$@" >"$log" 2>&1; then
    pass "$name"
    return 0
  fi
  # Diagnostics, less cargo's summaries ("could not compile", "generated 2
  # warnings", "build failed").
  local problems
  problems=$(grep -E '^(warning|error)(\[[A-Za-z0-9_]+\])?: ' "$log" |
    grep -cvE '^(error: could not (compile|document)|warning: .*generated [0-9]+ warning|warning: build failed)')
  fail "$name" "$problems warnings or errors (log: $log); run: $fix"
  if [ "$problems" -gt 0 ]; then
    sed -n '/^\(warning\|error\)/,$p' "$log" | grep -vE '^ *(Checking|Compiling|Documenting) ' |
      head -n 40 | indent
  else
    tail -n 20 "$log" | indent
  fi
  return 1
}

# cargo fmt --all --check: which files differ, and the fix.
check_format() {
  local name="check: formatting (cargo fmt --all --check)" log="$LOGS/fmt.log"
  if cargo fmt --all --check >"$log" 2>&1; then
    pass "$name"
    return
  fi
  local files
  files=$(sed -n 's/^Diff in \(.*\):[0-9]*:$/\1/p' "$log" | sed "s|^$PWD/||" | sort -u)
  if [ -n "$files" ]; then
    fail "$name" "not in rustfmt's format: $(wc -l <<<"$files") file(s); run: cargo fmt --all"
    indent <<<"$files"
  else
    fail "$name" "cargo fmt did not run (log: $log); run: cargo fmt --all"
    tail -n 10 "$log" | indent
  fi
}

# Clippy on every host crate and target (tests, benches, the host build of the
# kernel binary), with every feature, warnings denied.
check_clippy_host() {
  run_check "check: clippy on the host crates, all targets and features, warnings denied" \
    "cargo clippy --workspace --all-targets --all-features -- -D warnings" "$LOGS/clippy-host.log" \
    cargo clippy --workspace --all-targets --all-features -- -D warnings
}

# rustdoc of the host crates: broken intra-doc links and the like.
check_rustdoc() {
  run_check "check: rustdoc of the host crates, warnings denied" \
    "RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps" "$LOGS/rustdoc.log" \
    env RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
}

# What a Rust developer types first at the root of a fresh clone (an editor's
# rust-analyzer runs `cargo check --workspace --all-targets`, which the clippy
# check above covers).
check_root_build() {
  run_check "check: cargo build at the workspace root (every crate, for the host)" \
    "cargo build" "$LOGS/root-build.log" cargo build
}

# Clippy on the kernel for its own target, as built: after the kernel build,
# so core and alloc are already compiled. FEATURES... as for the build.
# The user programs, as built for i686 (on the host they are stubs).
check_clippy_user() {
  run_check "check: clippy on the user programs for i686, warnings denied" \
    "RUSTC_BOOTSTRAP=1 cargo user-clippy -- -D warnings" \
    "$LOGS/clippy-user.log" cargo user-clippy -- -D warnings
}

check_clippy_kernel() {
  local args="$* --"
  run_check "check: clippy on the kernel for i686${1:+ with $*}, warnings denied" \
    "RUSTC_BOOTSTRAP=1 cargo kernel-clippy ${args# } -D warnings" \
    "$LOGS/clippy-kernel${1:+-selftest}.log" cargo kernel-clippy "$@" -- -D warnings
}
