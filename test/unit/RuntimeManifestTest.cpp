//===- RuntimeManifestTest.cpp - manifest.json validation ------------------===//
//
// Every check of runtime/src/manifest.cpp, each triggered by one mutation of
// the valid fixture manifest, and the artifact-level failures of
// loom_artifact_open (no manifest, no library, a missing symbol).
//
//===----------------------------------------------------------------------===//
#include "RuntimeTestUtil.h"

#include "loom/runtime.h"
#include "loom/formats/manifest.h"

#include <elf.h>

#include <cstring>
#include <functional>

using namespace loom::rt;
using namespace loom::rt::test;
using json = nlohmann::json;

namespace {

Status parse(const json &j, Manifest &m) {
  return parseManifest(j.dump(), "dir/manifest.json", m);
}

TEST(RuntimeManifest, ParsesTheFixture) {
  Manifest m;
  Status s = parse(fixtureManifest(), m);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(m.model, "fixture");
  EXPECT_EQ(m.library, "model.so");
  ASSERT_EQ(m.dims.size(), 1u);
  EXPECT_EQ(m.dims[0], (std::pair<std::string, int64_t>("B", 2)));
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0].name, "a");
  EXPECT_EQ(m.params[0].nbytes, 16u);
  EXPECT_EQ(m.params[0].init.kind, InitSpec::Kind::Normal);
  EXPECT_DOUBLE_EQ(m.params[0].init.std, 0.02);
  EXPECT_EQ(m.params[1].init.kind, InitSpec::Kind::Constant);
  EXPECT_DOUBLE_EQ(m.params[1].init.value, 0.5);
  EXPECT_EQ(m.findParam("scale"), 0); // alias
  EXPECT_EQ(m.findParam("b"), 1);
  EXPECT_EQ(m.findParam("c"), -1);
  ASSERT_EQ(m.functions.size(), 2u);
  const FunctionSpec &f = m.functions[m.findFunction("forward")];
  EXPECT_EQ(f.symbol, "loom_forward");
  EXPECT_EQ(f.arenaBytes, 32u);
  ASSERT_EQ(f.slots.size(), 5u);
  EXPECT_EQ(f.slots[3].kind, SlotSpec::Kind::Output);
  EXPECT_EQ(f.outputs[0].name, "y");
  const FunctionSpec &st = m.functions[m.findFunction("stats")];
  EXPECT_TRUE(st.outputs[0].shape.empty()); // a scalar
  EXPECT_EQ(st.outputs[0].numel, 1);
  EXPECT_EQ(st.outputs[1].dtype, LOOM_DTYPE_I32);
}

struct Case {
  const char *what;
  std::function<void(json &)> mutate;
  const char *expected; // a substring of the message
};

json &param0(json &m) { return m["params"][0]; }
json cudaObject() {
  return {{"arch", "sm_90"}, {"binary", "cubin"}, {"hooks", {"mgpuModuleLoad"}}};
}
json &fwd(json &m) { return m["functions"]["forward"]; }

