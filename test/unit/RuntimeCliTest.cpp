//===- RuntimeCliTest.cpp - the `loom` command-line program ----------------===//
//
// Runs build/bin/loom on the fixture artifact with std::system: results
// through --output and --print, `loom init` / `--weights` agreement, and
// every bad-input path, each of which must exit 1 with `loom: error: ...`
// naming the file or tensor (never a crash: a signal would not exit 1).
//
//===----------------------------------------------------------------------===//
#include "RuntimeTestUtil.h"

#include "loom/formats/npy.h"
#include "loom/formats/safetensors.h"

#include <sys/wait.h>

#include <cstring>

using namespace loom::rt;
using namespace loom::rt::test;
using json = nlohmann::json;

namespace {

struct Result {
  int exitCode = -1; // -1: killed by a signal
  std::string out, err;
};

class RuntimeCli : public ::testing::Test {
protected:
  void SetUp() override {
    dir = makeArtifact(tmp, fixtureManifest());
    xPath = writeNpyFile("x.npy", LOOM_DTYPE_F32, {2, 4}, x, sizeof x);
  }

  std::string writeNpyFile(const std::string &name, loom_dtype t,
                           const std::vector<int64_t> &shape, const void *data,
                           size_t nbytes) {
    std::string path = tmp.file(name);
    Status s = writeNpy(path, t, shape, data, nbytes);
    EXPECT_TRUE(s.isOk()) << s.message();
    return path;
  }

  /// Runs `loom ARGS` (a shell fragment: paths here have no spaces).
  Result loom(const std::string &args) {
    std::string outFile = tmp.file("stdout"), errFile = tmp.file("stderr");
    std::string cmd = std::string(LOOM_TEST_CLI) + " " + args + " >" + outFile +
                      " 2>" + errFile;
    int status = std::system(cmd.c_str());
    Result r;
    if (WIFEXITED(status))
      r.exitCode = WEXITSTATUS(status);
    r.out = readFileOrEmpty(outFile);
    r.err = readFileOrEmpty(errFile);
    return r;
  }

  /// `loom ARGS` must exit 1 with one line `loom: error: ...` containing
  /// EXPECTED.
  void fails(const std::string &args, const std::string &expected) {
    Result r = loom(args);
    EXPECT_EQ(r.exitCode, 1) << args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("loom: error: ", 0), 0u) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos)
        << args << "\nwant \"" << expected << "\" in \"" << r.err << "\"";
  }

  std::vector<float> readF32(const std::string &path) {
    NpyArray a;
    Status s = readNpy(path, a);
    EXPECT_TRUE(s.isOk()) << s.message();
    std::vector<float> v(a.data.size() / 4);
    std::memcpy(v.data(), a.data.data(), a.data.size());
    return v;
  }

  const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  TempDir tmp;
  std::string dir, xPath;
};

TEST_F(RuntimeCli, RunWithWeightsFile) {
  float a[4] = {2, 0, -1, 0.5f}, b[4] = {1, 2, 3, 4};
  std::string w = tmp.file("w.safetensors");
  ASSERT_TRUE(writeSafetensors(w, {{"a", "F32", {4}, a, 16}, {"b", "F32", {4}, b, 16}}, {}).isOk());
  std::string y = tmp.file("y.npy");
  Result r = loom("run " + dir + " --weights " + w + " --input x=" + xPath +
                  " --output y=" + y);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "");
  std::vector<float> got = readF32(y);
  ASSERT_EQ(got.size(), 8u);
  for (int i = 0; i < 8; ++i)
    EXPECT_FLOAT_EQ(got[i], a[i % 4] * x[i] + b[i % 4]);
}

