#!/usr/bin/env bash
# Builds the images the published manifests run, on a machine that reaches no container registry:
#   slmcluster/gateway:<tag>   the gateway (gateway.Dockerfile, stage "prebuilt")
#   slmcluster/worker:<tag>    the CPU worker (worker.Dockerfile, stage "cpu-prebuilt")
#   redis:7.4.1                the Redis the manifests name: pulled where a registry serves it, else made here from
#                              Debian's redis-server (labelled org.slmcluster.redis=debian; see docs/deploy.md)
#
#   deploy/docker/build-images.sh [--tag 0.1.0]
#
# The base is made here, once, and kept as an image: a minimal Debian root file system made with debootstrap from
# Debian's packages (the release this host runs), imported with `docker import`, plus the .NET shared runtime this
# host's SDK carries, laid out as the official ASP.NET Core image lays it out (/usr/share/dotnet, user app 1654).
# The services are published on the host (`dotnet publish`, framework-dependent, as the Dockerfiles' SDK stage does)
# and copied in by the Dockerfiles' prebuilt stages, so the same Dockerfiles build from source where the official
# .NET images are reachable (their default stages). The CUDA worker (worker.Dockerfile, stage "cuda") needs NVIDIA's
# CUDA runtime image and is not built here.
# A second run reuses the base images and only republishes and rebuilds the service images (seconds, not minutes).
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=0.1.0
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=$2; shift 2 ;;
    *) echo "usage: $0 [--tag 0.1.0]" >&2; exit 2 ;;
  esac
done

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
for tool in docker dotnet; do
  command -v "$tool" >/dev/null || { echo "error: $tool is needed" >&2; exit 1; }
done
export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}

release=$(. /etc/os-release && echo "${VERSION_CODENAME:?}")
runtime_dir=$(dirname "$(readlink -f "$(command -v dotnet)")")
runtime_version=$(ls "$runtime_dir/shared/Microsoft.AspNetCore.App" | sort -V | tail -n 1)
base_image=slmcluster/base:$release-local
runtime_image=slmcluster/dotnet-aspnet:$runtime_version-local
redis_image=redis:7.4.1   # the manifests' (KubernetesPublishStep.RedisImage)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

has_image() { docker image inspect "$1" >/dev/null 2>&1; }

# docker build, its output shown only when it fails (the engine's legacy builder also warns about itself on every run).
build_image() {
  if ! docker build "$@" >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    echo "error: docker build $* failed" >&2
    exit 1
  fi
}

# A minimal Debian with what .NET and redis-server load: ICU (globalization), OpenSSL (TLS to Redis when asked),
# CA certificates and time zones. No package manager state, documentation or locales.
make_base() {
  has_image "$base_image" && return 0
  [ "$(id -u)" -eq 0 ] || { echo "error: making $base_image needs root (debootstrap); run as root once" >&2; exit 1; }
  command -v debootstrap >/dev/null || { echo "error: debootstrap is needed (apt-get install debootstrap)" >&2; exit 1; }
  local mirror rootfs=$work/rootfs
  mirror=$(grep -hoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | head -n 1 | tr -d ' ' || true)
  log "debootstrap $release (minbase) from ${mirror:-the default mirror}"
  debootstrap --variant=minbase --include=ca-certificates,libicu72,libssl3,tzdata "$release" "$rootfs" ${mirror:+"$mirror"} >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; echo "error: debootstrap failed" >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
    "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*
  # The users the images run as: app (1654, the official .NET images' APP_UID) and redis (999, as the manifests say).
  echo 'app:x:1654:1654:app:/home/app:/usr/sbin/nologin' >>"$rootfs/etc/passwd"
  echo 'app:x:1654:' >>"$rootfs/etc/group"
  echo 'redis:x:999:999:redis:/data:/usr/sbin/nologin' >>"$rootfs/etc/passwd"
  echo 'redis:x:999:' >>"$rootfs/etc/group"
  mkdir -p "$rootfs/home/app" "$rootfs/data"
  chown 1654:1654 "$rootfs/home/app"
  chown 999:999 "$rootfs/data"
  log "docker import $base_image"
  tar -C "$rootfs" -c . | docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$base_image" >/dev/null
}