const Case kCases[] = {
    {"wrong format", [](json &m) { m["format"] = "onnx"; }, "'format' is not \"loom-artifact\""},
    {"future version", [](json &m) { m["version"] = 2; }, "version 2 is not supported"},
    {"string version", [](json &m) { m["version"] = "1"; }, "'version' is missing or not"},
    {"unknown field", [](json &m) { m["layout"] = "packed"; }, "unknown field 'layout'"},
    {"no library", [](json &m) { m.erase("library"); }, "'library' is missing or not a string"},
    {"library escapes", [](json &m) { m["library"] = "../evil.so"; }, "relative path inside the artifact"},
    {"absolute library", [](json &m) { m["library"] = "/lib/evil.so"; }, "relative path inside the artifact"},
    {"model not string", [](json &m) { m["model"] = 3; }, "'model' is not a string"},
    {"negative dim", [](json &m) { m["dims"]["B"] = -1; }, "dims.B: is not a non-negative integer"},
    {"params not array", [](json &m) { m["params"] = json::object(); }, "'params' is missing or not an array"},
    {"param not object", [](json &m) { param0(m) = 3; }, "params[0]: is not an object"},
    {"param without name", [](json &m) { param0(m).erase("name"); }, "params[0]: 'name' is missing"},
    {"empty name", [](json &m) { param0(m)["name"] = ""; }, "'name' is empty or contains NUL"},
    {"NUL in name", [](json &m) { param0(m)["name"] = std::string("a\0b", 3); }, "contains NUL"},
    {"unknown dtype", [](json &m) { param0(m)["dtype"] = "f64"; }, "params[0] 'a': 'dtype' must be one of f32"},
    {"negative shape", [](json &m) { param0(m)["shape"] = {-1}; }, "params[0] 'a': shape[0] is not a non-negative integer"},
    {"float shape", [](json &m) { param0(m)["shape"] = {1.5}; }, "shape[0] is not a non-negative integer"},
    {"shape not array", [](json &m) { param0(m)["shape"] = 4; }, "'shape' is missing or not an array"},
    {"shape overflow", [](json &m) { param0(m)["shape"] = {1ll << 40, 1ll << 40}; }, "overflows"},
    {"no init", [](json &m) { param0(m).erase("init"); }, "'init' is missing"},
    {"init not object", [](json &m) { param0(m)["init"] = "normal"; }, "init: is not an object"},
    {"unknown init", [](json &m) { param0(m)["init"] = {{"kind", "xavier"}}; }, "unknown kind 'xavier'"},
    {"normal without std", [](json &m) { param0(m)["init"] = {{"kind", "normal"}}; }, "'std' is missing or not a number"},
    {"negative std", [](json &m) { param0(m)["init"]["std"] = -1; }, "'std' is negative"},
    {"unknown init field", [](json &m) { param0(m)["init"]["gain"] = 2; }, "unknown field 'gain'"},
    {"uniform low > high", [](json &m) { param0(m)["init"] = {{"kind", "uniform"}, {"low", 1}, {"high", 0}}; }, "'low' exceeds 'high'"},
    {"uniform string bound", [](json &m) { param0(m)["init"] = {{"kind", "uniform"}, {"low", "0"}, {"high", 1}}; }, "'low' is missing or not a number"},
    {"constant without value", [](json &m) { m["params"][1]["init"].erase("value"); }, "'value' is missing"},
    {"normal on i32", [](json &m) { param0(m)["dtype"] = "i32"; }, "'normal' needs a floating-point dtype, not i32"},
    {"fractional i32 constant", [](json &m) { m["params"][1]["dtype"] = "i32"; }, "is not a value of i32"},
    {"i1 constant 2", [](json &m) { m["params"][1]["dtype"] = "i1"; m["params"][1]["init"]["value"] = 2; }, "is not a value of i1"},
    {"aliases not array", [](json &m) { param0(m)["aliases"] = "scale"; }, "'aliases' is not an array"},
    {"empty alias", [](json &m) { param0(m)["aliases"] = {""}; }, "an alias is not a non-empty string"},
    {"duplicate param", [](json &m) { m["params"][1]["name"] = "a"; }, "params[1] 'a': the name 'a' is used twice"},
    {"alias clash", [](json &m) { m["params"][1]["aliases"] = {"scale"}; }, "the name 'scale' is used twice"},
    {"unknown param field", [](json &m) { param0(m)["layout"] = "nk"; }, "unknown field 'layout'"},
    {"inputs missing", [](json &m) { m.erase("inputs"); }, "'inputs' is missing or not an array"},
    {"duplicate input", [](json &m) { m["inputs"].push_back(m["inputs"][0]); }, "input 'x' is declared twice"},
    {"input with init", [](json &m) { m["inputs"][0]["init"] = {{"kind", "zeros"}}; }, "inputs[0]: unknown field 'init'"},
    {"no functions", [](json &m) { m["functions"] = json::object(); }, "'functions' is missing, not an object, or empty"},
    {"function not object", [](json &m) { fwd(m) = 1; }, "functions.forward: is not an object"},
    {"bad symbol", [](json &m) { fwd(m)["symbol"] = "loom forward"; }, "symbol 'loom forward' is not a C identifier"},
    {"symbol starts with digit", [](json &m) { fwd(m)["symbol"] = "1loom"; }, "is not a C identifier"},
    {"negative arena", [](json &m) { fwd(m)["arena_bytes"] = -5; }, "'arena_bytes' is missing or not a non-negative integer"},
    {"slots missing", [](json &m) { fwd(m).erase("slots"); }, "'slots' is missing or not an array"},
    {"slot without kind", [](json &m) { fwd(m)["slots"][0] = json::object(); }, "slots[0]: is not an object with a string 'kind'"},
    {"unknown slot kind", [](json &m) { fwd(m)["slots"][0]["kind"] = "buffer"; }, "unknown kind 'buffer'"},
    {"unknown param slot", [](json &m) { fwd(m)["slots"][0]["name"] = "zz"; }, "functions.forward.slots[0]: param 'zz' is not in 'params'"},
    {"param slot by alias", [](json &m) { fwd(m)["slots"][0]["name"] = "scale"; }, "param 'scale' is not in 'params'"},
    {"unknown input slot", [](json &m) { fwd(m)["slots"][2]["name"] = "q"; }, "input 'q' is not in 'inputs'"},
    {"param slot twice", [](json &m) { fwd(m)["slots"][1]["name"] = "a"; }, "param 'a' has two slots"},
    {"output twice", [](json &m) { fwd(m)["slots"].insert(fwd(m)["slots"].begin() + 3, fwd(m)["slots"][3]); }, "output 'y' has two slots"},
    {"output without dtype", [](json &m) { fwd(m)["slots"][3].erase("dtype"); }, "'dtype' must be one of"},
    {"output unknown field", [](json &m) { fwd(m)["slots"][3]["offset"] = 0; }, "unknown field 'offset'"},
    {"no arena", [](json &m) { fwd(m)["slots"].erase(4); }, "functions.forward: the last slot must be the arena"},
    {"arena not last", [](json &m) { std::swap(fwd(m)["slots"][3], fwd(m)["slots"][4]); }, "follows the arena slot"},
    {"two arenas", [](json &m) { fwd(m)["slots"].push_back({{"kind", "arena"}}); }, "follows the arena slot"},
    {"unknown function field", [](json &m) { fwd(m)["threads"] = 4; }, "unknown field 'threads'"},
    // Training artifacts: optimizer state and updated outputs.
    {"state not array", [](json &m) { m["state"] = 1; }, "'state' is not an array"},
    {"state named like a param", [](json &m) { m["state"] = {{{"name", "a"}, {"dtype", "f32"}, {"shape", {4}}}}; }, "state[0]: the name 'a' is used twice"},
    {"state with init", [](json &m) { m["state"] = {{{"name", "m.a"}, {"dtype", "f32"}, {"shape", {4}}, {"init", 0}}}; }, "state[0]: unknown field 'init'"},
    {"unknown state slot", [](json &m) { fwd(m)["slots"][0] = {{"kind", "state"}, {"name", "m.a"}}; }, "state 'm.a' is not in 'state'"},
    {"update of unknown param", [](json &m) { fwd(m)["slots"][3]["updates"] = "param:zz"; }, "'updates' must be \"param:NAME\" or \"state:NAME\""},
    {"update without kind", [](json &m) { fwd(m)["slots"][3]["updates"] = "a"; }, "'updates' must be"},
    {"update shape differs", [](json &m) { fwd(m)["slots"][3]["updates"] = "param:a"; }, "output 'y' updates 'a' but their dtypes or shapes differ"},
    {"update by alias", [](json &m) { fwd(m)["slots"][3]["updates"] = "param:scale"; }, "'updates' must be"},
    {"in-place output on an input", [](json &m) { fwd(m)["slots"][2]["output"] = "new.x"; }, "slots[2]: unknown field 'output'"},
    {"in-place output not a string", [](json &m) { fwd(m)["slots"][0]["output"] = 3; }, "'output' is not a non-empty string"},
    {"in-place output empty", [](json &m) { fwd(m)["slots"][0]["output"] = ""; }, "'output' is not a non-empty string"},
    {"in-place output named like an output", [](json &m) { fwd(m)["slots"][0]["output"] = "y"; }, "output 'y' has two slots"},
    {"in-place and swapped update", [](json &m) { fwd(m)["slots"][0]["output"] = "new.a"; m["params"][0]["shape"] = fwd(m)["slots"][3]["shape"]; fwd(m)["slots"][3]["updates"] = "param:a"; }, "'a' is updated twice"},
    {"range on a float input", [](json &m) { m["inputs"][0]["range"] = {0, 4}; }, "'range' on input 'x', which is not i32 or i64"},
    {"range not a pair", [](json &m) { m["inputs"][0]["dtype"] = "i32"; m["inputs"][0]["range"] = {0}; }, "'range' must be [lo, hi] with 64-bit integers lo < hi"},
    {"range empty", [](json &m) { m["inputs"][0]["dtype"] = "i32"; m["inputs"][0]["range"] = {4, 4}; }, "'range' must be [lo, hi]"},
    {"range too large", [](json &m) { m["inputs"][0]["dtype"] = "i64"; m["inputs"][0]["range"] = {0, 18446744073709551615ull}; }, "'range' must be [lo, hi]"},
    {"range of float", [](json &m) { m["inputs"][0]["dtype"] = "i32"; m["inputs"][0]["range"] = {0, 2.5}; }, "'range' must be [lo, hi]"},
    {"ignore not an integer", [](json &m) { m["inputs"][0]["dtype"] = "i32"; m["inputs"][0]["range"] = {0, 4}; m["inputs"][0]["ignore"] = "x"; }, "'ignore' is not a 64-bit integer"},
    {"range_of not a string", [](json &m) { m["inputs"][0]["dtype"] = "i32"; m["inputs"][0]["range"] = {0, 4}; m["inputs"][0]["range_of"] = 1; }, "'range_of' is not a string"},
    {"ignore without range", [](json &m) { m["inputs"][0]["ignore"] = -100; }, "'range_of' and 'ignore' need a 'range'"},
    {"fingerprint not hex", [](json &m) { m["fingerprint"] = "not-a-fingerprint"; }, "'fingerprint' is not 16 lowercase hex digits"},
    {"fingerprint a number", [](json &m) { m["fingerprint"] = 12; }, "'fingerprint' is not 16 lowercase hex digits"},
    {"fingerprint of other content", [](json &m) { m["fingerprint"] = "0123456789abcdef"; }, "'fingerprint' 0123456789abcdef does not match the content"},
    {"optimizer not object", [](json &m) { fwd(m)["optimizer"] = "adamw"; }, "functions.forward.optimizer: is not an object"},
    {"optimizer without kind", [](json &m) { fwd(m)["optimizer"] = {{"beta1", 0.9}}; }, "'kind' is missing"},
    {"optimizer string value", [](json &m) { fwd(m)["optimizer"] = {{"kind", "adamw"}, {"beta1", "0.9"}}; }, "'beta1' is not a number"},
    // CUDA artifacts (docs/cuda.md).
    {"unknown target", [](json &m) { m["target"] = "rocm"; }, "'target' is not \"cpu\" or \"cuda\""},
    {"target not a string", [](json &m) { m["target"] = 1; }, "'target' is not \"cpu\" or \"cuda\""},
    {"cuda without its object", [](json &m) { m["target"] = "cuda"; }, "'target' is \"cuda\" but 'cuda' is missing"},
    {"cuda object on cpu", [](json &m) { m["cuda"] = cudaObject(); }, "cuda: is only for \"target\": \"cuda\""},
    {"cuda not an object", [](json &m) { m["target"] = "cuda"; m["cuda"] = "sm_90"; }, "cuda: is not an object"},
    {"cuda unknown field", [](json &m) { m["target"] = "cuda"; m["cuda"] = cudaObject(); m["cuda"]["ptxas"] = "-O3"; }, "cuda: unknown field 'ptxas'"},
    {"cuda without arch", [](json &m) { m["target"] = "cuda"; m["cuda"] = cudaObject(); m["cuda"].erase("arch"); }, "'arch' is missing or not a string"},
    {"cuda arch not sm", [](json &m) { m["target"] = "cuda"; m["cuda"] = cudaObject(); m["cuda"]["arch"] = "compute_90"; }, "'arch' is 'compute_90', not sm_<major><minor>"},
    {"cuda arch one digit", [](json &m) { m["target"] = "cuda"; m["cuda"] = cudaObject(); m["cuda"]["arch"] = "sm_9"; }, "'arch' is 'sm_9'"},
    {"cuda arch suffix", [](json &m) { m["target"] = "cuda"; m["cuda"] = cudaObject(); m["cuda"]["arch"] = "sm_90x"; }, "'arch' is 'sm_90x'"},
    {"cuda binary", [](json &m) { m["target"] = "cuda"; m["cuda"] = cudaObject(); m["cuda"]["binary"] = "fatbin"; }, "'binary' is 'fatbin', not cubin or ptx"},
    {"cuda hooks missing", [](json &m) { m["target"] = "cuda"; m["cuda"] = cudaObject(); m["cuda"].erase("hooks"); }, "'hooks' is missing or not an array"},
    {"cuda hook not a name", [](json &m) { m["target"] = "cuda"; m["cuda"] = cudaObject(); m["cuda"]["hooks"].push_back("mgpu Launch"); }, "cuda.hooks[1]: is not a string naming a C identifier"},
    {"cuda hook twice", [](json &m) { m["target"] = "cuda"; m["cuda"] = cudaObject(); m["cuda"]["hooks"].push_back("mgpuModuleLoad"); }, "cuda.hooks[1]: 'mgpuModuleLoad' appears twice"},
    {"stream_ordered not array", [](json &m) { m["target"] = "cuda"; m["cuda"] = cudaObject(); m["cuda"]["stream_ordered"] = "forward"; }, "cuda: 'stream_ordered' is not an array"},
    {"stream_ordered not a name", [](json &m) { m["target"] = "cuda"; m["cuda"] = cudaObject(); m["cuda"]["stream_ordered"] = {1}; }, "cuda.stream_ordered[0]: is not a function name"},
    {"stream_ordered unknown", [](json &m) { m["target"] = "cuda"; m["cuda"] = cudaObject(); m["cuda"]["stream_ordered"] = {"forward", "backward"}; }, "cuda.stream_ordered[1]: 'backward' is not in 'functions'"},
};

