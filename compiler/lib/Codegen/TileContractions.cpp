//===- TileContractions.cpp - register-blocked GEMM micro-kernels ---------===//
//
// Every f32 contraction of a bufferized function becomes cache tiles ->
// register tiles -> a vector micro-kernel whose C tile stays in registers
// across k (see Passes.td and ../shared/research/mlir-matmul-recipe.md).
// The strategy is written as a transform-dialect script, generated for the
// module's contractions and run by the transform interpreter: MLIR's own
// tiling, peeling, vectorization and hoisting, composed as measured.
//
// Each contraction gets a unique `loom.contraction_id` (its handle survives
// tiling but peeling clones the op, so later steps re-match by attribute)
// and the unit `loom.contraction` for the module-wide vectorization.
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/TransformOps/DialectExtension.h"
#include "mlir/Dialect/MemRef/TransformOps/MemRefTransformOps.h"
#include "mlir/Dialect/SCF/TransformOps/SCFTransformOps.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/Dialect/Vector/TransformOps/VectorTransformOps.h"
#include "mlir/Parser/Parser.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMTILECONTRACTIONS
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kIdAttr = "loom.contraction_id";
constexpr llvm::StringLiteral kTagAttr = "loom.contraction";

/// One contraction and where its dimensions are among the op's loops.
struct Contraction {
  linalg::GenericOp op;
  SmallVector<int64_t> batch; // and all m dims but the innermost: tiled by 1
  int64_t m, n, k;
  SmallVector<int64_t> extents; // per loop
  bool transposedB;             // B stored [.., n, k]
};

bool isStaticF32Buffer(Value v) {
  auto t = dyn_cast<MemRefType>(v.getType());
  return t && t.hasStaticShape() && t.getElementType().isF32();
}

/// The contractions the strategy handles: f32 memrefs with static shapes,
/// one n and k dimension, any number of batch and m dimensions.
std::optional<Contraction> classify(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  for (Value v : op->getOperands())
    if (!isStaticF32Buffer(v))
      return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.size() != 1 ||
      dims->k.size() != 1)
    return std::nullopt;
  // A [B, T, K] times a weight [K, N] has two m dims (B and T: the weight has
  // no batch): the innermost one, as C stores it, is the micro-kernel's m,
  // the others are tiled by 1 like batch dims.
  AffineMap out = op.getIndexingMapsArray()[2];
  int64_t m = dims->m.front();
  int64_t mPos = -1;
  for (unsigned d : dims->m) {
    std::optional<unsigned> pos =
        out.getResultPosition(getAffineDimExpr(d, op.getContext()));
    if (pos && int64_t(*pos) > mPos) {
      mPos = *pos;
      m = d;
    }
  }
  Contraction c{op, {}, m, dims->n[0], dims->k[0], {}, false};
  c.batch.assign(dims->batch.begin(), dims->batch.end());
  for (unsigned d : dims->m)
    if (int64_t(d) != m)
      c.batch.push_back(d);
  llvm::sort(c.batch);
  c.extents = op.getStaticLoopRanges();
  for (int64_t e : c.extents)
    if (ShapedType::isDynamic(e) || e <= 0)
      return std::nullopt;
  AffineMap rhs = op.getIndexingMapsArray()[1];
  c.transposedB = rhs.getNumResults() > 0 &&
                  rhs.getResults().back().isFunctionOfDim(c.k);
  return c;
}

std::string list(ArrayRef<int64_t> v) {
  return "[" + llvm::join(llvm::map_range(v, [](int64_t x) {
                            return std::to_string(x);
                          }),
                          ", ") +
         "]";
}

/// The result types of a tile_using_for that makes `loops` loops: the tiled
/// op, then one handle per loop.
std::string tiledAndLoops(size_t loops) {
  std::string s = "!transform.any_op";
  for (size_t i = 0; i < loops; ++i)
    s += ", !transform.any_op";
  return s;
}

