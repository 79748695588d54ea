# The gateway image, built from the repository root where the official .NET images are reachable:
#   docker build -f deploy/docker/gateway.Dockerfile --build-arg DOTNET_IMAGES=<repo> -t slmcluster/gateway:0.1.0 .
# DOTNET_IMAGES is the repository the official .NET images come from (Microsoft's container registry
# path "<host>/dotnet", or your mirror of it); the tags below are pinned.
# Where none is reachable, deploy/docker/build-images.sh builds the "prebuilt" stage instead: RUNTIME_IMAGE is a
# runtime image made on the machine, the context the app `dotnet publish` wrote there (docs/deploy.md).
# 5000 is gRPC (h2c), 8080 HTTP (OpenAI API, dashboards, /health, /alive, /metrics). The gateway is also an Orleans
# silo: 11111 is its silo-to-silo port (Orleans:Endpoints:SiloPort), and it needs Redis (ConnectionStrings__redis).
# It writes nothing but temporary files: run it with a read-only root file system and a writable /tmp.
ARG DOTNET_IMAGES
ARG RUNTIME_IMAGE=${DOTNET_IMAGES}/aspnet:10.0

# What both ways of building run: the runtime, the settings, the user; the app comes in the next stages.
FROM ${RUNTIME_IMAGE} AS runtime
WORKDIR /app
ENV Gateway__BindAddress=0.0.0.0 Gateway__GrpcPort=5000 Gateway__HttpPort=8080
EXPOSE 5000 8080 11111
USER 1654
ENTRYPOINT ["dotnet", "SlmCluster.Gateway.dll"]

# The app published outside (the build context is the publish folder). Before the SDK's stages, so that building
# this target never needs the SDK image.
FROM runtime AS prebuilt
COPY . .

FROM ${DOTNET_IMAGES}/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish services/Gateway/Gateway.csproj -c Release -o /app

FROM runtime
COPY --from=build /app .