TEST(RuntimeManifest, ParsesATrainingStep) {
  json j = fixtureManifest();
  j["state"] = {{{"name", "optim.m.a"}, {"dtype", "f32"}, {"shape", {4}}}};
  j["functions"]["step"] = {
      {"symbol", "loom_step"},
      {"arena_bytes", 0},
      {"optimizer", {{"kind", "adamw"}, {"beta1", 0.9}}},
      {"slots",
       {{{"kind", "param"}, {"name", "a"}},
        {{"kind", "state"}, {"name", "optim.m.a"}},
        {{"kind", "output"}, {"name", "new.a"}, {"dtype", "f32"}, {"shape", {4}}, {"updates", "param:a"}},
        {{"kind", "output"}, {"name", "new.m"}, {"dtype", "f32"}, {"shape", {4}}, {"updates", "state:optim.m.a"}},
        {{"kind", "arena"}}}}};
  Manifest m;
  Status s = parse(j, m);
  ASSERT_TRUE(s.isOk()) << s.message();
  ASSERT_EQ(m.state.size(), 1u);
  EXPECT_EQ(m.findState("optim.m.a"), 0);
  const FunctionSpec &f = m.functions[m.findFunction("step")];
  EXPECT_EQ(f.optimizer, "adamw");
  ASSERT_EQ(f.hyperparameters.size(), 1u);
  EXPECT_EQ(f.slots[1].kind, SlotSpec::Kind::State);
  ASSERT_EQ(f.updates.size(), 2u);
  EXPECT_TRUE(f.updates[0].isParam);
  EXPECT_EQ(f.updates[0].target, 0u);
  EXPECT_FALSE(f.updates[1].isParam);
  EXPECT_EQ(f.updates[1].output, 1u);

  // Each tensor is updated at most once.
  j["functions"]["step"]["slots"][3]["updates"] = "param:a";
  s = parse(j, m);
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("'a' is updated twice"), std::string::npos) << s.message();
}

