"""An independent gRPC client (grpcio, the C-core implementation) asks a
Redress port for its health and its reflected schema.

Usage: check.py HOST:PORT FULL_SERVICE_NAME
Exits 0 and prints "ok" when the service is SERVING and reflection lists it
and serves a descriptor that defines it; exits non-zero with a reason
otherwise.
"""

import sys

import grpc
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc


def main(address: str, service: str) -> int:
    channel = grpc.insecure_channel(address)
    health = health_pb2_grpc.HealthStub(channel)
    for name in (service, ""):
        status = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=10).status
        if status != health_pb2.HealthCheckResponse.SERVING:
            print(f"health of {name!r} is {status}, not SERVING", file=sys.stderr)
            return 1
    try:
        health.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=10)
        print("health of an unknown service did not fail", file=sys.stderr)
        return 1
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.NOT_FOUND:
            print(f"unknown service gave {error.code()}, not NOT_FOUND", file=sys.stderr)
            return 1

    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol=service),
    ]
    responses = list(reflection.ServerReflectionInfo(iter(requests), timeout=10))
    listed = [s.name for s in responses[0].list_services_response.service]
    if service not in listed:
        print(f"reflection lists {listed}, not {service}", file=sys.stderr)
        return 1
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(raw)
        for raw in responses[1].file_descriptor_response.file_descriptor_proto
    ]
    package, _, short = service.rpartition(".")
    defined = any(f.package == package and any(s.name == short for s in f.service) for f in files)
    if not defined:
        print(f"reflection's descriptors do not define {service}", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