TEST_F(RuntimeCli, SeedAndInitAgree) {
  std::string y1 = tmp.file("y1.npy"), y2 = tmp.file("y2.npy"), y3 = tmp.file("y3.npy");
  std::string w = tmp.file("init.safetensors");
  ASSERT_EQ(loom("run " + dir + " --seed 7 --input x=" + xPath + " --output y=" + y1).exitCode, 0);
  ASSERT_EQ(loom("init " + dir + " --seed 7 -o " + w).exitCode, 0);
  Result r = loom("run " + dir + " --weights=" + w + " --input=x=" + xPath + " --output y=" + y2);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(readFileOrEmpty(y1), readFileOrEmpty(y2));
  ASSERT_EQ(loom("run " + dir + " --seed 8 --input x=" + xPath + " --output y=" + y3).exitCode, 0);
  EXPECT_NE(readFileOrEmpty(y1), readFileOrEmpty(y3));
  // The default seed is 0.
  std::string w0 = tmp.file("w0.safetensors"), w0b = tmp.file("w0b.safetensors");
  ASSERT_EQ(loom("init " + dir + " -o " + w0).exitCode, 0);
  ASSERT_EQ(loom("init " + dir + " --seed 0 -o " + w0b).exitCode, 0);
  EXPECT_EQ(readFileOrEmpty(w0), readFileOrEmpty(w0b));
}

TEST_F(RuntimeCli, Print) {
  Result r = loom("run " + dir + " --input x=" + xPath + " --function stats --print");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("sum: f32 []\n  first: 36\n  mean: 36  max|x|: 36\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("aligned: i32 []\n  first: 1\n"), std::string::npos) << r.out;
  r = loom("run " + dir + " --input x=" + xPath + " --print");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("y: f32 [2, 4]\n  first:"), std::string::npos) << r.out;
}

TEST_F(RuntimeCli, InfoAndHelp) {
  Result r = loom("info " + dir);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("model: fixture"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  a: f32 [4]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total: 8 values, 32 bytes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    -> y: f32 [2, 4]"), std::string::npos) << r.out;
  r = loom("--help");
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find("usage:"), std::string::npos);
  // Every subcommand answers --help (and -h), with or without an artifact.
  for (const std::string &args :
       std::vector<std::string>{"run --help", "run " + dir + " -h", "init --help",
                                "info " + dir + " --help", "train --help",
                                "generate --help"}) {
    r = loom(args);
    EXPECT_EQ(r.exitCode, 0) << args << ": " << r.err;
    EXPECT_NE(r.out.find("usage"), std::string::npos) << args << ": " << r.out;
  }
}

TEST_F(RuntimeCli, CommandLineErrors) {
  fails("", "no command given");
  fails("serve " + dir, "unknown command 'serve' (see loom --help)");
  fails("run", "loom run: missing ARTIFACT_DIR");
  fails("run " + dir + " --frobnicate", "unknown option '--frobnicate'");
  fails("run " + dir + " extra", "unexpected argument 'extra'");
  fails("run " + dir + " --seed", "--seed needs a value");
  fails("run " + dir + " --seed abc", "--seed wants a non-negative integer, got 'abc'");
  fails("run " + dir + " --seed -1", "--seed wants a non-negative integer");
  fails("run " + dir + " --seed 99999999999999999999", "does not fit 64 bits");
  fails("run " + dir + " --seed 1 --weights w.safetensors", "--weights and --seed exclude each other");
  fails("run " + dir + " --input x.npy", "--input wants NAME=FILE.npy, got 'x.npy'");
  fails("run " + dir + " --output =y.npy", "--output wants NAME=FILE.npy");
  fails("init " + dir + " --seed 1", "loom init: missing -o FILE.safetensors");
  fails("init " + dir + " --input x=" + xPath + " -o w", "--input does not apply to 'loom init'");
  fails("run " + dir + " -o w", "-o does not apply to 'loom run'");
}

TEST_F(RuntimeCli, BadArtifacts) {
  fails("run " + tmp.file("nope"), "nope/manifest.json");
  json j = fixtureManifest();
  j["functions"]["forward"]["symbol"] = "loom_forward_v2";
  fails("run " + makeArtifact(tmp, j, "renamed") + " --input x=" + xPath,
        "library 'model.so' has no symbol 'loom_forward_v2' (function 'forward'");
  std::filesystem::create_directories(tmp.file("broken"));
  writeFile(tmp.file("broken/manifest.json"), "{\"format\": \"loom-artifact\",");
  fails("info " + tmp.file("broken"), "broken/manifest.json': not valid JSON");
  fails("run " + dir + " --function backward --input x=" + xPath,
        "has no function 'backward' (functions: 'forward', 'stats')");
}