TEST(RuntimeManifest, ParsesUpdatesWrittenInPlace) {
  // loomc's own form: the step writes new.a and new.m over a and optim.m.a;
  // they are outputs of the step (readable after it runs) with no buffer of
  // their own, and the runtime swaps nothing.
  json j = fixtureManifest();
  j["state"] = {{{"name", "optim.m.a"}, {"dtype", "f32"}, {"shape", {4}}}};
  j["params"][0]["shape"] = {4};
  j["functions"]["step"] = {
      {"symbol", "loom_step"},
      {"arena_bytes", 0},
      {"slots",
       {{{"kind", "param"}, {"name", "a"}, {"output", "new.a"}},
        {{"kind", "state"}, {"name", "optim.m.a"}, {"output", "new.m"}},
        {{"kind", "output"}, {"name", "loss"}, {"dtype", "f32"}, {"shape", json::array()}},
        {{"kind", "arena"}}}}};
  Manifest m;
  Status s = parse(j, m);
  ASSERT_TRUE(s.isOk()) << s.message();
  const FunctionSpec &f = m.functions[m.findFunction("step")];
  ASSERT_EQ(f.outputs.size(), 3u);
  EXPECT_EQ(f.findOutput("new.a"), 0);
  EXPECT_EQ(f.findOutput("new.m"), 1);
  EXPECT_EQ(f.outputs[0].shape, std::vector<int64_t>{4});
  ASSERT_EQ(f.updates.size(), 2u);
  EXPECT_TRUE(f.updates[0].inPlace);
  EXPECT_TRUE(f.updates[0].isParam);
  EXPECT_EQ(f.updates[0].target, 0u);
  EXPECT_TRUE(f.updates[1].inPlace);
  EXPECT_FALSE(f.updates[1].isParam);
  EXPECT_EQ(f.updates[1].output, 1u);
  // Slots stay what they were: the output has no slot of its own.
  EXPECT_EQ(f.slots[0].kind, SlotSpec::Kind::Param);
  EXPECT_EQ(f.slots[2].kind, SlotSpec::Kind::Output);
  EXPECT_EQ(f.slots[2].index, 2u);
}

