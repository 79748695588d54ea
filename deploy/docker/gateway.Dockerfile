# syntax=docker/dockerfile:1
# The gateway image, built from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile --build-arg DOTNET_IMAGES=<repo> -t slmcluster/gateway:0.1.0 .
# DOTNET_IMAGES is the repository the official .NET images come from (Microsoft's container registry
# path "<host>/dotnet", or your mirror of it); the tags below are pinned.
# 5000 is gRPC (h2c), 8080 HTTP (OpenAI API, dashboards, /health, /alive, /metrics). The gateway is also an Orleans
# silo: 11111 is its silo-to-silo port (Orleans:Endpoints:SiloPort), and it needs Redis (ConnectionStrings__redis).
ARG DOTNET_IMAGES

FROM ${DOTNET_IMAGES}/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish services/Gateway/Gateway.csproj -c Release -o /app

FROM ${DOTNET_IMAGES}/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV Gateway__BindAddress=0.0.0.0 Gateway__GrpcPort=5000 Gateway__HttpPort=8080
EXPOSE 5000 8080 11111
USER 1654
ENTRYPOINT ["dotnet", "SlmCluster.Gateway.dll"]
