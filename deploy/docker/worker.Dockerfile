# The worker image, built from the repository root in two flavours where the official images are reachable:
#   docker build -f deploy/docker/worker.Dockerfile --target cpu  --build-arg DOTNET_IMAGES=<repo> -t slmcluster/worker:0.1.0 .
#   docker build -f deploy/docker/worker.Dockerfile --target cuda --build-arg DOTNET_IMAGES=<repo> -t slmcluster/worker-cuda:0.1.0 .
# DOTNET_IMAGES is the repository the official .NET images come from (Microsoft's container registry
# path "<host>/dotnet", or your mirror of it); the tags below are pinned.
# Where none is reachable, deploy/docker/build-images.sh builds the "cpu-prebuilt" stage instead: RUNTIME_IMAGE is a
# runtime image made on the machine, the context the CPU worker `dotnet publish` wrote there (docs/deploy.md).
# The worker is an Orleans silo: inference reaches it on the silo port (11111, Orleans:Endpoints:SiloPort); 8080 is
# HTTP for /health, /alive and /metrics. It needs Redis (ConnectionStrings__redis) for the cluster's membership.
# It reads its model from /models and writes nothing but temporary files: mount the models read-only, and run it with
# a read-only root file system and a writable /tmp.
ARG DOTNET_IMAGES
ARG RUNTIME_IMAGE=${DOTNET_IMAGES}/aspnet:10.0
ARG CUDA_RUNTIME_IMAGE=nvidia/cuda:12.4.1-runtime-ubuntu22.04

# What both ways of building the CPU worker run: the runtime, the settings, the user; the app comes later.
FROM ${RUNTIME_IMAGE} AS cpu-runtime
WORKDIR /app
ENV Worker__BindAddress=0.0.0.0 Worker__HttpPort=8080 SLM_MODELS_DIR=/models
EXPOSE 8080 11111
USER 1654
ENTRYPOINT ["dotnet", "SlmCluster.Worker.dll"]

# The CPU worker published outside (the build context is the publish folder). Before the SDK's stages, so that
# building this target never needs the SDK image.
FROM cpu-runtime AS cpu-prebuilt
COPY . .

# Build: the SDK, plus npm and openssl, which fetch llama.cpp's native libraries and check their sha512.
FROM ${DOTNET_IMAGES}/sdk:10.0 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm openssl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .

FROM build AS publish-cpu
RUN dotnet publish services/Worker/Worker.csproj -c Release -o /app -p:SlmLlamaBackend=cpu

# The CUDA 12 build of the same llama.cpp; self-contained, so the CUDA runtime image needs no .NET.
FROM build AS publish-cuda
RUN dotnet publish services/Worker/Worker.csproj -c Release -o /app -r linux-x64 --self-contained -p:SlmLlamaBackend=cuda

FROM cpu-runtime AS cpu
COPY --from=publish-cpu /app .

FROM ${CUDA_RUNTIME_IMAGE} AS cuda
RUN useradd --uid 1654 --user-group --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=publish-cuda /app .
ENV Worker__BindAddress=0.0.0.0 Worker__HttpPort=8080 SLM_MODELS_DIR=/models \
    Worker__Device=cuda Worker__GpuLayers=-1 \
    NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility
EXPOSE 8080 11111
USER 1654
ENTRYPOINT ["./SlmCluster.Worker"]