TEST(RuntimeManifest, ParsesACudaTarget) {
  Manifest m;
  Status s = parse(fixtureManifest(), m);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(m.target, "cpu"); // absent: the CPU
  json j = fixtureManifest();
  j["target"] = "cuda";
  j["cuda"] = cudaObject();
  j["cuda"]["arch"] = "sm_100a";
  j["cuda"]["binary"] = "ptx";
  s = parse(j, m);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(m.target, "cuda");
  EXPECT_EQ(m.cuda.arch, "sm_100a");
  EXPECT_EQ(m.cuda.major, 10);
  EXPECT_EQ(m.cuda.minor, 0);
  EXPECT_TRUE(m.cuda.archSpecific);
  EXPECT_EQ(m.cuda.binary, "ptx");
  EXPECT_EQ(m.cuda.hooks, std::vector<std::string>{"mgpuModuleLoad"});
  EXPECT_TRUE(m.cuda.streamOrdered.empty());
  j["cuda"]["stream_ordered"] = {"stats"};
  s = parse(j, m);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(m.cuda.streamOrdered, std::vector<std::string>{"stats"});
  j["cuda"]["arch"] = "sm_89";
  s = parse(j, m);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(m.cuda.major, 8);
  EXPECT_EQ(m.cuda.minor, 9);
  EXPECT_FALSE(m.cuda.archSpecific);
  j["target"] = "cpu";
  j.erase("cuda");
  s = parse(j, m);
  EXPECT_TRUE(s.isOk()) << s.message();
}

