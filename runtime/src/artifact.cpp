//===- artifact.cpp - an artifact opened: manifest, library, device -------===//
//
// Artifact::open reads manifest.json, checks and dlopens the library, binds
// the entry points and the runtime's hooks, and for a CUDA artifact opens
// the device and loads the kernels (openCuda). Sessions: session.cpp.
//
//===----------------------------------------------------------------------===//
#include "session.h"
#include "messages.h"
#include "profiler.h"
#include "threadpool.h"

#include "context.h"
#include "driver.h"
#include "hooks.h"

#include "loom/formats/io.h"

#include <dlfcn.h>
#include <elf.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace loom::rt {

namespace {

/// Checks that `path` is a whole ELF shared object for this machine before
/// dlopen maps it: a truncated library makes dlopen fault (SIGBUS) on the
/// missing pages instead of failing, and a file for another machine or a
/// non-ELF file only gives dlopen's terse message.
Status checkLibraryFile(const std::string &path, std::string &why) {
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    why = std::string("cannot be opened: ") + std::strerror(errno);
    return Status::error(LOOM_ERR_LIBRARY, why);
  }
  struct Closer {
    std::FILE *f;
    ~Closer() { std::fclose(f); }
  } closer{f};
  auto fail = [&](const std::string &what) {
    why = what;
    return Status::error(LOOM_ERR_LIBRARY, what);
  };
  if (std::fseek(f, 0, SEEK_END) != 0)
    return fail("cannot be read");
  long sizeLong = std::ftell(f);
  if (sizeLong < 0)
    return fail("cannot be read");
  uint64_t size = static_cast<uint64_t>(sizeLong);
  Elf64_Ehdr eh;
  if (size < sizeof(eh) || std::fseek(f, 0, SEEK_SET) != 0 ||
      std::fread(&eh, sizeof(eh), 1, f) != 1)
    return fail("is not an ELF file (" + std::to_string(size) + " bytes)");
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return fail("is not an ELF file");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return fail("is not a 64-bit little-endian ELF file");
#if defined(__x86_64__)
  constexpr uint16_t kMachine = EM_X86_64;
#elif defined(__aarch64__)
  constexpr uint16_t kMachine = EM_AARCH64;
#else
  constexpr uint16_t kMachine = 0;
#endif
  if (kMachine && eh.e_machine != kMachine)
    return fail("is built for another machine (ELF e_machine " +
                std::to_string(eh.e_machine) + ")");
  if (eh.e_type != ET_DYN)
    return fail("is not a shared library (ELF type " + std::to_string(eh.e_type) + ")");
  // Every loaded segment, and the section table, lie inside the file.
  auto within = [&](uint64_t offset, uint64_t count, uint64_t each) {
    return offset <= size && (each == 0 || count <= (size - offset) / each);
  };
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || !within(eh.e_phoff, eh.e_phnum, sizeof(Elf64_Phdr)))
    return fail("is truncated or damaged (its program headers lie outside the file)");
  if (eh.e_shnum && !within(eh.e_shoff, eh.e_shnum, eh.e_shentsize))
    return fail("is truncated (" + std::to_string(size) +
                " bytes; its section table ends past that)");
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (std::fseek(f, static_cast<long>(eh.e_phoff + i * sizeof(ph)), SEEK_SET) != 0 ||
        std::fread(&ph, sizeof(ph), 1, f) != 1)
      return fail("is truncated or damaged (cannot read its program headers)");
    if (ph.p_type == PT_LOAD && !within(ph.p_offset, ph.p_filesz, 1))
      return fail("is truncated (" + std::to_string(size) +
                  " bytes; a loaded segment ends at " +
                  std::to_string(ph.p_offset + ph.p_filesz) + ")");
  }
  return Status::ok();
}

