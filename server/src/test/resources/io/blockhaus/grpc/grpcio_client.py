"""A client nobody in this project wrote: Debian's python3-grpcio, with message classes generated
at test time by Debian's protoc from proto/. Calls health, ListVolumes, OpenHandle, Write (client
streaming, two messages) and Read (server streaming) against a running server, and prints one JSON
object on its last line.

usage: grpcio_client.py PORT PROTO_DIR OUT_DIR VOLUME HEX_BYTES OFFSET
"""
import json
import subprocess
import sys

port, proto_dir, out_dir, volume, hex_bytes, offset = sys.argv[1:7]
offset = int(offset)
data = bytes.fromhex(hex_bytes)

subprocess.run(["/usr/bin/protoc", "-I", proto_dir, "-I", "/usr/include", "--python_out=" + out_dir,
                "blockhaus/v1/common.proto", "blockhaus/v1/volume_io.proto", "blockhaus/v1/admin.proto"],
               check=True)
sys.path.insert(0, out_dir)

import grpc  # noqa: E402
from blockhaus.v1 import admin_pb2, volume_io_pb2  # noqa: E402

channel = grpc.insecure_channel("127.0.0.1:" + port)
ident = lambda b: b  # noqa: E731

# grpc.health.v1: an empty HealthCheckRequest; SERVING is field 1 = 1 (bytes 08 01).
health = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=ident,
                             response_deserializer=ident)(b"", timeout=30)

list_volumes = channel.unary_unary("/blockhaus.v1.VolumeAdmin/ListVolumes",
                                   request_serializer=admin_pb2.ListVolumesRequest.SerializeToString,
                                   response_deserializer=admin_pb2.ListVolumesResponse.FromString)
names = [v.name for v in list_volumes(admin_pb2.ListVolumesRequest(), timeout=30).volumes]

open_handle = channel.unary_unary("/blockhaus.v1.VolumeIo/OpenHandle",
                                  request_serializer=volume_io_pb2.OpenHandleRequest.SerializeToString,
                                  response_deserializer=volume_io_pb2.Handle.FromString)
handle = open_handle(volume_io_pb2.OpenHandleRequest(volume="volumes/" + volume), timeout=30)

write = channel.stream_unary("/blockhaus.v1.VolumeIo/Write",
                             request_serializer=volume_io_pb2.WriteRequest.SerializeToString,
                             response_deserializer=volume_io_pb2.WriteResponse.FromString)
half = len(data) // 2
written = write(iter([
    volume_io_pb2.WriteRequest(handle=handle.name, offset=offset, fua=True, data=data[:half]),
    volume_io_pb2.WriteRequest(data=data[half:]),
]), timeout=30)

read = channel.unary_stream("/blockhaus.v1.VolumeIo/Read",
                            request_serializer=volume_io_pb2.ReadRequest.SerializeToString,
                            response_deserializer=volume_io_pb2.ReadResponse.FromString)
back = b"".join(r.data for r in read(volume_io_pb2.ReadRequest(handle=handle.name, offset=offset,
                                                                 length=len(data)), timeout=30))

# An error as a status with the errno name in ErrorInfo: a read past the end.
try:
    b"".join(r.data for r in read(volume_io_pb2.ReadRequest(handle=handle.name, offset=handle.size_bytes,
                                                             length=1), timeout=30))
    error = None
except grpc.RpcError as e:
    error = {"code": e.code().name, "details": e.details(),
             "has_status_details": any(k == "grpc-status-details-bin" for k, _ in e.trailing_metadata())}

print(json.dumps({"health": health.hex(), "volumes": names, "written": written.bytes_written,
                  "back": back.hex(), "error": error}))