TEST(RuntimeManifest, RejectsEveryMalformation) {
  for (const Case &c : kCases) {
    json j = fixtureManifest();
    c.mutate(j);
    Manifest m;
    Status s = parse(j, m);
    EXPECT_FALSE(s.isOk()) << c.what;
    EXPECT_EQ(s.code(), LOOM_ERR_MANIFEST) << c.what;
    EXPECT_NE(s.message().find(c.expected), std::string::npos)
        << c.what << ": got \"" << s.message() << "\"";
    EXPECT_EQ(s.message().rfind("manifest 'dir/manifest.json': ", 0), 0u)
        << c.what << ": " << s.message();
  }
}

TEST(RuntimeManifest, RejectsNonJson) {
  Manifest m;
  for (const char *text : {"", "{", "not json", "{\"format\": }", "\xff\xfe"}) {
    Status s = parseManifest(text, "m.json", m);
    EXPECT_EQ(s.code(), LOOM_ERR_MANIFEST);
    EXPECT_NE(s.message().find("not valid JSON"), std::string::npos) << s.message();
  }
  Status s = parseManifest("[1, 2]", "m.json", m);
  EXPECT_NE(s.message().find("not a JSON object"), std::string::npos) << s.message();
  // Duplicate keys, which nlohmann would silently collapse.
  std::string text = fixtureManifest().dump();
  text.insert(1, "\"version\": 1, ");
  s = parseManifest(text, "m.json", m);
  EXPECT_NE(s.message().find("the key 'version' appears twice"), std::string::npos)
      << s.message();
  text = fixtureManifest().dump();
  text.insert(text.find("\"forward\""), "\"stats\": {}, ");
  s = parseManifest(text, "m.json", m);
  EXPECT_NE(s.message().find("the key 'stats' appears twice"), std::string::npos)
      << s.message();
}

