# Sourced by scripts/test and the benchmarks: ensure_venv DIR REQUIREMENTS... (re)makes the Python venv
# DIR when its stamp does not match the requirements files (all of them hashed; the first is installed,
# the others are what it includes with -r).
ensure_venv() {
  local venv="$1" requirements="$2"
  local stamp="$venv/.requirements.sha256"
  local want
  want="$(cat "${@:2}" | sha256sum | cut -d' ' -f1)"
  if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "== python venv ($venv) from $requirements"
    python3 -m venv "$venv"
    # --no-cache-dir: pip's cache would keep a second copy of every wheel (~1 GB for these venvs), and a
    # CI machine once ran out of disk while the venvs were being made.
    "$venv/bin/pip" install -q --disable-pip-version-check --no-cache-dir -r "$requirements"
    echo "$want" > "$stamp"
  fi
}
