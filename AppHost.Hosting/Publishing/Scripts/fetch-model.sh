# The worker pod's init container: downloads the model once into the pod's volume (resuming a broken transfer), and
# refuses a file whose SHA-256 differs.
set -eu
if [ -f "$MODEL_FILE" ] && echo "$MODEL_SHA256  $MODEL_FILE" | sha256sum -c >/dev/null 2>&1; then echo "$MODEL_FILE is present and verified"; exit 0; fi
curl -fL --retry 5 --retry-all-errors -C - -o "$MODEL_FILE.part" "$MODEL_URL"
if ! echo "$MODEL_SHA256  $MODEL_FILE.part" | sha256sum -c >/dev/null 2>&1; then echo "refusing $MODEL_URL: its SHA-256 is not $MODEL_SHA256" >&2; rm -f "$MODEL_FILE.part"; exit 1; fi
mv "$MODEL_FILE.part" "$MODEL_FILE"
echo "$MODEL_FILE downloaded and verified"