TEST(RuntimeManifest, AcceptsOptionalFieldsAbsent) {
  json j = fixtureManifest();
  j.erase("model");
  j.erase("spec");
  j.erase("dims");
  j["params"][0].erase("aliases");
  j["params"][0]["init"] = {{"kind", "uniform"}, {"low", -0.1}, {"high", 0.1}};
  j["params"][1]["init"] = {{"kind", "ones"}};
  Manifest m;
  Status s = parse(j, m);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(m.model, "");
  EXPECT_EQ(m.params[0].init.kind, InitSpec::Kind::Uniform);
  EXPECT_EQ(m.findParam("scale"), -1);
}

//===----------------------------------------------------------------------===//
// loom_artifact_open
//===----------------------------------------------------------------------===//

loom_status open(const std::string &dir, std::string &error) {
  loom_artifact *a = nullptr;
  loom_status s = loom_artifact_open(dir.c_str(), &a);
  error = loom_last_error();
  if (s == LOOM_OK)
    loom_artifact_close(a);
  else
    EXPECT_EQ(a, nullptr);
  return s;
}

TEST(RuntimeArtifact, OpensTheFixture) {
  TempDir tmp;
  std::string error;
  EXPECT_EQ(open(makeArtifact(tmp, fixtureManifest()), error), LOOM_OK) << error;
  // A trailing slash is fine.
  EXPECT_EQ(open(makeArtifact(tmp, fixtureManifest()) + "/", error), LOOM_OK) << error;
}

TEST(RuntimeArtifact, MissingDirectory) {
  std::string error;
  EXPECT_EQ(open("/nonexistent/loom-artifact", error), LOOM_ERR_IO);
  EXPECT_NE(error.find("/nonexistent/loom-artifact/manifest.json"), std::string::npos)
      << error;
}

TEST(RuntimeArtifact, ManifestErrorThroughTheCApi) {
  TempDir tmp;
  json j = fixtureManifest();
  j["version"] = 7;
  std::string error;
  EXPECT_EQ(open(makeArtifact(tmp, j), error), LOOM_ERR_MANIFEST);
  EXPECT_NE(error.find("version 7 is not supported"), std::string::npos) << error;
}

TEST(RuntimeArtifact, MissingLibrary) {
  TempDir tmp;
  json j = fixtureManifest();
  j["library"] = "nothere.so";
  std::string error;
  EXPECT_EQ(open(makeArtifact(tmp, j), error), LOOM_ERR_LIBRARY);
  EXPECT_NE(error.find("library 'nothere.so' cannot be opened: No such file"),
            std::string::npos) << error;
}

