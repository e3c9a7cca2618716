// RUN: loom-opt %s --loom-map-to-gpu='threads=128' --canonicalize | FileCheck %s
// RUN: loom-opt %s --loom-map-to-gpu --loom-gpu-emulate --canonicalize | FileCheck %s --check-prefix=EMU
// RUN: loom-opt %s --loom-map-to-gpu --loom-gpu-outline | FileCheck %s --check-prefix=ONE

#id2 = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#col = affine_map<(i, j) -> (j)>
#all = affine_map<(i) -> (i)>
#none = affine_map<(i) -> ()>

memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>

// An elementwise op over [6, 40]: 240 threads in blocks of 128, one linear
// index delinearized innermost-first, guarded.
// CHECK-LABEL: func.func @elementwise
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C2]], {{.*}} threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C128]]
// CHECK: %[[MUL:.*]] = arith.muli %[[BX]], %[[C128]]
// CHECK: %[[ID:.*]] = arith.addi %[[MUL]], %[[TX]]
// CHECK: arith.cmpi ult, %[[ID]], %{{.*}}
// CHECK: scf.if
// CHECK: arith.remui %[[ID]], %{{.*}}
// CHECK: arith.divui %[[ID]], %{{.*}}
// CHECK: math.exp
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
// CHECK: return
func.func @elementwise(%a: memref<6x40xf32>, %b: memref<6x40xf32>) {
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<6x40xf32>) outs(%b : memref<6x40xf32>) {
  ^bb0(%x: f32, %y: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  return
}

// A column sum written reduction-first: the parallel dimension is moved out
// and becomes the threads; the reduction runs in each thread.
// CHECK-LABEL: func.func @column_sum
// CHECK: gpu.launch
// CHECK: scf.if
// CHECK: scf.for
// CHECK: memref.load
// CHECK: arith.addf
// CHECK-NOT: gpu.launch
func.func @column_sum(%a: memref<64x8xf32>, %s: memref<8xf32>) {
  linalg.generic {indexing_maps = [#id2, #col], iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<64x8xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.addf %x, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// A full reduction (no parallel dimension): one thread.
// CHECK-LABEL: func.func @total
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[C1]], {{.*}} = %[[C1]], {{.*}} = %[[C1]]) threads({{.*}}) in ({{.*}} = %[[C1]], {{.*}} = %[[C1]], {{.*}} = %[[C1]])
// CHECK: scf.for
// CHECK: gpu.terminator
func.func @total(%a: memref<100xf32>, %s: memref<f32>) {
  linalg.generic {indexing_maps = [#all, #none], iterator_types = ["reduction"]}
      ins(%a : memref<100xf32>) outs(%s : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.addf %x, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// A constant table is fetched inside the kernel (outlining then copies the
// global into the device module).
// CHECK-LABEL: func.func @lookup
// CHECK: gpu.launch
// CHECK: memref.get_global @table
func.func @lookup(%b: memref<4xf32>) {
  %t = memref.get_global @table : memref<4xf32>
  linalg.copy ins(%t : memref<4xf32>) outs(%b : memref<4xf32>)
  return
}

// The same op twice (and as in @elementwise): after outlining, one kernel in
// one device module serves all three launches; the constant table is in it.
// ONE-LABEL: func.func @twice
// ONE: gpu.launch_func @loom_kernels::@elementwise_kernel
// ONE: gpu.launch_func @loom_kernels::@elementwise_kernel
// ONE-LABEL: gpu.module @loom_kernels
// ONE-NOT: gpu.func @twice_kernel
// ONE-DAG: memref.global "private" constant @table
// ONE-DAG: gpu.func @lookup_kernel
// ONE-DAG: gpu.func @scatter_add_kernel
func.func @twice(%a: memref<6x40xf32>, %b: memref<6x40xf32>, %c: memref<6x40xf32>) {
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<6x40xf32>) outs(%b : memref<6x40xf32>) {
  ^bb0(%x: f32, %y: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<6x40xf32>) outs(%c : memref<6x40xf32>) {
  ^bb0(%x: f32, %y: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  return
}

// A host loop reading an index from a buffer (an embedding's gradient adds
// row ids[i] per token): the whole loop runs in one thread.
// CHECK-LABEL: func.func @scatter_add
// CHECK: gpu.launch
// CHECK: scf.for
// CHECK: memref.load
// CHECK-NOT: gpu.launch
// CHECK: return
func.func @scatter_add(%ids: memref<5xi32>, %g: memref<5x8xf32>, %w: memref<16x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  scf.for %i = %c0 to %c5 step %c1 {
    %id = memref.load %ids[%i] : memref<5xi32>
    %row = arith.index_cast %id : i32 to index
    %src = memref.subview %g[%i, 0] [1, 8] [1, 1] : memref<5x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    %dst = memref.subview %w[%row, 0] [1, 8] [1, 1] : memref<16x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#all, #all], iterator_types = ["parallel"]}
        ins(%src : memref<8xf32, strided<[1], offset: ?>>) outs(%dst : memref<8xf32, strided<[1], offset: ?>>) {
    ^bb0(%x: f32, %y: f32):
      %r = arith.addf %x, %y : f32
      linalg.yield %r : f32
    }
  }
  return
}

// Scratch allocated in a host loop (the attention gradient's per-head
// temporaries) becomes one device buffer, allocated at the entry and freed
// at the return; the loop keeps its launches.
// CHECK-LABEL: func.func @scratch
// CHECK: %[[S:.*]] = gpu.alloc  host_shared () : memref<8xf32>
// CHECK: scf.for
// CHECK: gpu.launch
// CHECK: memref.store {{.*}}, %[[S]]
// CHECK: gpu.launch
// CHECK: memref.load %[[S]]
// CHECK: %[[T:.*]] = gpu.wait async
// CHECK: %[[D:.*]] = gpu.dealloc async [%[[T]]] %[[S]] : memref<8xf32>
// CHECK: gpu.wait [%[[D]]]
// CHECK-NEXT: return
func.func @scratch(%a: memref<4x8xf32>, %b: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    %t = memref.alloca() : memref<8xf32>
    %src = memref.subview %a[%i, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    %dst = memref.subview %b[%i, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    linalg.copy ins(%src : memref<8xf32, strided<[1], offset: ?>>) outs(%t : memref<8xf32>)
    linalg.copy ins(%t : memref<8xf32>) outs(%dst : memref<8xf32, strided<[1], offset: ?>>)
  }
  return
}

// Emulated: no launch remains, the block and thread ids are loop indices.
// EMU-NOT: gpu.launch
// EMU-LABEL: func.func @elementwise
// EMU: scf.for
// EMU: math.exp
// EMU-LABEL: func.func @scratch
// EMU: memref.alloc() {alignment = 64 : i64} : memref<8xf32>
// EMU: memref.dealloc
