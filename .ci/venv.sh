# Shared by ./run and ./test: make .venv, install the project when pyproject.toml changed,
# and compile the message catalogues. Sourced, not executed.
ensure_venv() {
  local extra="${1:-}"
  local python="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv ..."
    "$python" -m venv .venv
  fi
  local spec="."
  [ -n "$extra" ] && spec=".[$extra]"
  local prefix=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
  local stamp="$prefix-${extra:-base}"
  # the test extra includes everything the base install has
  if [ ! -f "$stamp" ] && { [ -n "$extra" ] || [ ! -f "$prefix-test" ]; }; then
    echo "Installing the project ($spec) ..."
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>/dev/null || true
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
    touch "$stamp"
  fi
  .venv/bin/pybabel -q compile -d translations
}

# Install the front-end packages (design system, the DejaVu fonts of the PDFs, axe-core, the
# development mail catcher maildev) with
# npm ci when node_modules is missing or package-lock.json changed. Package scripts are never
# run (.npmrc).
ensure_node_modules() {
  if ! command -v npm >/dev/null; then
    echo "npm is missing: install Node.js and npm (apt-get install nodejs npm)" >&2
    return 1
  fi
  local stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
  if [ ! -f "$stamp" ] || [ ! -d node_modules/axe-core ] || [ ! -d node_modules/@gouvfr/dsfr/dist ] \
     || [ ! -d node_modules/dejavu-fonts-ttf/ttf ] || [ ! -x node_modules/.bin/maildev ]; then
    echo "Installing the front-end packages (npm ci) ..."
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
    touch "$stamp"
  fi
}