/// The device DEVICE ("" for the artifact's own target, "cpu", "cuda",
/// "cuda:N") for the artifact in DIR compiled for M.target: ORDINAL -1 for
/// the CPU, else the CUDA device's.
Status pickDevice(const std::string &dir, const Manifest &m, const std::string &device,
                  int &ordinal) {
  ordinal = -1;
  bool cuda = m.target == "cuda";
  std::string wanted = device.empty() ? m.target : device;
  std::string number, source;
  if (wanted == "cuda") {
    const char *env = std::getenv("LOOM_CUDA_DEVICE");
    number = env && *env ? env : "0";
    source = "LOOM_CUDA_DEVICE '" + number + "'";
  } else if (wanted.rfind("cuda:", 0) == 0) {
    number = wanted.substr(5);
    source = "device '" + wanted + "'";
  } else if (wanted != "cpu") {
    return Status::error(LOOM_ERR_INVALID_ARGUMENT,
                         "device '" + device + "' is not cpu, cuda or cuda:N");
  }
  if (wanted != "cpu" && (number.empty() || number.size() > 4 ||
                          number.find_first_not_of("0123456789") != std::string::npos))
    return Status::error(LOOM_ERR_INVALID_ARGUMENT,
                         source + " is not a CUDA device number (cuda:0, cuda:1, ...)");
  if (cuda && wanted == "cpu")
    return Status::error(LOOM_ERR_MISMATCH,
                         "artifact '" + dir + "' was compiled for CUDA (" + m.cuda.arch +
                             "): compile it with loomc --target=cpu (the default) to "
                             "run it on the CPU");
  if (!cuda && wanted != "cpu")
    return Status::error(LOOM_ERR_MISMATCH, "artifact '" + dir +
                                                "' was compiled for cpu: compile it "
                                                "with loomc --target=cuda");
  if (cuda)
    ordinal = std::atoi(number.c_str());
  return Status::ok();
}

/// The CUDA libraries open in the process. dlopen gives every artifact
/// opened from one directory the same library, whose globals hold the
/// kernel modules: the first artifact loads them (in its device's primary
/// context), later ones on the same device share them, and the last one
/// unloads them.
struct LoadedKernels {
  int ordinal;
  int users;
};
std::mutex loadedKernelsMutex;
std::map<void *, LoadedKernels> loadedKernels; // by dlopen handle

} // namespace

//===----------------------------------------------------------------------===//
// Artifact
//===----------------------------------------------------------------------===//

Artifact::~Artifact() {
  if (unloadKernels_) {
    std::lock_guard<std::mutex> lock(loadedKernelsMutex);
    auto it = loadedKernels.find(handle_);
    if (it != loadedKernels.end() && --it->second.users == 0) {
      loadedKernels.erase(it);
      (void)context_->callHost(unloadKernels_, "unloading the kernels");
    }
  }
  if (handle_)
    ::dlclose(handle_);
}

