# Sourced by bin/run_tier and bin/prefork: the project (this checkout, or STIR_PROJECT), its
# luigi.cfg, and the Python that has Stir installed ($STIR_PYTHON, default the checkout's .venv).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export STIR_PROJECT="${STIR_PROJECT:-$root}"
export LUIGI_CONFIG_PATH="${LUIGI_CONFIG_PATH:-$STIR_PROJECT/luigi.cfg}"
python="${STIR_PYTHON:-$root/.venv/bin/python}"
[ -x "$python" ] || python="python3"
