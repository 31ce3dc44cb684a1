"""Reads an ONNX file's graph without the onnx package (not in Debian's python3-torch set): nodes and
float initializers, decoded from the protobuf wire format. Enough to rebuild the PyTorch network from
the committed weights (training/bench/torch_from_onnx.py), so the bench needs no training checkpoint.

Fields used (onnx.proto3): ModelProto.graph = 7; GraphProto.node = 1, initializer = 5;
NodeProto.input = 1, output = 2, name = 3, op_type = 4, attribute = 5; AttributeProto.name = 1,
f = 2, i = 3, ints = 8, type = 20; TensorProto.dims = 1, data_type = 2, float_data = 4, name = 8,
raw_data = 9 (data_type 1 = FLOAT, 7 = INT64).
"""
import struct

import numpy as np

FLOAT, INT64 = 1, 7


def _varint(buf, pos):
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf):
    """(field number, wire type, value) of one message; value is an int or a memoryview."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"protobuf wire type {wire} not supported (field {field})")
        yield field, wire, value


def _packed_varints(value):
    out, pos = [], 0
    while pos < len(value):
        v, pos = _varint(value, pos)
        out.append(v - (1 << 64) if v >= 1 << 63 else v)
    return out


def _tensor(buf):
    name, dims, dtype, raw, floats = "", [], FLOAT, None, []
    for field, wire, value in _fields(buf):
        if field == 1:
            dims.extend(_packed_varints(value) if wire == 2 else [value])
        elif field == 2:
            dtype = value
        elif field == 4:
            floats.extend(struct.unpack(f"<{len(value) // 4}f", value) if wire == 2 else struct.unpack("<f", value))
        elif field == 8:
            name = bytes(value).decode()
        elif field == 9:
            raw = bytes(value)
    if dtype == FLOAT:
        arr = np.frombuffer(raw, dtype="<f4") if raw is not None else np.asarray(floats, dtype="<f4")
    elif dtype == INT64 and raw is not None:
        arr = np.frombuffer(raw, dtype="<i8")
    else:
        return name, None  # a type the networks here do not use for weights
    return name, arr.reshape(dims).copy()


def _attribute(buf):
    name, value = "", None
    ints = []
    for field, wire, v in _fields(buf):
        if field == 1:
            name = bytes(v).decode()
        elif field == 2:
            value = struct.unpack("<f", v)[0]
        elif field == 3:
            value = v - (1 << 64) if v >= 1 << 63 else v
        elif field == 8:
            ints.extend(_packed_varints(v) if wire == 2 else [v])
    return name, ints if ints else value


def _node(buf):
    node = {"inputs": [], "outputs": [], "name": "", "op": "", "attrs": {}}
    for field, _, v in _fields(buf):
        if field == 1:
            node["inputs"].append(bytes(v).decode())
        elif field == 2:
            node["outputs"].append(bytes(v).decode())
        elif field == 3:
            node["name"] = bytes(v).decode()
        elif field == 4:
            node["op"] = bytes(v).decode()
        elif field == 5:
            k, val = _attribute(v)
            node["attrs"][k] = val
    return node


def read_onnx(path):
    """{"nodes": [{"op", "inputs", "outputs", "attrs", "name"}, …] in graph order, "initializers": {name: ndarray}}."""
    with open(path, "rb") as f:
        model = memoryview(f.read())
    graph = next(v for field, _, v in _fields(model) if field == 7)
    nodes, inits = [], {}
    for field, _, v in _fields(graph):
        if field == 1:
            nodes.append(_node(v))
        elif field == 5:
            name, arr = _tensor(v)
            if arr is not None:
                inits[name] = arr
    return {"nodes": nodes, "initializers": inits}
