#!/usr/bin/env python3
"""Calls `edgesplit serve --grpc-port` from Python's C-core gRPC (the stack tritonclient.grpc uses).

Interop check of the committed proto/*.proto against a second gRPC implementation. Needs Debian's
python3-grpcio, python3-grpc-tools and python3-numpy; stubs are generated into a temp dir each run.
Usage: /usr/bin/python3 scripts/grpc_call.py <grpc host:port> <http base URL> <model>
"""
import json
import os
import struct
import sys
import tempfile
import urllib.request

from grpc_tools import protoc

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'proto')
gen = tempfile.mkdtemp(prefix='edgesplit-grpc-')
with open(os.path.join(root, 'triton_model_config.proto')) as f:
    triton = f.read()
# Python's descriptor pool refuses a second file declaring inference.GRPCInferenceService, so the
# Triton messages are compiled without their one-RPC service, which is then called by its path.
start = triton.index('service GRPCInferenceService')
triton = triton[:start] + triton[triton.index('\n}\n', start) + 3:]
with open(os.path.join(gen, 'triton_model_config.proto'), 'w') as f:
    f.write(triton)
for include, name in ((root, 'grpc_predict_v2.proto'), (gen, 'triton_model_config.proto')):
    args = ['protoc', f'-I{include}', f'--python_out={gen}', f'--grpc_python_out={gen}', name]
    if protoc.main(args) != 0:
        sys.exit(f'protoc failed on {name}')
sys.path.insert(0, gen)

import grpc  # noqa: E402
import numpy as np  # noqa: E402
import grpc_predict_v2_pb2 as pb  # noqa: E402
import grpc_predict_v2_pb2_grpc as rpc  # noqa: E402
import triton_model_config_pb2 as tpb  # noqa: E402

target, http, model = sys.argv[1], sys.argv[2], sys.argv[3]
ch = grpc.insecure_channel(target)
stub = rpc.GRPCInferenceServiceStub(ch)
print('ServerLive', stub.ServerLive(pb.ServerLiveRequest()).live)
md = stub.ServerMetadata(pb.ServerMetadataRequest())
print('ServerMetadata', md.name, md.version, list(md.extensions))
mm = stub.ModelMetadata(pb.ModelMetadataRequest(name=model))
inp = mm.inputs[0]
print('ModelMetadata', mm.name, mm.platform, [(t.name, t.datatype, list(t.shape)) for t in mm.inputs])
config_rpc = ch.unary_unary(
    '/inference.GRPCInferenceService/ModelConfig',
    request_serializer=tpb.ModelConfigRequest.SerializeToString,
    response_deserializer=tpb.ModelConfigResponse.FromString,
)
cfg = config_rpc(tpb.ModelConfigRequest(name=model)).config
print('ModelConfig', cfg.name, cfg.backend, 'max_batch_size', cfg.max_batch_size, 'dims',
      list(cfg.input[0].dims), 'queue delay us', cfg.dynamic_batching.max_queue_delay_microseconds)
shape = [2] + [int(d) for d in inp.shape[1:]]
x = (np.arange(int(np.prod(shape)), dtype=np.float32) % 17) / 17
tensor = pb.ModelInferRequest.InferInputTensor(name=inp.name, datatype='FP32', shape=shape)
res = stub.ModelInfer(pb.ModelInferRequest(model_name=model, inputs=[tensor], raw_input_contents=[x.tobytes()]))
out = res.outputs[0]
y = np.frombuffer(res.raw_output_contents[0], dtype=np.float32).reshape([int(d) for d in out.shape])
print('ModelInfer', res.model_name, [(o.name, o.datatype, list(o.shape)) for o in res.outputs],
      'argmax', y.argmax(1).tolist())
body = json.dumps({'inputs': [{'name': inp.name, 'shape': shape, 'datatype': 'FP32', 'data': x.tolist()}]})
req = urllib.request.Request(f'{http}/v2/models/{model}/infer', body.encode(), {'Content-Type': 'application/json'})
rest = json.load(urllib.request.urlopen(req))
same = np.array_equal(y, np.array(rest['outputs'][0]['data'], dtype=np.float32).reshape(y.shape))
print('gRPC (C-core Python client) == REST JSON, bit for bit:', same)
wanted = pb.ModelInferRequest.InferRequestedOutputTensor(name=out.name)
wanted.parameters['classification'].int64_param = 3
res = stub.ModelInfer(pb.ModelInferRequest(model_name=model, inputs=[tensor], raw_input_contents=[x.tobytes()],
                                           outputs=[wanted]))
raw, values, i = res.raw_output_contents[0], [], 0
while i < len(raw):
    n = struct.unpack_from('<I', raw, i)[0]
    values.append(raw[i + 4:i + 4 + n].decode())
    i += 4 + n
print('class_count 3:', res.outputs[0].datatype, list(res.outputs[0].shape), values[:3])
try:
    stub.ModelInfer(pb.ModelInferRequest(model_name='nosuch'))
except grpc.RpcError as e:
    print('unknown model:', e.code(), e.details())
