//===- RuntimeTestUtil.h - shared helpers of the runtime tests -------------===//
//
// Temporary directories, file helpers, and the fixture artifact: the
// hand-written test/unit/runtime_fixture/fixture.c plus a manifest written
// here (see fixture.c for what its functions compute).
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TEST_RUNTIME_TEST_UTIL_H
#define LOOM_TEST_RUNTIME_TEST_UTIL_H

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace loom::rt::test {

/// A fresh directory under /tmp, removed with everything in it.
class TempDir {
public:
  TempDir() {
    std::string templ = "/tmp/loom-rt-test-XXXXXX";
    if (!::mkdtemp(templ.data()))
      ADD_FAILURE() << "mkdtemp failed";
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }
  /// The names of the entries in the directory.
  std::vector<std::string> list() const {
    std::vector<std::string> names;
    for (const auto &e : std::filesystem::directory_iterator(path_))
      names.push_back(e.path().filename().string());
    return names;
  }

private:
  std::string path_;
};

/// A version-1.0 file with header dict DICT (padded to 64 as numpy does).
inline std::string npyV1(std::string dict, const std::string &data) {
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>(dict.size() >> 8);
  return out + dict + data;
}

inline void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

inline std::string readFileOrEmpty(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The manifest of the fixture library: forward (y = a * x + b) and stats.
inline nlohmann::json fixtureManifest() {
  return nlohmann::json::parse(R"({
    "format": "loom-artifact",
    "version": 1,
    "model": "fixture",
    "spec": "test/unit/runtime_fixture/fixture.c",
    "library": "model.so",
    "dims": {"B": 2},
    "params": [
      {"name": "a", "dtype": "f32", "shape": [4],
       "init": {"kind": "normal", "std": 0.02}, "aliases": ["scale"]},
      {"name": "b", "dtype": "f32", "shape": [4],
       "init": {"kind": "constant", "value": 0.5}}
    ],
    "inputs": [{"name": "x", "dtype": "f32", "shape": [2, 4]}],
    "functions": {
      "forward": {
        "symbol": "loom_forward",
        "arena_bytes": 32,
        "slots": [
          {"kind": "param", "name": "a"},
          {"kind": "param", "name": "b"},
          {"kind": "input", "name": "x"},
          {"kind": "output", "name": "y", "dtype": "f32", "shape": [2, 4]},
          {"kind": "arena"}
        ]
      },
      "stats": {
        "symbol": "loom_stats",
        "arena_bytes": 0,
        "slots": [
          {"kind": "input", "name": "x"},
          {"kind": "output", "name": "sum", "dtype": "f32", "shape": []},
          {"kind": "output", "name": "aligned", "dtype": "i32", "shape": []},
          {"kind": "arena"}
        ]
      }
    }
  })");
}

/// Writes DIR/NAME/ with MANIFEST and a copy of LIBRARY (the fixture's) as
/// model.so; returns the artifact directory.
inline std::string makeArtifact(const TempDir &dir, const nlohmann::json &manifest,
                                const std::string &name = "artifact",
                                const std::string &library = LOOM_TEST_FIXTURE_LIBRARY) {
  std::string path = dir.file(name);
  std::filesystem::create_directories(path);
  writeFile(path + "/manifest.json", manifest.dump(2));
  // Copy, then rename over: overwriting a loaded library in place would
  // corrupt its mapping (and LLVM's CMake links modules with -z nodelete, so
  // dlclose does not unmap the fixture).
  std::filesystem::copy_file(library, path + "/model.so.tmp",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::rename(path + "/model.so.tmp", path + "/model.so");
  return path;
}

} // namespace loom::rt::test

#endif // LOOM_TEST_RUNTIME_TEST_UTIL_H