# The base plus this host's .NET shared runtimes (Microsoft.NETCore.App and Microsoft.AspNetCore.App), where and as
# the official aspnet image has them.
make_runtime() {
  has_image "$runtime_image" && return 0
  local context=$work/runtime
  mkdir -p "$context/dotnet/shared" "$context/dotnet/host"
  cp -a "$runtime_dir/dotnet" "$runtime_dir/LICENSE.txt" "$runtime_dir/ThirdPartyNotices.txt" "$context/dotnet/" 2>/dev/null \
    || cp -a "$runtime_dir/dotnet" "$context/dotnet/"
  cp -a "$runtime_dir/host/fxr" "$context/dotnet/host/"
  for framework in Microsoft.NETCore.App Microsoft.AspNetCore.App; do
    mkdir -p "$context/dotnet/shared/$framework"
    cp -a "$runtime_dir/shared/$framework/$runtime_version" "$context/dotnet/shared/$framework/"
  done
  cat >"$context/Dockerfile" <<EOF
FROM $base_image
COPY dotnet/ /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV APP_UID=1654 ASPNETCORE_HTTP_PORTS=8080 DOTNET_RUNNING_IN_CONTAINER=true DOTNET_VERSION=$runtime_version ASPNET_VERSION=$runtime_version
EOF
  log "building $runtime_image (the .NET $runtime_version runtime of this host)"
  build_image --tag "$runtime_image" "$context"
}

# Redis: the official image where a registry serves it; else Debian's redis-server (the host's, same release as the
# base) on the base. The manifests run it with `sh -c` and their own flags, so the image needs a shell, not a config.
make_redis() {
  has_image "$redis_image" && return 0
  if timeout 20 docker pull --quiet "$redis_image" >/dev/null 2>&1; then return 0; fi
  command -v redis-server >/dev/null || { echo "error: redis-server is needed to make $redis_image (apt-get install redis-server)" >&2; exit 1; }
  local context=$work/redis
  mkdir -p "$context/rootfs/usr/bin"
  cp -L "$(command -v redis-server)" "$context/rootfs/usr/bin/redis-server"
  cp -L "$(command -v redis-cli)" "$context/rootfs/usr/bin/redis-cli"
  # The libraries they load that the base lacks (jemalloc, lua, lzf, ...): every one ldd lists, at its real path
  # (Debian's /lib is a link to /usr/lib, which a copied /lib folder would hide).
  local lib dir
  for lib in $(ldd "$context"/rootfs/usr/bin/* | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u); do
    dir=$(readlink -f "$(dirname "$lib")")
    mkdir -p "$context/rootfs$dir"
    cp -L "$lib" "$context/rootfs$dir/$(basename "$lib")"
  done
  cat >"$context/Dockerfile" <<EOF
FROM $base_image
COPY rootfs/ /
LABEL org.slmcluster.redis=debian org.slmcluster.redis.version="$(redis-server --version | grep -oE 'v=[0-9.]+' | cut -d= -f2)"
WORKDIR /data
EXPOSE 6379
USER 999
CMD ["redis-server", "--protected-mode", "no"]
EOF
  log "building $redis_image from Debian's redis-server (no registry served it)"
  build_image --tag "$redis_image" "$context"
}

# publish <project> <name> [msbuild args]: the framework-dependent app the image runs, into $work/<name>.
publish() {
  log "dotnet publish $1"
  nice -n 10 dotnet publish "$1" -c Release -o "$work/$2" -nologo -v:quiet "${@:3}" >"$work/publish-$2.log" 2>&1 \
    || { cat "$work/publish-$2.log" >&2; echo "error: dotnet publish $1 failed" >&2; exit 1; }
  # Debug symbols and the development settings file add size, not behaviour.
  rm -f "$work/$2"/*.pdb "$work/$2"/appsettings.Development.json
}

make_base
make_runtime
make_redis
publish services/Gateway/Gateway.csproj gateway
publish services/Worker/Worker.csproj worker -p:SlmLlamaBackend=cpu
log "building slmcluster/gateway:$tag and slmcluster/worker:$tag"
build_image -f deploy/docker/gateway.Dockerfile --target prebuilt --build-arg RUNTIME_IMAGE="$runtime_image" \
  --label org.slmcluster.source="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" --tag "slmcluster/gateway:$tag" "$work/gateway"
build_image -f deploy/docker/worker.Dockerfile --target cpu-prebuilt --build-arg RUNTIME_IMAGE="$runtime_image" \
  --label org.slmcluster.source="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" --tag "slmcluster/worker:$tag" "$work/worker"
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E "^(slmcluster/(gateway|worker):$tag|$redis_image|$runtime_image|$base_image) " >&2
