// RUN: loom-opt %s --split-input-file --verify-diagnostics --loom-map-to-gpu

// The host code may only launch: a value it would read from a buffer is
// refused.
func.func @host_read(%n: memref<i64>, %b: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  // expected-error @+1 {{loom-map-to-gpu: the host code would need a value read from device memory}}
  %v = memref.load %n[] : memref<i64>
  %u = arith.index_cast %v : i64 to index
  scf.for %i = %c0 to %u step %c1 {
    scf.parallel (%j) = (%c0) to (%u) step (%c1) {
      memref.store %f, %b[%j] : memref<8xf32>
    }
  }
  return
}
