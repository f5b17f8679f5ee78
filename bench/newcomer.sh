#!/usr/bin/env bash
# A newcomer on a CPU-only machine, timed: a fresh clone, the README's install in a virtual
# environment, then the first_gan notebook run in Jupyter's own executor as a student runs it
# (its settings cell picks the quick CPU run), to a trained generator with pictures.
#
#   GAN_COURSE_DATA=/path/to/mnist bash bench/newcomer.sh [WORKDIR]
#
# The notebook run is the reference solution's notebook: a student's finished notebook, with
# every TODO filled in. It prints one "time" line a stage and a summary line at the end, and
# leaves the executed notebook in WORKDIR/executed.ipynb.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-$(mktemp -d)}
mkdir -p "$WORK"
log() { echo "time $(date +%s) $*"; }
start=$(date +%s)

log clone
git clone -q "$REPO" "$WORK/course" || exit 1
cd "$WORK/course"

log venv
python -m venv .venv && source .venv/bin/activate

log install-cpu-wheels
# The README's CPU-only route, then its check that torch and torchvision import together. Where
# download.pytorch.org cannot be reached (this project's machines), pip finds other builds or
# none; the default route below then replaces them in a new environment.
if pip install --quiet torch torchvision --index-url https://download.pytorch.org/whl/cpu \
        --timeout 20 --retries 0 && pip install --quiet -r requirements.txt \
        && python -c "import torch, torchvision; print('cpu route:', torch.__version__, torchvision.__version__)"; then
    echo "cpu route: works"
else
    echo "cpu route: failed (above); the default install instead, in a new environment"
    deactivate; rm -rf .venv; python -m venv .venv && source .venv/bin/activate
    log install-requirements
    pip install --quiet -r requirements.txt || exit 1
    python -c "import torch, torchvision; print('default route:', torch.__version__, torchvision.__version__)" || exit 1
fi
du -sh .venv | sed 's/^/venv size: /'

log notebook
jupyter nbconvert --to notebook --execute solutions/first_gan/first_gan.ipynb \
    --ExecutePreprocessor.timeout=3600 --output "$WORK/executed.ipynb" || exit 1

log done
python - "$WORK/executed.ipynb" <<'EOF'
import json, sys
nb = json.load(open(sys.argv[1]))
outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
pictures = sum("image/png" in o.get("data", {}) for o in outputs)
errors = [o for o in outputs if o.get("output_type") == "error"]
print(f"pictures: {pictures}; errors: {len(errors)}")
EOF
echo "total minutes: $(( ($(date +%s) - start) / 60 ))"