struct LoomTileContractionsPass
    : public mlir::loom::impl::LoomTileContractionsBase<
          LoomTileContractionsPass> {
  using LoomTileContractionsBase::LoomTileContractionsBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    LoomTileContractionsBase::getDependentDialects(registry);
    linalg::registerTransformDialectExtension(registry);
    scf::registerTransformDialectExtension(registry);
    vector::registerTransformDialectExtension(registry);
    memref::registerTransformDialectExtension(registry);
  }

  /// Tiling and peeling of contraction `id` (handles stay per op).
  std::string tileScript(const Contraction &c, int id) const {
    size_t loops = c.extents.size(), nb = c.batch.size();
    int64_t regM = c.transposedB ? mrTransposed : mr;
    int64_t regN = c.transposedB ? nrTransposed : nr;
    auto clamp = [&](int64_t dim, int64_t tile) {
      return std::min(tile, c.extents[dim]);
    };
    SmallVector<int64_t> cache(loops, 0), reg(loops, 0), kOne(loops, 0);
    SmallVector<int64_t> cacheOrder(c.batch), regOrder(c.batch);
    for (int64_t b : c.batch)
      cache[b] = 1;
    cache[c.m] = clamp(c.m, mc);
    cache[c.n] = clamp(c.n, nc);
    cache[c.k] = clamp(c.k, kc);
    cacheOrder.append({c.n, c.k, c.m});
    reg[c.m] = clamp(c.m, regM);
    reg[c.n] = clamp(c.n, regN);
    regOrder.append({c.n, c.m, c.k});
    kOne[c.k] = 1;
    std::string s;
    llvm::raw_string_ostream os(s);
    std::string p = "%c" + std::to_string(id);
    os << "    " << p << " = transform.structured.match ops{[\"linalg.generic\"]} "
       << "attributes{" << kIdAttr << " = " << id << " : i64} in %root"
       << " : (!transform.any_op) -> !transform.any_op\n";
    os << "    " << p << "t0, " << p << "cl:" << nb + 3
       << " = transform.structured.tile_using_for " << p << " tile_sizes "
       << list(cache) << " interchange = " << list(cacheOrder)
       << " : (!transform.any_op) -> (" << tiledAndLoops(nb + 3) << ")\n";
    os << "    " << p << "t1, " << p << "rl:2 = transform.structured.tile_using_for "
       << p << "t0 tile_sizes " << list(reg) << " interchange = "
       << list(regOrder) << " : (!transform.any_op) -> (" << tiledAndLoops(2) << ")\n";
    os << "    " << p << "t2, " << p << "kl = transform.structured.tile_using_for "
       << p << "t1 tile_sizes " << list(kOne)
       << " : (!transform.any_op) -> (" << tiledAndLoops(1) << ")\n";
    // The cache loops over batch, n and m write disjoint C tiles: marked for
    // loom-chunk-kernels (peeling copies the mark to the remainder loop).
    for (size_t i = 0; i < nb + 3; ++i)
      if (i != nb + 1) // the k loop accumulates
        os << "    transform.annotate " << p << "cl#" << i
           << " \"loom.parallel\" : !transform.any_op\n";
    // Innermost first: each outer peel clones the peeled inner loops, so
    // every remainder combination gets static trip counts. A loop that
    // divides evenly cannot be peeled (a silenceable failure): suppressed.
    std::vector<std::string> peel = {
        p + "rl#1", p + "rl#0", p + "cl#" + std::to_string(nb + 2),
        p + "cl#" + std::to_string(nb + 1), p + "cl#" + std::to_string(nb)};
    for (auto [i, loop] : llvm::enumerate(peel)) {
      std::string h = p + "f" + std::to_string(i);
      os << "    " << h << " = transform.cast " << loop
         << " : !transform.any_op to !transform.op<\"scf.for\">\n"
         << "    transform.sequence " << h
         << " : !transform.op<\"scf.for\"> failures(suppress) {\n"
         << "    ^bb0(%l: !transform.op<\"scf.for\">):\n"
         << "      %main, %rest = transform.loop.peel %l : "
            "(!transform.op<\"scf.for\">) -> (!transform.any_op, "
            "!transform.any_op)\n"
         << "    }\n";
    }
    return s;
  }

  /// Vectorization of every tile, C hoisted out of k, contraction lowered
  /// to outer products (broadcast FMAs). lower_broadcast / lower_shape_cast
  /// are left out: with them the greedy driver does not terminate on
  /// 1 x n remainder tiles (the LLVM conversion handles what they would).
  std::string vectorizeScript() const {
    // Per function: the pattern applications and the hoisting take one
    // function handle each.
    return R"(    %funcs = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.foreach %funcs : !transform.any_op {
    ^bb0(%f: !transform.any_op):
      transform.apply_patterns to %f { transform.apply_patterns.canonicalization } : !transform.any_op
      %tiles = transform.structured.match ops{["linalg.generic"]} attributes{loom.contraction} in %f : (!transform.any_op) -> !transform.any_op
      transform.structured.vectorize %tiles : !transform.any_op
      transform.apply_patterns to %f {
        transform.apply_patterns.vector.reduction_to_contract
        transform.apply_patterns.vector.transfer_permutation_patterns
        transform.apply_patterns.memref.fold_memref_alias_ops
        transform.apply_patterns.canonicalization
      } : !transform.any_op
      %loops = transform.structured.match ops{["scf.for"]} in %f : (!transform.any_op) -> !transform.any_op
      transform.apply_licm to %loops : !transform.any_op
      transform.apply_cse to %f : !transform.any_op
      %f2 = transform.structured.hoist_redundant_vector_transfers %f : (!transform.any_op) -> !transform.any_op
      transform.apply_patterns to %f2 {
        transform.apply_patterns.vector.lower_contraction lowering_strategy = outerproduct
        transform.apply_patterns.vector.lower_outerproduct
        transform.apply_patterns.vector.transfer_permutation_patterns
        transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1
        transform.apply_patterns.vector.lower_transpose lowering_strategy = eltwise
        transform.apply_patterns.canonicalization
      } : !transform.any_op
      transform.yield
    }
)";
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (nr % 16 != 0 || nrTransposed <= 0 || mr <= 0 || mrTransposed <= 0 ||
        mc <= 0 || nc <= 0 || kc <= 0) {
      module.emitError("loom-tile-contractions: tile sizes must be positive "
                       "and nr a multiple of 16 (AVX-512 vectors)");
      return signalPassFailure();
    }
    SmallVector<Contraction> found;
    module.walk([&](linalg::GenericOp op) {
      if (auto c = classify(op))
        found.push_back(*c);
    });
    if (found.empty())
      return;
    Builder b(module.getContext());
    std::string script =
        "module attributes {transform.with_named_sequence} {\n"
        "  transform.named_sequence @__transform_main(%root: "
        "!transform.any_op {transform.readonly}) {\n";
    for (auto [id, c] : llvm::enumerate(found)) {
      c.op->setAttr(kIdAttr, b.getI64IntegerAttr(id));
      c.op->setAttr(kTagAttr, b.getUnitAttr());
      script += tileScript(c, id);
    }
    script += vectorizeScript() + "    transform.yield\n  }\n}\n";

    ParserConfig config(module.getContext());
    OwningOpRef<ModuleOp> transforms =
        parseSourceString<ModuleOp>(script, config, "loom-tile-contractions");
    if (!transforms) {
      module.emitError("loom-tile-contractions: internal error: the "
                       "generated transform script does not parse");
      return signalPassFailure();
    }
    Operation *entry = transform::detail::findTransformEntryPoint(
        module, *transforms, "__transform_main");
    if (!entry ||
        failed(transform::applyTransformNamedSequence(
            module, entry, *transforms, transform::TransformOptions()))) {
      module.emitError("loom-tile-contractions: the tiling strategy failed "
                       "(see the notes above)");
      return signalPassFailure();
    }
    // Tiles that the vectorizer left (none expected) lose the tags.
    module.walk([&](linalg::GenericOp op) {
      op->removeAttr(kIdAttr);
      op->removeAttr(kTagAttr);
    });
  }
};

} // namespace
