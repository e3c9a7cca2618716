// RUN: loom-opt %s --loom-plan-arena -split-input-file -verify-diagnostics

// Allocations loom-plan-arena cannot place.

func.func @dynamic(%n: index) {
  // expected-error @+1 {{loom-plan-arena: allocation must be static with an identity layout}}
  %a = memref.alloc(%n) : memref<?xf32>
  return
}

// -----

func.func @layout() {
  // expected-error @+1 {{loom-plan-arena: allocation must be static with an identity layout}}
  %a = memref.alloc() : memref<4x4xf32, strided<[8, 1]>>
  return
}

// -----

// Inside a loop, only small static buffers can go on the stack.
func.func @in_loop(%out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    // expected-error @+1 {{loom-plan-arena: allocation inside a region (over 262144 bytes or not static)}}
    %a = memref.alloc() : memref<65537xf32>
    %v = memref.load %a[%i] : memref<65537xf32>
    memref.store %v, %out[%i] : memref<4xf32>
  }
  return
}

// -----

// expected-error @+1 {{loom-plan-arena: expected a single-block function}}
func.func @blocks(%c: i1) {
  %a = memref.alloc() : memref<4xf32>
  cf.cond_br %c, ^bb1, ^bb2
^bb1:
  return
^bb2:
  return
}

// -----

// A private function is not planned, so its dynamic allocation is fine.
func.func private @private_dynamic(%n: index) {
  %a = memref.alloc(%n) : memref<?xf32>
  return
}