TEST(RuntimeArtifact, LibraryIsNotASharedObject) {
  TempDir tmp;
  std::string dir = makeArtifact(tmp, fixtureManifest());
  writeFile(dir + "/model.so", "not an ELF file");
  std::string error;
  EXPECT_EQ(open(dir, error), LOOM_ERR_LIBRARY);
  EXPECT_NE(error.find("library 'model.so' is not an ELF file (15 bytes)"),
            std::string::npos) << error;
}

// The library is checked before dlopen maps it: a truncated one made dlopen
// fault (SIGBUS) on the pages past the end of the file, even for `loom
// info`; one for another machine or of another ELF type is named as such.
TEST(RuntimeArtifact, DamagedLibraryIsRefusedBeforeLoading) {
  TempDir tmp;
  std::string whole = readFileOrEmpty(LOOM_TEST_FIXTURE_LIBRARY);
  ASSERT_GT(whole.size(), 4096u);
  struct Damage {
    const char *what;
    std::function<void(std::string &)> apply;
    const char *expected;
  };
  const Damage cases[] = {
      {"truncated to half", [](std::string &b) { b.resize(b.size() / 2); }, "is truncated"},
      {"truncated to 100 bytes", [](std::string &b) { b.resize(100); }, "is truncated or damaged"},
      {"empty", [](std::string &b) { b.clear(); }, "is not an ELF file (0 bytes)"},
      {"32-bit", [](std::string &b) { b[EI_CLASS] = ELFCLASS32; }, "is not a 64-bit little-endian ELF file"},
      {"other machine", [](std::string &b) { b[18] = static_cast<char>(0xb7); b[19] = 0; }, "is built for another machine (ELF e_machine 183)"},
      {"executable", [](std::string &b) { b[16] = ET_EXEC; b[17] = 0; }, "is not a shared library (ELF type 2)"},
      {"program headers past the end", [](std::string &b) { std::memset(&b[32], 0x7f, 8); }, "is truncated or damaged (its program headers lie outside the file)"},
  };
  for (const Damage &d : cases) {
    std::string dir = makeArtifact(tmp, fixtureManifest(), std::string("a-") + d.what);
    std::string bytes = whole;
    d.apply(bytes);
    writeFile(dir + "/model.so.new", bytes);
    std::filesystem::rename(dir + "/model.so.new", dir + "/model.so");
    std::string error;
    EXPECT_EQ(open(dir, error), LOOM_ERR_LIBRARY) << d.what;
    EXPECT_NE(error.find("library 'model.so' " + std::string(d.expected)), std::string::npos)
        << d.what << ": " << error;
  }
}

// A manifest with loomc's fingerprint needs a library that exports it (the
// hand-written fixture library does not); artifact-integrity.test covers
// real artifacts (edited, swapped, stripped, truncated).
TEST(RuntimeArtifact, FingerprintedManifestNeedsItsLibrary) {
  TempDir tmp;
  json j = fixtureManifest();
  j["fingerprint"] = hexFingerprint(manifestFingerprint(j.dump()));
  Manifest m;
  Status s = parse(j, m);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_TRUE(m.hasFingerprint);
  std::string error;
  EXPECT_EQ(open(makeArtifact(tmp, j), error), LOOM_ERR_LIBRARY);
  EXPECT_NE(error.find("library 'model.so' has no loom_manifest_fingerprint: it was "
                       "not built by loomc with this manifest"),
            std::string::npos) << error;
}

TEST(RuntimeArtifact, ManifestSymbolNotInLibrary) {
  TempDir tmp;
  json j = fixtureManifest();
  j["functions"]["backward"] = j["functions"]["stats"];
  j["functions"]["backward"]["symbol"] = "loom_backward";
  std::string error;
  EXPECT_EQ(open(makeArtifact(tmp, j), error), LOOM_ERR_LIBRARY);
  EXPECT_NE(error.find("has no symbol 'loom_backward' (function 'backward'"),
            std::string::npos)
      << error;
}

TEST(RuntimeArtifact, NullArguments) {
  loom_artifact *a = nullptr;
  EXPECT_EQ(loom_artifact_open(nullptr, &a), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_artifact_open("x", nullptr), LOOM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(loom_artifact_open("", &a), LOOM_ERR_INVALID_ARGUMENT);
  loom_artifact_close(nullptr); // allowed
}

} // namespace