Status Artifact::open(const std::string &dirArg, const std::string &device,
                      std::shared_ptr<Artifact> &out) {
  if (dirArg.empty())
    return Status::error(LOOM_ERR_INVALID_ARGUMENT, "empty artifact directory");
  std::string dir = dirArg;
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  std::shared_ptr<Artifact> a(new Artifact());
  a->dir_ = dir;

  std::string manifestPath = dir + "/manifest.json";
  std::string text;
  Status read = readFile(manifestPath, text);
  if (!read.isOk())
    return Status::error(read.code(), "artifact '" + dir +
                                          "': " + read.message());
  LOOM_RT_TRY(parseManifest(text, manifestPath, a->manifest_));
  LOOM_RT_TRY(pickDevice(dir, a->manifest_, device, a->ordinal_));
  if (a->ordinal_ >= 0)
    a->device_ = "cuda:" + std::to_string(a->ordinal_);

  // RTLD_NOW: an unresolved symbol fails here, not in the middle of a run.
  // RTLD_LOCAL: two artifacts both export loom_forward; neither may satisfy
  // the other's references.
  std::string libPath = dir + "/" + a->manifest_.library;
  std::string why;
  if (!checkLibraryFile(libPath, why).isOk())
    return Status::error(LOOM_ERR_LIBRARY, "artifact '" + dir + "': library '" +
                                               a->manifest_.library + "' " + why);
  ::dlerror();
  a->handle_ = ::dlopen(libPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!a->handle_) {
    const char *why = ::dlerror();
    return Status::error(LOOM_ERR_LIBRARY, "artifact '" + dir +
                                               "': cannot load library: " +
                                               (why ? why : libPath));
  }
  // The library and the manifest belong together: loomc compiles the
  // manifest's fingerprint into the library. (A hand-written library and
  // manifest, as the tests' fixture, carry neither.)
  ::dlerror();
  const void *fp = ::dlsym(a->handle_, "loom_manifest_fingerprint");
  const Manifest &m = a->manifest_;
  std::string lib = "artifact '" + dir + "': library '" + m.library + "'";
  if (m.hasFingerprint && !fp)
    return Status::error(LOOM_ERR_LIBRARY,
                         lib + " has no loom_manifest_fingerprint: it was not "
                               "built by loomc with this manifest");
  if (fp) {
    uint64_t built;
    std::memcpy(&built, fp, sizeof built);
    if (!m.hasFingerprint)
      return Status::error(LOOM_ERR_LIBRARY,
                           lib + " was built for a manifest with fingerprint " +
                               hexFingerprint(built) +
                               ", and manifest.json has none: it is not the "
                               "manifest loomc wrote for it");
    if (built != m.fingerprint)
      return Status::error(LOOM_ERR_LIBRARY,
                           lib + " was built for another manifest (fingerprint " +
                               hexFingerprint(built) + "; manifest.json has " +
                               hexFingerprint(m.fingerprint) +
                               "): compile the artifact again or restore its "
                               "own files");
  }
  for (const FunctionSpec &f : a->manifest_.functions) {
    ::dlerror();
    void *sym = ::dlsym(a->handle_, f.symbol.c_str());
    if (!sym)
      return Status::error(
          LOOM_ERR_LIBRARY, "artifact '" + dir + "': library '" +
                                a->manifest_.library + "' has no symbol '" +
                                f.symbol + "' (function '" + f.name +
                                "' of manifest.json)");
    a->entryPoints_.push_back(reinterpret_cast<EntryPoint>(sym));
  }
  // Kernels split across threads call through this pointer (see
  // threadpool.h); a library without parallel kernels does not define it.
  using Hook = void (*)(int64_t, RangeFn, void *);
  ::dlerror();
  if (void *hook = ::dlsym(a->handle_, "loom_parallel_for_hook"))
    *static_cast<Hook *>(hook) = &loomrtParallelFor;
  // Kernel calls are timed through this one (profiler.h); a library
  // without kernels does not define it.
  using ProfileHook = void (*)(int64_t, int32_t);
  ::dlerror();
  if (void *hook = ::dlsym(a->handle_, "loom_profile_hook"))
    *static_cast<ProfileHook *>(hook) = &loomrtProfileHook;
  if (a->ordinal_ >= 0)
    LOOM_RT_TRY(a->openCuda());
  a->streamOrdered_.assign(m.functions.size(), false);
  for (const std::string &f : m.cuda.streamOrdered)
    a->streamOrdered_[m.findFunction(f)] = true;
  out = std::move(a);
  return Status::ok();
}

