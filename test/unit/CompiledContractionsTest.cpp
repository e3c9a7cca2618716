//===- CompiledContractionsTest.cpp - tiled GEMMs at awkward sizes --------===//
//
// loom-tile-contractions turns every f32 contraction into cache tiles,
// register tiles (8 x 32, or 24 x 16 when B is stored [n, k]) and peeled
// remainder tiles. These cases put every loop in every state, full tiles
// and remainders (sizes 1, 7, 17, 33, 63, 65, 257 against tiles of 8, 16,
// 24, 32 and cache tiles of 256, 384, 768; N = 50257 as GPT-2's vocabulary),
// for B stored [k, n] and [n, k], with batch dims and with an unbatched
// weight, B read in place or from packed blocks, and compare the compiled
// results with the interpreter. Tolerance:
// relative norm error 2e-6 (f32 sums of up to 257 products, FMAs).
//
//===----------------------------------------------------------------------===//
#include "CompiledCaseUtil.h"

using namespace loom::testutil;

namespace {

constexpr double kAccum = 2e-6;

class CompiledContractions : public CompiledVsInterpreter {};

TEST_F(CompiledContractions, AwkwardSizesKN) {
  check({"matmul, B [k, n]", R"(
  func.func @forward(%a0: tensor<1x7xf32>, %b0: tensor<7x17xf32>, %a1: tensor<7x63xf32>, %b1: tensor<63x65xf32>, %a2: tensor<17x257xf32>, %b2: tensor<257x33xf32>, %a3: tensor<63x17xf32>, %b3: tensor<17x257xf32>, %a4: tensor<65x65xf32>, %b4: tensor<65x63xf32>, %a5: tensor<257x33xf32>, %b5: tensor<33x7xf32>, %a6: tensor<1x17xf32>, %b6: tensor<17x50257xf32>) -> (tensor<1x17xf32>, tensor<7x65xf32>, tensor<17x33xf32>, tensor<63x257xf32>, tensor<65x63xf32>, tensor<257x7xf32>, tensor<1x50257xf32>) {
    %0 = loom.matmul %a0, %b0 : (tensor<1x7xf32>, tensor<7x17xf32>) -> tensor<1x17xf32>
    %1 = loom.matmul %a1, %b1 : (tensor<7x63xf32>, tensor<63x65xf32>) -> tensor<7x65xf32>
    %2 = loom.matmul %a2, %b2 : (tensor<17x257xf32>, tensor<257x33xf32>) -> tensor<17x33xf32>
    %3 = loom.matmul %a3, %b3 : (tensor<63x17xf32>, tensor<17x257xf32>) -> tensor<63x257xf32>
    %4 = loom.matmul %a4, %b4 : (tensor<65x65xf32>, tensor<65x63xf32>) -> tensor<65x63xf32>
    %5 = loom.matmul %a5, %b5 : (tensor<257x33xf32>, tensor<33x7xf32>) -> tensor<257x7xf32>
    %6 = loom.matmul %a6, %b6 : (tensor<1x17xf32>, tensor<17x50257xf32>) -> tensor<1x50257xf32>
    return %0, %1, %2, %3, %4, %5, %6 : tensor<1x17xf32>, tensor<7x65xf32>, tensor<17x33xf32>, tensor<63x257xf32>, tensor<65x63xf32>, tensor<257x7xf32>, tensor<1x50257xf32>
  })", Metric::Norm, kAccum, {{0, U(-1, 1)}, {1, U(-1, 1)}, {2, U(-1, 1)}, {3, U(-1, 1)}, {4, U(-1, 1)}, {5, U(-1, 1)}, {6, U(-1, 1)}, {7, U(-1, 1)}, {8, U(-1, 1)}, {9, U(-1, 1)}, {10, U(-1, 1)}, {11, U(-1, 1)}, {12, U(-1, 1)}, {13, U(-1, 1)}}});
}

TEST_F(CompiledContractions, AwkwardSizesNK) {
  check({"matmul, B [n, k]", R"(
  func.func @forward(%a0: tensor<1x7xf32>, %b0: tensor<17x7xf32>, %a1: tensor<7x63xf32>, %b1: tensor<65x63xf32>, %a2: tensor<17x257xf32>, %b2: tensor<33x257xf32>, %a3: tensor<63x17xf32>, %b3: tensor<257x17xf32>, %a4: tensor<65x65xf32>, %b4: tensor<63x65xf32>, %a5: tensor<257x33xf32>, %b5: tensor<7x33xf32>, %a6: tensor<1x17xf32>, %b6: tensor<1025x17xf32>) -> (tensor<1x17xf32>, tensor<7x65xf32>, tensor<17x33xf32>, tensor<63x257xf32>, tensor<65x63xf32>, tensor<257x7xf32>, tensor<1x1025xf32>) {
    %0 = loom.batch_matmul %a0, %b0 transpose_rhs : (tensor<1x7xf32>, tensor<17x7xf32>) -> tensor<1x17xf32>
    %1 = loom.batch_matmul %a1, %b1 transpose_rhs : (tensor<7x63xf32>, tensor<65x63xf32>) -> tensor<7x65xf32>
    %2 = loom.batch_matmul %a2, %b2 transpose_rhs : (tensor<17x257xf32>, tensor<33x257xf32>) -> tensor<17x33xf32>
    %3 = loom.batch_matmul %a3, %b3 transpose_rhs : (tensor<63x17xf32>, tensor<257x17xf32>) -> tensor<63x257xf32>
    %4 = loom.batch_matmul %a4, %b4 transpose_rhs : (tensor<65x65xf32>, tensor<63x65xf32>) -> tensor<65x63xf32>
    %5 = loom.batch_matmul %a5, %b5 transpose_rhs : (tensor<257x33xf32>, tensor<7x33xf32>) -> tensor<257x7xf32>
    %6 = loom.batch_matmul %a6, %b6 transpose_rhs : (tensor<1x17xf32>, tensor<1025x17xf32>) -> tensor<1x1025xf32>
    return %0, %1, %2, %3, %4, %5, %6 : tensor<1x17xf32>, tensor<7x65xf32>, tensor<17x33xf32>, tensor<63x257xf32>, tensor<65x63xf32>, tensor<257x7xf32>, tensor<1x1025xf32>
  })", Metric::Norm, kAccum, {{0, U(-1, 1)}, {1, U(-1, 1)}, {2, U(-1, 1)}, {3, U(-1, 1)}, {4, U(-1, 1)}, {5, U(-1, 1)}, {6, U(-1, 1)}, {7, U(-1, 1)}, {8, U(-1, 1)}, {9, U(-1, 1)}, {10, U(-1, 1)}, {11, U(-1, 1)}, {12, U(-1, 1)}, {13, U(-1, 1)}}});
}

TEST_F(CompiledContractions, TransposedCopiesOfB) {
  // An unbatched B stored [n, k] is transposed block by block while
  // loom-tile-contractions packs it (16 x 16 shuffles, peeled remainders):
  // 130 rows with K = 1024, and 2 x 520 rows against a [7, 17] weight;
  // remainders everywhere. Relative norm error 1e-5 (K = 1024).
  check({"B [n, k] read through transposed packed blocks", R"(
  func.func @forward(%a: tensor<130x1024xf32>, %b: tensor<33x1024xf32>, %x: tensor<2x520x17xf32>, %w: tensor<7x17xf32>) -> (tensor<130x33xf32>, tensor<2x520x7xf32>) {
    %0 = loom.batch_matmul %a, %b transpose_rhs : (tensor<130x1024xf32>, tensor<33x1024xf32>) -> tensor<130x33xf32>
    %1 = loom.linear %x, %w transpose_weight : (tensor<2x520x17xf32>, tensor<7x17xf32>) -> tensor<2x520x7xf32>
    return %0, %1 : tensor<130x33xf32>, tensor<2x520x7xf32>
  })", Metric::Norm, 1e-5, {{0, U(-1, 1)}, {1, U(-1, 1)}, {2, U(-1, 1)}, {3, U(-1, 1)}}});
}

TEST_F(CompiledContractions, PackedBlocksOfB) {
  // B's rows more than a page apart (N > 1024) are read from a packed copy
  // of each kc x nc block: every block state, full (768 x 384) and
  // remainder (k: 9 rows past kc; n: 263 and 332 columns past nc), under
  // batch dims and with M past mc (257); the same blocks of a weight stored
  // [n, k], transposed while packed.
  check({"packed B blocks", R"(
  func.func @forward(%x: tensor<2x9x777xf32>, %w: tensor<777x1031xf32>, %a: tensor<257x5xf32>, %b: tensor<5x1100xf32>, %wt: tensor<1031x777xf32>) -> (tensor<2x9x1031xf32>, tensor<257x1100xf32>, tensor<2x9x1031xf32>) {
    %0 = loom.batch_matmul %x, %w : (tensor<2x9x777xf32>, tensor<777x1031xf32>) -> tensor<2x9x1031xf32>
    %1 = loom.matmul %a, %b : (tensor<257x5xf32>, tensor<5x1100xf32>) -> tensor<257x1100xf32>
    %2 = loom.linear %x, %wt transpose_weight : (tensor<2x9x777xf32>, tensor<1031x777xf32>) -> tensor<2x9x1031xf32>
    return %0, %1, %2 : tensor<2x9x1031xf32>, tensor<257x1100xf32>, tensor<2x9x1031xf32>
  })", Metric::Norm, 1e-5, {{0, U(-1, 1)}, {1, U(-1, 1)}, {2, U(-1, 1)}, {3, U(-1, 1)}, {4, U(-1, 1)}}});
}

TEST_F(CompiledContractions, BatchedAndBroadcastWeights) {
  // Activations [B, T, K] times a weight [K, N] (two m dims, the weight
  // unbatched), attention-like [B, H, T, D] products in both orientations.
  check({"batched", R"(
  func.func @forward(%x: tensor<3x17x65xf32>, %w: tensor<65x33xf32>, %q: tensor<2x3x17x65xf32>, %k: tensor<2x3x33x65xf32>, %p: tensor<2x3x17x33xf32>, %v: tensor<2x3x33x65xf32>) -> (tensor<3x17x33xf32>, tensor<2x3x17x33xf32>, tensor<2x3x17x65xf32>) {
    %0 = loom.batch_matmul %x, %w : (tensor<3x17x65xf32>, tensor<65x33xf32>) -> tensor<3x17x33xf32>
    %1 = loom.batch_matmul %q, %k transpose_rhs : (tensor<2x3x17x65xf32>, tensor<2x3x33x65xf32>) -> tensor<2x3x17x33xf32>
    %2 = loom.batch_matmul %p, %v : (tensor<2x3x17x33xf32>, tensor<2x3x33x65xf32>) -> tensor<2x3x17x65xf32>
    return %0, %1, %2 : tensor<3x17x33xf32>, tensor<2x3x17x33xf32>, tensor<2x3x17x65xf32>
  })", Metric::Norm, kAccum, {{0, U(-1, 1)}, {1, U(-1, 1)}, {2, U(-1, 1)}, {3, U(-1, 1)}, {4, U(-1, 1)}, {5, U(-1, 1)}}});
}

} // namespace
