# Made written-by-safetensors-0.8.0.safetensors with the reference (Rust) implementation, Python
# safetensors 0.8.0 and numpy 2.2.6: an independent writer for SafetensorsFormatTest. Run: python3 make_reference.py
import numpy as np, struct
from safetensors import serialize, TensorSpec
f32 = np.array([[0.5, -2.0, 3.25], [1e-3, -0.0, 65504.0]], dtype='<f4')
f16 = np.array([1.0, -2.5, 6.1035156e-05, 5.9604645e-08], dtype='<f2')   # normal, subnormal min
bf16 = np.array([0x3f80, 0xc049, 0x0001, 0x7f7f], dtype='<u2')             # 1, -3.140625, min subnormal, max
def spec(dtype, shape, arr):
    return TensorSpec(dtype=dtype, shape=shape, data_ptr=arr.ctypes.data, data_len=arr.nbytes)
tensors = {
  "model.f32": spec("float32", list(f32.shape), f32),
  "model.f16": spec("float16", list(f16.shape), f16),
  "model.bf16": spec("bfloat16", [2, 2], bf16),
}
open('written-by-safetensors-0.8.0.safetensors', 'wb').write(serialize(tensors, metadata={"format": "pt", "writer": "safetensors 0.8.0"}))
print((bf16.astype(np.uint32) << 16).view(np.float32).tolist())
print(f16.astype(np.float32).tolist())
