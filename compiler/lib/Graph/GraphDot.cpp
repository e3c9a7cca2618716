//===- GraphDot.cpp - a loom function as a Graphviz DOT graph -------------===//
//
// The graph is built in three steps: nodes and edges from the function's
// ops (parameters and constants folded into their readers' labels), then
// the block structure from the ops' NameLoc paths (clusters, or nodes when
// collapsed), then the text. See Graph.h for the choices.
//
//===----------------------------------------------------------------------===//
#include "loom/Graph/Graph.h"

#include "Loom/IR/LoomDialect.h"
#include "Loom/IR/LoomOps.h"
#include "Loom/IR/Origins.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <tuple>

using namespace mlir;
using mlir::loom::LoomDialect;

namespace loom::graph {

std::string originKey(const std::string &op, const std::string &position,
                      const std::string &path) {
  return op + "@" + position + "#" + path;
}

namespace {

// Kernel colours: a light fill for the ops, a strong one for the tensors
// that stay inside the kernel (ColorBrewer Pastel1 / Set1 and friends).
constexpr const char *kFill[] = {"#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4",
                                 "#fed9a6", "#ffffcc", "#e5d8bd", "#fddaec",
                                 "#b3e2cd", "#cbd5e8"};
constexpr const char *kStroke[] = {"#e41a1c", "#377eb8", "#4daf4a", "#984ea3",
                                   "#ff7f00", "#b8a800", "#a65628", "#f781bf",
                                   "#1b9e77", "#5e6fa3"};
constexpr size_t kColors = sizeof(kFill) / sizeof(kFill[0]);

/// `f32[1,64,768]`.
std::string typeText(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  auto shaped = dyn_cast<ShapedType>(t);
  if (!shaped) {
    t.print(os);
    return s;
  }
  shaped.getElementType().print(os);
  os << "[";
  if (shaped.hasRank())
    for (auto [i, n] : llvm::enumerate(shaped.getShape()))
      os << (i ? "," : "") << (ShapedType::isDynamic(n) ? std::string("?")
                                                        : std::to_string(n));
  else
    os << "*";
  os << "]";
  return s;
}

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

/// An attribute as a label shows it: `4`, `true`, `[0,2,1]`, `tanh`.
std::string attrText(Attribute a) {
  if (auto b = dyn_cast<BoolAttr>(a))
    return b.getValue() ? "true" : "false";
  if (auto i = dyn_cast<IntegerAttr>(a))
    return i.getType().isInteger(1) ? (i.getValue().isZero() ? "false" : "true")
                                    : std::to_string(i.getInt());
  if (auto f = dyn_cast<FloatAttr>(a))
    return number(f.getValueAsDouble());
  if (auto s = dyn_cast<StringAttr>(a))
    return s.str();
  if (auto d = dyn_cast<DenseI64ArrayAttr>(a)) {
    std::string s = "[";
    for (auto [i, v] : llvm::enumerate(d.asArrayRef()))
      s += (i ? "," : "") + std::to_string(v);
    return s + "]";
  }
  if (auto arr = dyn_cast<ArrayAttr>(a)) {
    std::string s = "[";
    for (auto [i, v] : llvm::enumerate(arr))
      s += (i ? "," : "") + attrText(v);
    return s + "]";
  }
  if (auto e = dyn_cast<DenseElementsAttr>(a)) {
    if (!e.isSplat())
      return typeText(e.getType());
    if (isa<FloatType>(e.getElementType()))
      return number(e.getSplatValue<APFloat>().convertToDouble());
    if (isa<IntegerType>(e.getElementType()))
      return std::to_string(e.getSplatValue<APInt>().getSExtValue());
    return typeText(e.getType());
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  a.print(os);
  // Enums print as #loom<name value>: the value says it.
  StringRef text(s);
  if (text.consume_front("#loom<") && text.consume_back(">"))
    s = text.rsplit(' ').second.str();
  if (s.size() > 40)
    s = s.substr(0, 37) + "...";
  return s;
}

/// `name=value`, or `name` for a unit attribute (a flag: `causal`).
std::string attrItem(StringRef name, Attribute a) {
  if (isa<UnitAttr>(a))
    return name.str();
  // Enums are i32 integers: their names say what they mean.
  if (name == "approximate")
    if (auto e = dyn_cast<mlir::loom::GeluApproximationAttr>(a))
      return name.str() + "=" +
             mlir::loom::stringifyGeluApproximation(e.getValue()).str();
  if (name == "predicate")
    if (auto e = dyn_cast<mlir::loom::ComparePredicateAttr>(a))
      return name.str() + "=" +
             mlir::loom::stringifyComparePredicate(e.getValue()).str();
  return name.str() + "=" + attrText(a);
}

/// Escapes one label line for a DOT double-quoted string.
std::string escape(StringRef s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string joinLines(const std::vector<std::string> &lines) {
  std::string out;
  for (auto [i, l] : llvm::enumerate(lines))
    out += (i ? "\\n" : "") + escape(l);
  return out;
}

/// "h.3.attn" -> {"h.3", "h.3.attn"}: a numeric segment is a repeat's
/// instance index and belongs to the instance before it.
std::vector<std::string> instanceChain(StringRef path) {
  std::vector<std::string> chain;
  if (path.empty())
    return chain;
  SmallVector<StringRef> segments;
  path.split(segments, '.');
  std::string current;
  for (StringRef seg : segments) {
    current += (current.empty() ? "" : ".") + seg.str();
    bool index = !seg.empty() && llvm::all_of(seg, llvm::isDigit);
    if (index && !chain.empty())
      chain.back() = current;
    else
      chain.push_back(current);
  }
  return chain;
}

/// "h.3" -> "h" (the repeat), "" when `instance` is not a repeat's copy.
std::string repeatOf(StringRef instance) {
  auto [group, last] = instance.rsplit('.');
  if (last.empty() || last == instance || !llvm::all_of(last, llvm::isDigit))
    return "";
  return group.str();
}

/// The last alias of an instance path: "h.3.attn" -> "attn", "h.3" -> "h".
std::string aliasOf(StringRef instance) {
  std::string group = repeatOf(instance);
  StringRef s = group.empty() ? instance : StringRef(group);
  return s.rsplit('.').second.empty() ? s.str() : s.rsplit('.').second.str();
}

/// Per scope (a block's name, "" for the model's body), the block each
/// `as ALIAS` there instantiates.
using BlockCalls = std::map<std::string, std::map<std::string, std::string>>;

BlockCalls blockCalls(const spec::Model *model) {
  BlockCalls calls;
  if (!model)
    return calls;
  std::function<void(const std::string &, const spec::Expr &)> visit =
      [&](const std::string &scope, const spec::Expr &e) {
        if (e.kind == spec::Expr::Kind::Call && !e.instance.empty())
          calls[scope][e.instance] = e.name;
        for (const spec::Expr &a : e.args)
          visit(scope, a);
      };
  for (const spec::Stmt &s : model->body)
    visit("", s.value);
  for (const spec::Block &b : model->blocks)
    for (const spec::Stmt &s : b.body)
      visit(b.name, s.value);
  return calls;
}

/// The block an instance ("h.3.attn") or repeat ("encoder.layers")
/// instantiates, following the aliases from the model's body (an alias may
/// contain dots: `as encoder.layers`); "" if unknown.
std::string blockOf(const BlockCalls &calls, StringRef instance) {
  std::string scope, block;
  StringRef rest = instance;
  while (!rest.empty()) {
    auto s = calls.find(scope);
    if (s == calls.end())
      return "";
    // The longest alias of the scope that the path continues with.
    const std::pair<const std::string, std::string> *match = nullptr;
    for (const auto &call : s->second) {
      StringRef alias = call.first;
      if (rest.starts_with(alias) &&
          (rest.size() == alias.size() || rest[alias.size()] == '.') &&
          (!match || alias.size() > match->first.size()))
        match = &call;
    }
    if (!match)
      return "";
    block = scope = match->second;
    rest = rest.drop_front(match->first.size());
    rest.consume_front(".");
    // A repeat's copy index.
    auto [index, tail] = rest.split('.');
    if (!index.empty() && llvm::all_of(index, llvm::isDigit))
      rest = tail;
  }
  return block;
}

enum class Kind { Input, Param, Op, Output, Block };

struct Node {
  Kind kind = Kind::Op;
  std::vector<std::string> lines;
  std::string path;    // block instance path, "" at the top
  std::string tooltip; // spec position
  std::set<int64_t> sites;
  std::set<int64_t> fused; // sites that implement more than one loom op
  bool repeat = false;     // a collapsed repeat
};

struct Edge {
  size_t from, to;
  std::string label;
  int64_t kernel = -1; // the fused kernel both ends share, if any
  bool operator<(const Edge &o) const {
    return std::tie(from, to, label) < std::tie(o.from, o.to, o.label);
  }
};

struct Cluster {
  std::vector<size_t> nodes;
  std::vector<std::string> children;
};

class Builder {
public:
  Builder(func::FuncOp fn, const Options &options)
      : fn(fn), options(options), calls(blockCalls(options.model)) {}

  void build() {
    indexKernels();
    addArguments();
    for (Operation &op : fn.getBody().front())
      addOp(op);
    placeParameterOps();
    bool collapse = options.blocks == Blocks::Collapsed;
    if (options.blocks == Blocks::Auto) {
      size_t ops = llvm::count_if(nodes, [](const Node &n) {
        return n.kind == Kind::Op;
      });
      collapse = ops > kAutoCollapseOps;
    }
    collapsed = collapse;
    if (collapse)
      collapseBlocks();
    markFusedEdges();
  }

  std::string print(StringRef model) const;

  size_t drawnNodes() const {
    size_t n = 0;
    for (size_t i = 0; i < nodes.size(); ++i)
      n += drawn(i);
    return n;
  }

private:
  func::FuncOp fn;
  const Options &options;
  BlockCalls calls;
  std::vector<Node> nodes;
  std::vector<Edge> edges;
  bool collapsed = false;
  llvm::DenseMap<Value, size_t> producer;
  std::set<std::string> argNames; // the parameters' names
  llvm::DenseMap<Value, std::string> leaves; // folded into readers' labels
  llvm::DenseMap<Value, double> leafElements; // of parameters, for blocks
  std::map<std::string, std::vector<int64_t>> sitesOf; // origin key -> sites
  std::map<int64_t, size_t> color; // fused site -> palette index
  std::map<size_t, std::set<const void *>> paramUses; // op node -> params
  size_t kernelCalls = 0;

  void indexKernels() {
    if (!options.kernels)
      return;
    for (const KernelCall &k : *options.kernels) {
      if (k.function != options.function)
        continue;
      ++kernelCalls;
      std::set<std::string> distinct(k.origins.begin(), k.origins.end());
      for (const std::string &o : distinct)
        sitesOf[o].push_back(k.site);
      if (distinct.size() > 1) {
        size_t c = color.size() % kColors;
        color.emplace(k.site, c);
      }
    }
  }

  size_t addNode(Kind kind, std::string line, std::string tooltip) {
    Node n;
    n.kind = kind;
    n.lines.push_back(std::move(line));
    n.tooltip = std::move(tooltip);
    return addNode(std::move(n));
  }

  size_t addNode(Node n) {
    nodes.push_back(std::move(n));
    return nodes.size() - 1;
  }

  /// An optimizer's ops are located at their parameter's declaration,
  /// whose NameLoc is the parameter's name ("h.0.attn.c_attn.weight"), not
  /// a block path: they belong to the innermost block instance that the
  /// name starts with ("h.0.attn").
  void placeParameterOps() {
    std::set<std::string> instances;
    for (const Node &n : nodes)
      if (!n.path.empty() && !argNames.count(n.path))
        for (const std::string &i : instanceChain(n.path))
          instances.insert(i);
    for (Node &n : nodes) {
      if (!argNames.count(n.path))
        continue;
      StringRef prefix = n.path;
      std::string path;
      while (prefix.contains('.')) {
        prefix = prefix.rsplit('.').first;
        if (instances.count(prefix.str())) {
          path = prefix.str();
          break;
        }
      }
      n.path = path;
    }
  }

  void addArguments() {
    for (BlockArgument arg : fn.getArguments()) {
      unsigned i = arg.getArgNumber();
      auto named = [&](StringRef attr) -> std::string {
        if (auto s = fn.getArgAttrOfType<StringAttr>(i, attr))
          return s.str();
        return "";
      };
      std::string type = typeText(arg.getType());
      if (std::string input = named(LoomDialect::kInputAttrName); !input.empty()) {
        producer[arg] = addNode(Kind::Input, input, "input " + input);
        continue;
      }
      std::string name = named(LoomDialect::kParamAttrName);
      bool param = !name.empty();
      if (param)
        argNames.insert(name);
      for (StringRef attr : {LoomDialect::kStateAttrName, LoomDialect::kCacheAttrName})
        if (name.empty())
          name = named(attr);
      if (name.empty())
        name = "arg" + std::to_string(i);
      if (options.params) {
        producer[arg] = addNode(Kind::Param, name, name + " " + type);
        continue;
      }
      leaves[arg] = name + " " + type;
      if (param)
        if (auto t = dyn_cast<ShapedType>(arg.getType()); t && t.hasStaticShape())
          leafElements[arg] = double(t.getNumElements());
    }
  }

  /// The origin keys of a graph op: those its location records (the ops of
  /// a gradient carry their forward op's), else its own.
  std::vector<std::string> keysOf(Operation &op) {
    std::vector<mlir::loom::Origin> origins;
    mlir::loom::collectOrigins(op.getLoc(), origins);
    std::vector<std::string> keys;
    for (const mlir::loom::Origin &o : origins)
      keys.push_back(originKey(o.op, o.position(), o.path));
    if (keys.empty()) {
      mlir::loom::Origin self;
      self.op = op.getName().getStringRef().str();
      mlir::loom::specPosition(op.getLoc(), self.file, self.line, self.column,
                               self.path);
      keys.push_back(originKey(self.op, self.position(), self.path));
    }
    return keys;
  }

  void addOp(Operation &op) {
    if (isa<func::ReturnOp>(op))
      return addOutputs(op);
    if (op.hasTrait<OpTrait::ConstantLike>() && !options.params &&
        op.getNumResults() == 1) {
      std::string value;
      if (auto v = op.getAttr("value"))
        value = " " + attrText(v);
      leaves[op.getResult(0)] = "const" + value + " " +
                                typeText(op.getResult(0).getType());
      return;
    }
    Node n;
    std::string file;
    unsigned line = 0, column = 0;
    mlir::loom::specPosition(op.getLoc(), file, line, column, n.path);
    n.tooltip = line ? file + ":" + std::to_string(line) + ":" +
                           std::to_string(column)
                     : file;
    if (!n.path.empty())
      n.tooltip += " (" + n.path + ")";
    StringRef name = op.getName().getStringRef();
    name.consume_front("loom.");
    n.lines.push_back(name.str());
    std::string attrs;
    for (NamedAttribute a : op.getAttrDictionary()) {
      std::string item = attrItem(a.getName(), a.getValue());
      if (!attrs.empty() && attrs.size() + item.size() > 32) {
        n.lines.push_back(attrs);
        attrs.clear();
      }
      attrs += (attrs.empty() ? "" : " ") + item;
    }
    if (!attrs.empty())
      n.lines.push_back(attrs);
    for (const std::string &key : keysOf(op))
      if (auto it = sitesOf.find(key); it != sitesOf.end())
        for (int64_t site : it->second) {
          n.sites.insert(site);
          if (color.count(site))
            n.fused.insert(site);
        }
    std::vector<std::pair<size_t, std::string>> inputs;
    for (Value v : op.getOperands()) {
      if (auto leaf = leaves.find(v); leaf != leaves.end()) {
        StringRef text = leaf->second;
        if (!n.path.empty())
          text.consume_front(n.path + ".");
        n.lines.push_back(text.str());
        continue;
      }
      if (auto p = producer.find(v); p != producer.end())
        inputs.push_back({p->second, typeText(v.getType())});
    }
    // Views (slices, reshapes) and ops folded away have no kernel.
    if (options.kernels)
      n.lines.push_back(n.sites.empty() ? "no kernel" : sitesText(n.sites));
    size_t id = addNode(std::move(n));
    for (auto &[from, label] : inputs)
      edges.push_back({from, id, label});
    for (Value r : op.getResults())
      producer[r] = id;
    // Parameters read inside a block count for it when collapsed.
    for (Value v : op.getOperands())
      if (leafElements.count(v))
        paramUses[id].insert(v.getAsOpaquePointer());
  }

  void addOutputs(Operation &ret) {
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      std::string name;
      bool update = false;
      // An update (new.<param>) is an output too: it says which.
      if (auto s = fn.getResultAttrOfType<StringAttr>(i, LoomDialect::kOutputAttrName))
        name = s.str();
      else
        name = "result " + std::to_string(i);
      update = bool(fn.getResultAttr(i, LoomDialect::kUpdateAttrName));
      auto p = producer.find(v);
      if (update && !options.params && p != producer.end() &&
          nodes[p->second].kind == Kind::Op) {
        nodes[p->second].lines.push_back("-> " + name);
        continue;
      }
      size_t id = addNode(Kind::Output, name, "output " + name);
      if (p != producer.end())
        edges.push_back({p->second, id, typeText(v.getType())});
      else if (auto leaf = leaves.find(v); leaf != leaves.end())
        nodes[id].lines.push_back("= " + leaf->second);
    }
  }

  std::string sitesText(const std::set<int64_t> &sites) const {
    std::string s = sites.size() == 1 ? "kernel " : "kernels ";
    size_t shown = 0;
    for (int64_t site : sites) {
      if (shown == 3) {
        s += " +" + std::to_string(sites.size() - 3);
        break;
      }
      s += (shown++ ? ", " : "") + std::to_string(site);
    }
    return s;
  }

  std::string blockLabel(const std::string &instance, size_t copies) const {
    std::string alias = aliasOf(instance);
    std::string block = blockOf(calls, instance);
    std::string label = instance;
    if (copies)
      label += ": " + (block.empty() ? std::string("repeat") : block) +
               " × " + std::to_string(copies);
    else if (!block.empty() && block != alias)
      label += ": " + block;
    return label;
  }

  /// Each outermost block instance (a repeat: all its copies) becomes one
  /// node; edges inside it go.
  void collapseBlocks() {
    std::map<std::string, size_t> blockNode;
    std::map<std::string, std::set<std::string>> copies;
    std::map<std::string, std::set<std::string>> innerRepeats;
    std::vector<size_t> target(nodes.size());
    std::map<size_t, size_t> opsIn;
    std::map<size_t, std::set<const void *>> params;
    size_t original = nodes.size();
    for (size_t i = 0; i < original; ++i) {
      target[i] = i;
      std::vector<std::string> chain = instanceChain(nodes[i].path);
      if (chain.empty())
        continue;
      // The outermost instance of a block: a prefix of dotted aliases
      // (`as bert.encoder.layer`: "bert") is none, and would put the whole
      // model in one node. Without the spec, the outermost prefix.
      size_t outer = 0;
      if (!calls.empty())
        while (outer + 1 < chain.size() &&
               blockOf(calls, chain[outer]).empty())
          ++outer;
      std::string top = chain[outer];
      std::string group = repeatOf(top);
      std::string key = group.empty() ? top : group;
      if (!group.empty())
        copies[key].insert(top);
      // Repeats inside (an encoder's layers) are named in its label.
      for (size_t j = outer + 1; j < chain.size(); ++j)
        if (std::string g = repeatOf(chain[j]); !g.empty())
          copies[g].insert(chain[j]), innerRepeats[key].insert(g);
      auto [it, fresh] = blockNode.emplace(key, 0);
      if (fresh) {
        Node b;
        b.kind = Kind::Block;
        b.repeat = !group.empty();
        b.tooltip = "block " + key;
        it->second = addNode(std::move(b));
      }
      target[i] = it->second;
      Node &b = nodes[it->second];
      b.sites.insert(nodes[i].sites.begin(), nodes[i].sites.end());
      ++opsIn[it->second];
      if (auto u = paramUses.find(i); u != paramUses.end())
        params[it->second].insert(u->second.begin(), u->second.end());
    }
    for (auto &[key, id] : blockNode) {
      Node &b = nodes[id];
      b.lines.push_back(blockLabel(key, b.repeat ? copies[key].size() : 0));
      // A repeat's figures are per copy.
      size_t n = b.repeat ? std::max<size_t>(1, copies[key].size()) : 1;
      double elements = 0;
      for (const void *v : params[id])
        elements += leafElements.lookup(Value::getFromOpaquePointer(v));
      std::string detail = std::to_string(opsIn[id] / n) + " ops";
      if (elements > 0)
        detail += ", " + paramsText(elements / double(n)) + " params";
      b.lines.push_back(detail + (b.repeat ? " each" : ""));
      for (const std::string &g : innerRepeats[key])
        b.lines.push_back(blockLabel(g, copies[g].size()).substr(key.size() + 1));
      if (!b.sites.empty())
        b.lines.push_back(std::to_string(b.sites.size()) + " kernel calls");
    }
    std::set<Edge> kept;
    std::vector<Edge> remapped;
    for (Edge e : edges) {
      e.from = target[e.from];
      e.to = target[e.to];
      if (e.from == e.to || !kept.insert(e).second)
        continue;
      remapped.push_back(e);
    }
    edges = std::move(remapped);
    shown.assign(nodes.size(), true);
    for (size_t i = 0; i < original; ++i)
      shown[i] = target[i] == i;
  }
  std::vector<bool> shown; // after collapsing: which nodes are drawn

  static std::string paramsText(double n) {
    char buf[32];
    if (n >= 1e6)
      std::snprintf(buf, sizeof buf, "%.1fM", n / 1e6);
    else if (n >= 1e3)
      std::snprintf(buf, sizeof buf, "%.1fK", n / 1e3);
    else
      std::snprintf(buf, sizeof buf, "%.0f", n);
    return buf;
  }

  void markFusedEdges() {
    for (Edge &e : edges) {
      const Node &a = nodes[e.from], &b = nodes[e.to];
      if (a.kind != Kind::Op || b.kind != Kind::Op)
        continue;
      for (int64_t site : a.fused)
        if (b.fused.count(site)) {
          e.kernel = site;
          break;
        }
    }
  }

  bool drawn(size_t i) const { return shown.empty() || shown[i]; }

  void printNode(llvm::raw_ostream &os, size_t i, StringRef indent) const;
  void printClusters(llvm::raw_ostream &os) const;
};

void Builder::printNode(llvm::raw_ostream &os, size_t i,
                        StringRef indent) const {
  const Node &n = nodes[i];
  os << indent << "n" << i << " [label=\"" << joinLines(n.lines) << "\"";
  if (!n.tooltip.empty())
    os << ", tooltip=\"" << escape(n.tooltip) << "\"";
  switch (n.kind) {
  case Kind::Input:
    os << ", shape=ellipse, style=filled, fillcolor=\"#dbe9f6\"";
    break;
  case Kind::Param:
    os << ", shape=note, style=filled, fillcolor=\"#f2f2f2\"";
    break;
  case Kind::Output:
    os << ", shape=ellipse, style=filled, fillcolor=\"#fde2c8\"";
    break;
  case Kind::Block:
    os << ", shape=" << (n.repeat ? "box3d" : "box")
       << ", style=\"filled,bold\", fillcolor=\"#eeeeee\", "
          "margin=\"0.2,0.12\"";
    break;
  case Kind::Op:
    if (n.fused.size() == 1) {
      os << ", style=\"rounded,filled\", fillcolor=\""
         << kFill[color.at(*n.fused.begin())] << "\"";
    } else if (!n.fused.empty()) {
      // One stripe per fused kernel the op is part of.
      std::string fills;
      size_t shown = 0;
      for (int64_t site : n.fused)
        if (shown++ < 4)
          fills += (fills.empty() ? "" : ":") +
                   std::string(kFill[color.at(site)]);
      os << ", style=striped, fillcolor=\"" << fills << "\"";
    }
    break;
  }
  os << "];\n";
}

void Builder::printClusters(llvm::raw_ostream &os) const {
  std::map<std::string, Cluster> clusters;
  std::vector<std::string> top;     // clusters at the top, in order
  std::vector<size_t> loose;        // nodes outside every block
  std::map<std::string, std::set<std::string>> copies;
  auto ensure = [&](const std::string &name, const std::string &parent) {
    auto [it, fresh] = clusters.emplace(name, Cluster());
    if (fresh)
      (parent.empty() ? top : clusters[parent].children).push_back(name);
  };
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!drawn(i))
      continue;
    std::vector<std::string> chain =
        collapsed ? std::vector<std::string>() : instanceChain(nodes[i].path);
    std::string parent;
    for (const std::string &instance : chain) {
      std::string group = repeatOf(instance);
      if (!group.empty()) {
        ensure("repeat " + group, parent);
        copies[group].insert(instance);
        parent = "repeat " + group;
      }
      ensure(instance, parent);
      parent = instance;
    }
    if (parent.empty())
      loose.push_back(i);
    else
      clusters[parent].nodes.push_back(i);
  }
  size_t next = 0;
  std::function<void(const std::string &, std::string)> emit =
      [&](const std::string &name, std::string indent) {
        const Cluster &c = clusters.at(name);
        StringRef group = name;
        bool repeat = group.consume_front("repeat ");
        std::string label = repeat ? blockLabel(group.str(), copies[group.str()].size())
                                   : blockLabel(name, 0);
        os << indent << "subgraph cluster_" << next++ << " {\n";
        os << indent << "  label=\"" << escape(label) << "\";\n";
        os << indent << "  style=\"rounded" << (repeat ? ",dashed" : "")
           << "\"; color=\"" << (repeat ? "#888888" : "#4a6fa5")
           << "\"; fontcolor=\"#4a6fa5\";\n";
        for (const std::string &child : c.children)
          emit(child, indent + "  ");
        for (size_t i : c.nodes)
          printNode(os, i, indent + "  ");
        os << indent << "}\n";
      };
  for (size_t i : loose)
    printNode(os, i, "  ");
  for (const std::string &name : top)
    emit(name, "  ");
}

std::string Builder::print(StringRef model) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string title = model.str() + " @" + options.function;
  title += collapsed ? " (blocks collapsed)" : " (blocks expanded)";
  if (options.kernels) {
    title += ": " + std::to_string(kernelCalls) + " kernel calls, " +
             std::to_string(color.size()) +
             " fused (an op's colour: the fused kernel it is part of)";
  }
  // newrank: dot's default ranking fails ("trouble in init_rank") on
  // clusters that edges cross often, as in an expanded training step.
  os << "digraph \"" << escape(model) << "\" {\n"
     << "  graph [label=\"" << escape(title)
     << "\", labelloc=t, fontname=\"Helvetica\", fontsize=12, "
        "rankdir=TB, newrank=true, nodesep=0.25, ranksep=0.3];\n"
     << "  node [shape=box, style=rounded, fontname=\"Helvetica\", "
        "fontsize=10, margin=\"0.08,0.03\"];\n"
     << "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\", "
        "arrowsize=0.6];\n";
  printClusters(os);
  for (const Edge &e : edges) {
    os << "  n" << e.from << " -> n" << e.to << " [label=\"" << escape(e.label)
       << "\"";
    if (e.kernel >= 0)
      os << ", color=\"" << kStroke[color.at(e.kernel)]
         << "\", penwidth=2.2, tooltip=\"inside kernel " << e.kernel << "\"";
    os << "];\n";
  }
  os << "}\n";
  return text;
}

} // namespace

bool writeDot(ModuleOp module, const Options &options, std::string &dot,
              std::string &error, size_t *nodes) {
  auto fn = module.lookupSymbol<func::FuncOp>(options.function);
  if (!fn || fn.isExternal()) {
    std::string have;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal())
        have += (have.empty() ? "" : ", ") + f.getSymName().str();
    error = "no function '" + options.function + "' to draw (the model has " +
            (have.empty() ? std::string("none") : have) + ")";
    return false;
  }
  Builder builder(fn, options);
  builder.build();
  std::string name = module.getSymName() ? module.getSymName()->str() : "model";
  dot = builder.print(name);
  if (nodes)
    *nodes = builder.drawnNodes();
  return true;
}

} // namespace loom::graph
