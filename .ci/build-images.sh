#!/usr/bin/env bash
# .ci/build-images.sh [OUTDIR]
#
# Builds ringfence's three fixture images from nothing, without a container engine:
# debootstrap makes each root filesystem, umoci commits every build step as one gzip layer
# of an OCI image layout, skopeo writes the docker-archive and oci-archive forms.
#
#   bookworm-min  1 layer : debootstrap --variant=minbase bookworm (88 debs).  User root.
#   bookworm-py   4 layers: bookworm-min
#                           + apt python3 python3-pip, then purge tzdata (whiteouts; a deb
#                             deleted in a later layer)
#                           + old pinned pip packages (pip --no-deps, from PyPI)
#                           + /app with an npm tree (old lodash/minimist/express, from the
#                             npm registry).  User root.
#   bullseye-big  2 layers: debootstrap bullseye
#                           + apt build-essential git curl openssh-server (host keys baked
#                             in), user app (uid 1000).  User app.
#
# Output in OUTDIR (default $RINGFENCE_IMAGES, else ~/.cache/ringfence-fixtures; created):
# NAME.oci/ (OCI layout, tag latest), NAME.oci.tar (oci-archive), NAME.docker.tar
# (docker-archive NAME:latest, uncompressed layers like `docker save`), NAME.contents.txt
# (config, layers and the exact package lists: what the tests compare against) and the
# stamp NAME.done, written last.  logs/ holds each step's output; .cache/ the downloaded debs.
#
# Cached and idempotent: an image whose stamp and files exist is kept (FORCE=1 rebuilds all);
# a partial one is removed and rebuilt.  Concurrent runs on one OUTDIR wait for each other.
# Fails loudly: any step that fails stops the build with a non-zero exit status and the tail
# of its log, and no stamp is written.
#
# Debian packages come from the mirrors this machine's apt is configured with (read by
# .ci/apt_mirrors.py from deb822 *.sources and one-line *.list files; MIRROR and
# SECURITY_MIRROR override them); pip packages from pip's configured index (PyPI unless
# PIP_INDEX_URL is set), npm packages from npm's configured registry.
#
# Needs root (chroot, mounts), debootstrap, umoci, skopeo, npm, python3, dpkg-query, flock.
# Knobs: FORCE=1, KEEP_WORK=1 (keep the unpacked bundles in OUTDIR/.work), HOST_CA_BUNDLE (CA
# bundle pip uses inside the chroot; default the host's, for TLS-inspecting proxies).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
case ${1:-} in -h | --help) sed -n '2,/^set -E/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
[[ $# -le 1 ]] || { echo "usage: $0 [OUTDIR]" >&2; exit 2; }

fail() { echo "build-images: FAILED: $*" >&2; exit 1; }
say() { printf '[build-images %(%H:%M:%S)T] %s\n' -1 "$*"; }
trap 'rc=$?; echo "build-images: FAILED (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; exit $rc' ERR

[[ $(id -u) -eq 0 ]] || fail "must run as root (debootstrap, chroot and bind mounts)"
for tool in debootstrap umoci skopeo npm python3 dpkg-query chroot mount umount flock gzip tar; do
  command -v "$tool" >/dev/null || fail "missing tool: $tool (.ci/run installs the build tools)"
done

OUT=$(realpath -m "${1:-${RINGFENCE_IMAGES:-$HOME/.cache/ringfence-fixtures}}")
WORK=$OUT/.work CACHE=$OUT/.cache LOGS=$OUT/logs
mkdir -p "$OUT" "$CACHE" "$LOGS"
exec 9>"$OUT/.lock"
flock -n 9 || { say "another build holds $OUT/.lock; waiting"; flock 9; }

if [[ -z ${MIRROR:-} || -z ${SECURITY_MIRROR:-} ]]; then
  read -r found_archive found_security < <(python3 "$HERE/apt_mirrors.py") ||
    fail "no Debian mirrors found in this machine's apt configuration (set MIRROR and SECURITY_MIRROR)"
  MIRROR=${MIRROR:-$found_archive}
  SECURITY_MIRROR=${SECURITY_MIRROR:-$found_security}
fi
HOST_CA_BUNDLE=${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
FORCE=${FORCE:-0} KEEP_WORK=${KEEP_WORK:-0}
ROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
IMAGES=(bookworm-min bookworm-py bullseye-big)

# run LOGNAME CMD...: the command's output goes to logs/LOGNAME.log; on failure, its tail here
run() {
  local step=$1 log=$LOGS/$1.log
  shift
  if ! "$@" >"$log" 2>&1; then
    echo "---- last lines of $log" >&2
    tail -n 25 "$log" >&2
    fail "$step: $1 exited non-zero (log: $log)"
  fi
}

# ------------------------------------------------------------------ chroot sessions
MOUNTED=()
release_mounts() {
  local i
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTED[i]}" 2>/dev/null || umount -l "${MOUNTED[i]}" || true
  done
  MOUNTED=()
}
trap release_mounts EXIT

nothing_mounted_under() {
  ! awk -v d="$1/" 'index($2 "/", d) == 1 { hit = 1 } END { exit !hit }' /proc/self/mounts ||
    fail "something is still mounted under $1"
}

open_chroot() { # ROOTFS: what apt and pip need inside, and no service may start
  local r=$1
  mount -t proc proc "$r/proc" && MOUNTED+=("$r/proc")
  mount --bind /dev "$r/dev" && MOUNTED+=("$r/dev")
  mount --bind /dev/pts "$r/dev/pts" && MOUNTED+=("$r/dev/pts")
  [[ -e $r/etc/resolv.conf ]] || : >"$r/etc/resolv.conf"
  mount --bind /etc/resolv.conf "$r/etc/resolv.conf" && MOUNTED+=("$r/etc/resolv.conf")
  printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
  chmod 0755 "$r/usr/sbin/policy-rc.d"
  cp "$HOST_CA_BUNDLE" "$r/tmp/.build-ca.crt"
}

close_chroot() {
  rm -f "$1/usr/sbin/policy-rc.d" "$1/tmp/.build-ca.crt"
  release_mounts
  nothing_mounted_under "$1"
}

in_chroot() { # ROOTFS SHELL-SCRIPT: a clean environment (plus the pip index, if one is set)
  local r=$1
  shift
  chroot "$r" /usr/bin/env -i HOME=/root PATH="$ROOT_PATH" LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive PIP_CERT=/tmp/.build-ca.crt PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ${PIP_INDEX_URL:+PIP_INDEX_URL="$PIP_INDEX_URL"} /bin/sh -eu -c "$*"
}

# ------------------------------------------------------------------- image steps
no_apt_state() { # ROOTFS: downloaded debs and package lists do not belong in an image
  rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/cache/apt/archives/partial/* \
    "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/*
  mkdir -p "$1/var/lib/apt/lists/partial"
}

as_base_image() { # ROOTFS SUITE: drop what debootstrap took from the host, point apt at mirrors
  local r=$1 suite=$2
  nothing_mounted_under "$r"
  find "$r/dev" -mindepth 1 -delete
  : >"$r/etc/resolv.conf"
  echo localhost >"$r/etc/hostname"
  if [[ -e $r/etc/machine-id ]]; then : >"$r/etc/machine-id"; fi
  rm -f "$r/etc/apt/sources.list"
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: %s\n\n' \
    "$MIRROR" "$suite" "$suite" /usr/share/keyrings/debian-archive-keyring.gpg \
    >"$r/etc/apt/sources.list.d/debian.sources"
  printf 'Types: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: %s\n' \
    "$SECURITY_MIRROR" "$suite" /usr/share/keyrings/debian-archive-keyring.gpg \
    >>"$r/etc/apt/sources.list.d/debian.sources"
  no_apt_state "$r"
}

commit_layer() { # NAME CREATED_BY: the bundle's changes become one layer of NAME.oci
  nothing_mounted_under "$WORK/$1/rootfs"
  umoci repack --refresh-bundle --history.created_by "$2" --image "$OUT/$1.oci:latest" "$WORK/$1"
}

debootstrap_image() { # NAME SUITE [VARIANT]: a new layout whose first layer is a debootstrap
  local name=$1 suite=$2 variant=${3:-} how
  how="debootstrap ${variant:+--variant=$variant }$suite / $MIRROR"
  say "$name: layer 1: $how"
  mkdir -p "$CACHE/debs-$suite"
  umoci init --layout "$OUT/$name.oci"
  umoci new --image "$OUT/$name.oci:latest"
  umoci unpack --image "$OUT/$name.oci:latest" "$WORK/$name" >/dev/null
  run "$name.debootstrap" debootstrap ${variant:+--variant="$variant"} --cache-dir="$CACHE/debs-$suite" \
    "$suite" "$WORK/$name/rootfs" "$MIRROR"
  as_base_image "$WORK/$name/rootfs" "$suite"
  commit_layer "$name" "$how"
}

complete() { # NAME: the two archives, the contents record, then the stamp
  local name=$1
  umoci gc --layout "$OUT/$name.oci"
  rm -f "$OUT/$name.docker.tar" "$OUT/$name.oci.tar"
  run "$name.skopeo" skopeo --insecure-policy copy -q "oci:$OUT/$name.oci:latest" \
    "docker-archive:$OUT/$name.docker.tar:$name:latest"
  run "$name.skopeo" skopeo --insecure-policy copy -q "oci:$OUT/$name.oci:latest" \
    "oci-archive:$OUT/$name.oci.tar:latest"
  python3 "$HERE/image_contents.py" "$OUT" "$name" "$WORK/$name/rootfs" >"$OUT/$name.contents.txt.new" \
    2>"$LOGS/$name.contents.log" || { tail -n 25 "$LOGS/$name.contents.log" >&2; fail "$name: contents record"; }
  mv "$OUT/$name.contents.txt.new" "$OUT/$name.contents.txt"
  [[ $KEEP_WORK == 1 ]] || rm -rf "${WORK:?}/$name"
  touch "$OUT/$name.done"
  say "$name: done"
}

is_built() {
  [[ $FORCE != 1 && -f $OUT/$1.done && -f $OUT/$1.oci/index.json && -s $OUT/$1.docker.tar &&
     -s $OUT/$1.oci.tar && -s $OUT/$1.contents.txt ]]
}

start_over() { # NAME: remove whatever a previous, interrupted build left
  rm -f "$OUT/$1.done"
  nothing_mounted_under "$WORK/$1"
  rm -rf "${OUT:?}/$1.oci" "$OUT/$1.docker.tar" "$OUT/$1.oci.tar" "$OUT/$1.contents.txt" "${WORK:?}/$1"
}

# --------------------------------------------------------------------- the images
build_bookworm_min() {
  debootstrap_image bookworm-min bookworm minbase
  umoci config --image "$OUT/bookworm-min.oci:latest" --config.env "PATH=$ROOT_PATH" \
    --config.cmd bash --config.label org.opencontainers.image.title=bookworm-min \
    --history.created_by 'CMD ["bash"] ENV PATH LABEL title'
}

PIP_PINS=(requests==2.19.1 urllib3==1.24.1 chardet==3.0.4 idna==2.7 certifi==2018.4.16
  Jinja2==2.10 MarkupSafe==1.1.1 PyYAML==5.3 Django==2.2.1 pytz==2019.1 sqlparse==0.3.0)
# Only the top-level npm versions are pinned; the rest of the tree is what the registry
# resolves within their ranges, recorded in the contents file.
NPM_PINS=(lodash@4.17.15 minimist@1.2.0 express@4.16.0)

build_bookworm_py() {
  local B=$WORK/bookworm-py R=$WORK/bookworm-py/rootfs app=$WORK/npm-app
  cp -a "$OUT/bookworm-min.oci" "$OUT/bookworm-py.oci" # FROM bookworm-min: its blobs, shared
  umoci unpack --image "$OUT/bookworm-py.oci:latest" "$B" >/dev/null

  say "bookworm-py: layer 2: apt-get install python3 python3-pip, purge tzdata"
  open_chroot "$R"
  run bookworm-py.apt in_chroot "$R" 'apt-get update -q && apt-get install -y -q --no-install-recommends python3 python3-pip &&
    apt-get purge -y -q tzdata'
  close_chroot "$R"
  no_apt_state "$R"
  commit_layer bookworm-py 'RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip && apt-get purge -y tzdata && rm -rf /var/lib/apt/lists/*'

  say "bookworm-py: layer 3: pip install --no-deps ${PIP_PINS[*]}"
  mkdir -p "$R/app"
  printf '%s\n' "${PIP_PINS[@]}" >"$R/app/requirements.txt"
  open_chroot "$R"
  run bookworm-py.pip in_chroot "$R" \
    'python3 -m pip install --no-cache-dir --break-system-packages --no-deps -r /app/requirements.txt'
  close_chroot "$R"
  commit_layer bookworm-py 'COPY requirements.txt /app/ && RUN pip install --break-system-packages --no-deps -r /app/requirements.txt'

  say "bookworm-py: layer 4: npm install ${NPM_PINS[*]} into /app"
  rm -rf "$app" && mkdir -p "$app"
  printf '{\n  "name": "ringfence-fixture-app",\n  "version": "1.0.0",\n  "private": true\n}\n' >"$app/package.json"
  run bookworm-py.npm npm install --prefix "$app" --no-audit --no-fund --save-exact \
    --omit-lockfile-registry-resolved=false "${NPM_PINS[@]}"
  cp -a "$app/package.json" "$app/package-lock.json" "$app/node_modules" "$R/app/"
  chown -R 0:0 "$R/app"
  rm -rf "$app"
  commit_layer bookworm-py 'COPY package.json package-lock.json node_modules /app/'

  umoci config --image "$OUT/bookworm-py.oci:latest" --config.env LANG=C.UTF-8 \
    --config.workingdir /app --config.cmd python3 --config.exposedports 8000/tcp \
    --config.label org.opencontainers.image.title=bookworm-py \
    --history.created_by 'ENV LANG WORKDIR /app CMD ["python3"] EXPOSE 8000 LABEL title'
}

build_bullseye_big() {
  local R=$WORK/bullseye-big/rootfs
  debootstrap_image bullseye-big bullseye
  say "bullseye-big: layer 2: apt-get install build-essential git curl openssh-server; useradd app"
  open_chroot "$R"
  run bullseye-big.apt in_chroot "$R" 'apt-get update -q && apt-get install -y -q build-essential git curl openssh-server &&
    useradd --create-home --uid 1000 --user-group --shell /bin/bash app'
  close_chroot "$R"
  no_apt_state "$R"
  commit_layer bullseye-big 'RUN apt-get update && apt-get install -y build-essential git curl openssh-server && rm -rf /var/lib/apt/lists/* && useradd -m -u 1000 -U -s /bin/bash app'
  umoci config --image "$OUT/bullseye-big.oci:latest" --config.env "PATH=$ROOT_PATH" \
    --config.env LANG=C.UTF-8 --config.user app --config.workingdir /home/app \
    --config.cmd /bin/bash --config.exposedports 22/tcp \
    --config.label org.opencontainers.image.title=bullseye-big \
    --history.created_by 'ENV PATH LANG USER app WORKDIR /home/app CMD ["/bin/bash"] EXPOSE 22 LABEL title'
}

say "output $OUT; Debian mirrors $MIRROR, $SECURITY_MIRROR"
built=()
for name in "${IMAGES[@]}"; do
  if is_built "$name"; then
    say "$name: present, kept"
    continue
  fi
  start_over "$name"
  [[ $name != bookworm-min ]] || { rm -f "$OUT/bookworm-py.done"; } # bookworm-py is built on it
  mkdir -p "$WORK"
  "build_${name//-/_}"
  complete "$name"
  built+=("$name")
done
[[ $KEEP_WORK == 1 ]] || rm -rf "$WORK"

for name in "${IMAGES[@]}"; do
  [[ -f $OUT/$name.done ]] || fail "$name was not built"
done
say "built this run: ${built[*]:-nothing (all present)}; images in $OUT"