Status Artifact::openCuda() {
  const CudaSpec &c = manifest_.cuda;
  // The library's side first: it calls the runtime through data symbols
  // loom_hook_<name>, and loads its kernels with loom_cuda_load.
  std::string library = "artifact '" + dir_ + "': library '" + manifest_.library + "'";
  std::vector<std::pair<void **, void *>> hooks;
  for (const std::string &hook : c.hooks) {
    void *function = cuda::hookFunction(hook);
    if (!function)
      return Status::error(LOOM_ERR_LIBRARY,
                           "artifact '" + dir_ + "': manifest.json lists the CUDA hook '" +
                               hook + "', which this runtime does not provide (it "
                               "provides " + cuda::hookNames() + ")");
    std::string symbol = "loom_hook_" + hook;
    ::dlerror();
    void *slot = ::dlsym(handle_, symbol.c_str());
    if (!slot)
      return Status::error(LOOM_ERR_LIBRARY, library + " has no symbol '" + symbol +
                                                 "' (hook '" + hook + "' of manifest.json)");
    hooks.emplace_back(static_cast<void **>(slot), function);
  }
  using Load = void (*)();
  Load load = nullptr, unload = nullptr;
  for (auto [name, fn] : {std::pair<const char *, Load *>{"loom_cuda_load", &load},
                          {"loom_cuda_unload", &unload}}) {
    ::dlerror();
    if (!(*fn = reinterpret_cast<Load>(::dlsym(handle_, name))))
      return Status::error(LOOM_ERR_LIBRARY,
                           library + " has no symbol '" + name +
                               "' (a CUDA artifact's library loads and unloads its "
                               "kernels with loom_cuda_load and loom_cuda_unload)");
  }

  // Then the machine's: a driver, the device, an architecture the kernels
  // run on.
  std::string compiled = "artifact '" + dir_ + "' was compiled for CUDA (" + c.arch + ")";
  std::unique_ptr<cuda::Driver> driver;
  Status opened = cuda::Driver::open(cuda::Driver::defaultPath(), driver);
  if (!opened.isOk())
    return Status::error(LOOM_ERR_LIBRARY, compiled + ": " + opened.message());
  driver_ = std::move(driver);
  const std::vector<cuda::Device> &devices = driver_->devices();
  if (static_cast<size_t>(ordinal_) >= devices.size()) {
    std::string listed;
    for (const cuda::Device &d : devices)
      listed += (listed.empty() ? "" : ", ") + ("cuda:" + std::to_string(d.ordinal)) + " " +
                d.name;
    return Status::error(LOOM_ERR_LIBRARY, compiled + ": there is no device " + device_ +
                                               " (the driver lists " + listed + ")");
  }
  const cuda::Device &d = devices[ordinal_];
  std::string sm = "sm_" + std::to_string(d.major) + std::to_string(d.minor);
  std::string on = device_ + " (" + d.name + ", " + sm + ")";
  // A cubin runs on its major version from its minor on (an sm_90a one on
  // sm_90 only); the driver compiles PTX for its arch and anything newer.
  bool newer = d.major > c.major || (d.major == c.major && d.minor >= c.minor);
  if (c.binary == "ptx" && !newer)
    return Status::error(LOOM_ERR_LIBRARY,
                         compiled + " as PTX, which needs compute capability " +
                             std::to_string(c.major) + "." + std::to_string(c.minor) +
                             " or newer: " + on + " is older");
  if (c.binary == "cubin" &&
      !(d.major == c.major && (c.archSpecific ? d.minor == c.minor : d.minor >= c.minor)))
    return Status::error(LOOM_ERR_LIBRARY, compiled + " as a cubin, which cannot run on " +
                                               on + ": compile it for " + sm);
  Status created = cuda::Context::create(driver_, ordinal_, context_);
  if (!created.isOk())
    return Status::error(created.code(), "artifact '" + dir_ + "': " + created.message());

  std::lock_guard<std::mutex> lock(loadedKernelsMutex);
  if (auto it = loadedKernels.find(handle_); it != loadedKernels.end()) {
    if (it->second.ordinal != ordinal_)
      return Status::error(
          LOOM_ERR_LIBRARY,
          library + " is open on cuda:" + std::to_string(it->second.ordinal) +
              " already (another artifact handle): a process runs one library's "
              "kernels on one device (copy the artifact directory to open it on " +
              device_ + " too)");
    ++it->second.users;
    unloadKernels_ = unload;
    return Status::ok();
  }
  for (auto [slot, function] : hooks)
    *slot = function;
  Status loaded =
      context_->callHost(load, "artifact '" + dir_ + "': cannot load its kernels on " + on);
  if (!loaded.isOk()) {
    // Unloads the modules loaded before the failure.
    (void)context_->callHost(unload, "unloading the kernels");
    return loaded;
  }
  loadedKernels[handle_] = {ordinal_, 1};
  unloadKernels_ = unload;
  return Status::ok();
}

} // namespace loom::rt