TEST_F(RuntimeCli, BadInputs) {
  fails("run " + dir + " --input q=" + xPath, "the artifact has no input 'q' (inputs: x)");
  fails("run " + dir + " --input x=" + tmp.file("missing.npy"), "cannot open '");
  float flat[8] = {};
  fails("run " + dir + " --input x=" + writeNpyFile("flat.npy", LOOM_DTYPE_F32, {8}, flat, 32),
        "input 'x': '" + tmp.file("flat.npy") + "' holds f32 [8], the artifact takes f32 [2, 4]");
  int64_t ints[8] = {};
  fails("run " + dir + " --input x=" + writeNpyFile("ints.npy", LOOM_DTYPE_I64, {2, 4}, ints, 64),
        "holds i64 [2, 4], the artifact takes f32 [2, 4] (convert it with .astype('<f4'))");
  writeFile(tmp.file("junk.npy"), "\x93NUMPY junk");
  fails("run " + dir + " --input x=" + tmp.file("junk.npy"), ".npy file '" + tmp.file("junk.npy"));
  fails("run " + dir, "cannot run 'forward': input 'x' is not set (give it with --input");
  fails("run " + dir + " --input x=" + xPath + " --output z=" + tmp.file("z.npy"),
        "function 'forward' has no output 'z' (outputs: 'y')");
  fails("run " + dir + " --input x=" + xPath + " --output y=" + tmp.file("no/dir/y.npy"),
        "output 'y': cannot create a temporary file next to '" + tmp.file("no/dir/y.npy"));
}

TEST_F(RuntimeCli, BadWeights) {
  float a[4] = {}, b[4] = {};
  std::string good = tmp.file("good.safetensors");
  ASSERT_TRUE(writeSafetensors(good, {{"a", "F32", {4}, a, 16}, {"b", "F32", {4}, b, 16}}, {}).isOk());
  std::string bytes = readFileOrEmpty(good);
  std::string run = "run " + dir + " --input x=" + xPath + " --weights ";

  fails(run + tmp.file("missing.safetensors"), "missing.safetensors");
  writeFile(tmp.file("trunc.safetensors"), bytes.substr(0, bytes.size() - 5));
  fails(run + tmp.file("trunc.safetensors"),
        "safetensors file '" + tmp.file("trunc.safetensors") + "': tensor 'b': data_offsets [16, 32] exceed the data section (27 bytes)");
  writeFile(tmp.file("short.safetensors"), bytes.substr(0, 5));
  fails(run + tmp.file("short.safetensors"), "truncated: 5 bytes");
  std::string pastEof = bytes;
  pastEof[3] = 0x7f;
  writeFile(tmp.file("eof.safetensors"), pastEof);
  fails(run + tmp.file("eof.safetensors"), "exceeds the file");
  std::string corrupt = bytes;
  corrupt[9] = '[';
  writeFile(tmp.file("json.safetensors"), corrupt);
  fails(run + tmp.file("json.safetensors"), "header is not valid JSON");

  std::string wrong = tmp.file("wrong.safetensors");
  ASSERT_TRUE(writeSafetensors(wrong, {{"a", "F32", {2, 2}, a, 16}, {"c", "F32", {4}, b, 16}}, {}).isOk());
  fails(run + wrong, "missing tensors: 'b'; extra tensors (not parameters of the model): 'c'; "
                     "misshaped tensors: 'a' (file: F32 [2, 2], manifest: f32 [4])");
  // --allow-extra forgives the extra tensor only.
  std::string extra = tmp.file("extra.safetensors");
  ASSERT_TRUE(writeSafetensors(extra, {{"a", "F32", {4}, a, 16}, {"b", "F32", {4}, b, 16},
                                       {"c", "F32", {4}, b, 16}}, {}).isOk());
  fails(run + extra, "extra tensors");
  EXPECT_EQ(loom(run + extra + " --allow-extra").exitCode, 0);
}

} // namespace
