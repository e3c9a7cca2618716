//===- train.cpp - `loom train` and `loom generate` ------------------------===//
//
// loom train runs an artifact's compiled @train_step (loomc --train) on
// batches from runtime/data: each step sets the data inputs, the scheduled
// learning rate (optim.lr) and the step count (optim.step), calls the step
// (forward, backward, clipping and optimizer update in native code) and logs
// the loss. Everything a step depends on is a function of (seed, step) or is
// in the checkpoint (parameters, optimizer state, loss history), so
// --resume continues bit-exactly.
//
// Compiled with `loomc --train --split-step`, the step also runs
// data-parallel (`mpirun -np N loom train`, or --micro-batches K in one
// process): train_dist.h.
//
// loom generate samples bytes from a causal LM artifact's @forward (logits
// [B, T, V] for tokens [B, T]): the context, left-aligned in row 0, is the
// last T bytes; the next byte is drawn from the logits at the last position
// (temperature, top-k) with a seeded counter-based generator.
//
//===----------------------------------------------------------------------===//
#include "cli.h"
#include "profile.h"
#include "train_dist.h"

#include "Data.h"
#include "loom/formats/rng.h"
#include "loom/tokenizer/tokenizer.h"

#include <csignal>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace loom::cli;

const char *loom::cli::kTrainUsage =
    "usage: loom train ARTIFACT_DIR --data SPEC --steps N [options]\n"
    "\n"
    "Runs the artifact's compiled train_step (compile with `loomc --train`)\n"
    "for steps 1..N.\n"
    "  --data SPEC          text:FILE (bytes), tokens:FILE.npy (token ids),\n"
    "                       synthetic | images | captions | translation\n"
    "                       (seeded generators; see docs/training.md)\n"
    "  --steps N            the run's length: steps 1..N (the schedule spans\n"
    "                       them); a resumed run keeps its checkpoint's N\n"
    "  --stop-after K       stop (and checkpoint) after step K < N, as if\n"
    "                       interrupted; --resume continues the same run\n"
    "  --seed S             initialization and data order (default 0)\n"
    "  --weights FILE       start from these weights (fresh optimizer state)\n"
    "  --init CHECKPOINT    start from another framework's checkpoint, renamed\n"
    "                       by the spec's checkpoint map (as loom import-weights;\n"
    "                       --map NAME picks the map; parameters it lacks keep\n"
    "                       their --seed initialization, listed on stderr)\n"
    "  --resume FILE        continue a checkpoint: weights, optimizer state,\n"
    "                       step, seed, data and schedule come from it (a\n"
    "                       file without optimizer state is refused)\n"
    "  --reset-optimizer    with --resume: accept a checkpoint without\n"
    "                       optimizer state and start it from zero\n"
    "  --lr X               peak learning rate (default 1e-3)\n"
    "  --min-lr X           final learning rate of the decay (default lr/10)\n"
    "  --warmup K           linear warmup over the first K steps (default 0)\n"
    "  --schedule S         cosine (default), linear or constant after warmup\n"
    "  --checkpoint FILE    write a checkpoint (safetensors: weights +\n"
    "                       optimizer state), atomically, at the end and\n"
    "  --checkpoint-every K   every K steps\n"
    "  --log FILE           one record per step: .csv or .jsonl\n"
    "  --plot FILE.svg      the loss curve, written at the end\n"
    "  --overfit            train on the first batch only (debugging, tests)\n"
    "  --tokenizer DIR      the tokenizer the token ids come from (loom\n"
    "                       tokenizer encode): its size must be the model's\n"
    "                       vocabulary; checkpoints record it, so `loom\n"
    "                       generate` takes text without --tokenizer\n"
    "  --vocab N            token ids must be below N (default: the rows of\n"
    "                       the artifact's token embedding; 256 without one)\n"
    "  --print-every K      a progress line every K steps when stderr is not\n"
    "                       a terminal (default: ~20 lines per run)\n"
    "  --threads N          kernel threads (default: LOOM_NUM_THREADS, else\n"
    "                       all hardware threads); the losses do not depend\n"
    "                       on it\n"
    "  --profile FILE.json  a Chrome trace (chrome://tracing, Perfetto) of the\n"
    "                       kernel calls of --profile-steps steps after the\n"
    "                       first (the first, if it is the only one); `loom\n"
    "                       profile FILE.json` prints the top kernels\n"
    "  --profile-steps K    steps to profile (default 5)\n"
    "  --device D           cpu, cuda or cuda:N (default: the target loomc\n"
    "                       compiled the artifact for; data-parallel runs are\n"
    "                       CPU-only for now)\n"
    "\n"
    "Data-parallel (an artifact from `loomc --train --split-step`; under\n"
    "mpirun every rank runs this command; docs/distributed.md):\n"
    "  --micro-batches K    a step is K of the artifact's batches (default:\n"
    "                       the number of ranks; a resumed run keeps its\n"
    "                       checkpoint's K), split over the ranks: the losses\n"
    "                       depend on K, not on the number of ranks\n"
    "  --zero1              each rank keeps the optimizer state of 1/N of the\n"
    "                       parameters, updates them and broadcasts them\n"
    "  --deterministic      sum the gradients as one balanced tree over the\n"
    "                       micro-batches: the same bits for any number of\n"
    "                       ranks (powers of two)\n";

namespace {

/// %.9g round-trips an f32; %.17g a double.
std::string fmt(double v, const char *f = "%.9g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

struct TrainOptions {
  std::string artifact, data, weights, resume, checkpoint, log, plot, tokenizer;
  std::string init, map; // --init CHECKPOINT [--map NAME]
  std::string schedule = "cosine";
  int64_t steps = 0, warmup = 0, checkpointEvery = 0, printEvery = 0;
  int64_t stopAfter = 0;
  std::string profile;
  int64_t profileSteps = 5;
  int64_t vocab = 0; // 0: from the artifact's token range (else 256)
  int threads = 0; // 0: the session's default
  std::string device; // "": the artifact's target
  uint64_t seed = 0;
  double lr = 1e-3, minLr = -1;
  bool overfit = false, resetOptimizer = false;
  int64_t microBatches = 0; // 0: unset (the ranks, or the checkpoint's)
  int64_t resumedMicroBatches = 0; // a resumed run's K (1: a fused run's)
  bool zero1 = false, deterministic = false;
  // Which of these the command line set (a resume takes the rest from the
  // checkpoint).
  bool haveSeed = false, haveData = false, haveLr = false, haveMinLr = false,
       haveWarmup = false, haveSchedule = false, haveSteps = false;
};

TrainOptions parseTrain(int argc, char **argv) {
  TrainOptions o;
  for (int i = 2; i < argc; ++i) {
    Arg a(argc, argv, i);
    const std::string &flag = a.flag;
    auto v = [&] { return a.value(); };
    if (flag == "--help" || flag == "-h") {
      std::fputs(kTrainUsage, stdout);
      std::exit(0);
    } else if (flag == "--data") {
      o.data = v();
      o.haveData = true;
    } else if (flag == "--steps") {
      o.steps = parseCount(flag, v(), 1, int64_t(1) << 40);
      o.haveSteps = true;
    } else if (flag == "--stop-after")
      o.stopAfter = parseCount(flag, v(), 1, int64_t(1) << 40);
    else if (flag == "--seed") {
      o.seed = parseSeed(v());
      o.haveSeed = true;
    } else if (flag == "--weights")
      o.weights = v();
    else if (flag == "--resume")
      o.resume = v();
    else if (flag == "--init")
      o.init = v();
    else if (flag == "--map")
      o.map = v();
    else if (flag == "--lr") {
      o.lr = parseNumber(flag, v(), 0, 1e3);
      o.haveLr = true;
    } else if (flag == "--min-lr") {
      o.minLr = parseNumber(flag, v(), 0, 1e3);
      o.haveMinLr = true;
    } else if (flag == "--warmup") {
      o.warmup = parseCount(flag, v(), 0, int64_t(1) << 40);
      o.haveWarmup = true;
    } else if (flag == "--schedule") {
      o.schedule = v();
      o.haveSchedule = true;
      if (o.schedule != "cosine" && o.schedule != "linear" &&
          o.schedule != "constant")
        failWith("--schedule is cosine, linear or constant, got '" +
                 o.schedule + "'");
    } else if (flag == "--checkpoint")
      o.checkpoint = v();
    else if (flag == "--checkpoint-every")
      o.checkpointEvery = parseCount(flag, v(), 1, int64_t(1) << 40);
    else if (flag == "--log")
      o.log = v();
    else if (flag == "--plot")
      o.plot = v();
    else if (flag == "--overfit" && !a.hasInline)
      o.overfit = true;
    else if (flag == "--reset-optimizer" && !a.hasInline)
      o.resetOptimizer = true;
    else if (flag == "--vocab")
      o.vocab = parseCount(flag, v(), 2, int64_t(1) << 31);
    else if (flag == "--tokenizer")
      o.tokenizer = v();
    else if (flag == "--print-every")
      o.printEvery = parseCount(flag, v(), 1, int64_t(1) << 40);
    else if (flag == "--threads")
      o.threads = parseThreads(v());
    else if (flag == "--device")
      o.device = parseDevice(v());
    else if (flag == "--profile")
      o.profile = v();
    else if (flag == "--profile-steps")
      o.profileSteps = parseCount(flag, v(), 1, 1000);
    else if (flag == "--micro-batches")
      o.microBatches = parseCount(flag, v(), 1, int64_t(1) << 20);
    else if (flag == "--zero1" && !a.hasInline)
      o.zero1 = true;
    else if (flag == "--deterministic" && !a.hasInline)
      o.deterministic = true;
    else if (a.isOption())
      failWith("unknown option '" + a.arg + "' (loom train --help)");
    else if (o.artifact.empty())
      o.artifact = a.arg;
    else
      failWith("unexpected argument '" + a.arg + "'");
  }
  if (o.artifact.empty())
    failWith("loom train: missing ARTIFACT_DIR");
  if (o.steps == 0 && o.resume.empty())
    failWith("loom train: missing --steps N");
  if (o.resume.empty() && !o.haveData)
    failWith("loom train: missing --data SPEC");
  if (!o.resume.empty() + !o.weights.empty() + !o.init.empty() > 1)
    failWith("--resume, --weights and --init exclude each other");
  if (!o.map.empty() && o.init.empty())
    failWith("--map applies to --init CHECKPOINT");
  if (o.resetOptimizer && o.resume.empty())
    failWith("--reset-optimizer only applies to --resume (--weights always "
             "starts a fresh optimizer)");
  if (o.checkpointEvery > 0 && o.checkpoint.empty())
    failWith("--checkpoint-every needs --checkpoint FILE");
  if (!o.log.empty() && !(o.log.size() > 4 && (o.log.substr(o.log.size() - 4) == ".csv")) &&
      !(o.log.size() > 6 && o.log.substr(o.log.size() - 6) == ".jsonl"))
    failWith("--log wants a FILE.csv or FILE.jsonl, got '" + o.log + "'");
  return o;
}

/// The learning rate of step S (0-based) of N: linear warmup from lr/W to
/// lr over W steps, then cosine or linear decay to min_lr at step N-1.
double scheduledLr(const TrainOptions &o, int64_t s) {
  if (s < o.warmup)
    return o.lr * double(s + 1) / double(o.warmup);
  if (o.schedule == "constant")
    return o.lr;
  int64_t span = o.steps - o.warmup - 1;
  double p = span <= 0 ? 1.0 : double(s - o.warmup) / double(span);
  p = std::min(1.0, std::max(0.0, p));
  double minLr = o.minLr;
  if (o.schedule == "linear")
    return o.lr - (o.lr - minLr) * p;
  return minLr + 0.5 * (o.lr - minLr) * (1.0 + std::cos(M_PI * p));
}

std::string metadata(const char *path, const char *key) {
  const char *value = nullptr;
  check(loom_read_metadata(path, key, &value));
  return value;
}

std::string formatDuration(double s) {
  if (!std::isfinite(s) || s < 0)
    return "?";
  long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  return buf;
}

void findTensor(const loom_artifact *a, const char *name, loom_tensor_info &t) {
  for (size_t i = 0; i < loom_artifact_num_inputs(a); ++i) {
    check(loom_artifact_input(a, i, &t));
    if (!std::strcmp(t.name, name))
      return;
  }
  failWith(std::string("the artifact has no input '") + name +
           "' (compile it with `loomc --train`)");
}

void setScalar(loom_session *s, const char *name, float v) {
  check(loom_set_input(s, name, LOOM_DTYPE_F32, nullptr, 0, &v, sizeof v));
}

float scalarOutput(loom_session *s, const char *fn, const char *name) {
  loom_tensor_info info;
  const void *data;
  check(loom_get_output(s, fn, name, &info, &data));
  float v;
  std::memcpy(&v, data, sizeof v);
  return v;
}

/// Keeps the header and the records of steps <= LAST of a CSV or JSONL log
/// (a missing log is fine: it is started afresh).
void truncateLog(const std::string &path, bool csv, int64_t last) {
  std::ifstream in(path);
  if (!in)
    return;
  std::string kept, line;
  bool header = csv;
  while (std::getline(in, line)) {
    if (header) {
      kept += line + "\n";
      header = false;
      continue;
    }
    const char *p = line.c_str();
    if (!csv) {
      p = std::strstr(p, "\"step\":");
      if (!p)
        continue;
      p += 7;
    }
    long long step = std::strtoll(p, nullptr, 10);
    if (step >= 1 && step <= last)
      kept += line + "\n";
  }
  in.close();
  std::ofstream out(path, std::ios::trunc);
  out << kept;
  if (!out)
    failWith("cannot rewrite log '" + path + "'");
}

} // namespace

namespace {

/// A resumed run continues the checkpoint's step, seed, data, schedule and
/// loss history; flags given again must agree with it.
void resumeFrom(TrainOptions &o, int64_t &start, std::vector<double> &history) {
  const char *p = o.resume.c_str();
  start = parseCount("checkpoint step", metadata(p, "loom.step"), 0,
                     int64_t(1) << 40);
  uint64_t seed = parseSeed(metadata(p, "loom.seed"));
  if (o.haveSeed && seed != o.seed)
    failWith("--seed " + std::to_string(o.seed) + " differs from the seed " +
             std::to_string(seed) + " of '" + o.resume + "'");
  o.seed = seed;
  std::string data = metadata(p, "loom.data");
  // The tokenizer of a run that named one carries over (a checkpoint from
  // before --tokenizer has no such key).
  if (const char *tok = nullptr;
      o.tokenizer.empty() && loom_read_metadata(p, "loom.tokenizer", &tok) == LOOM_OK)
    o.tokenizer = tok;
  if (o.haveData && data != o.data)
    failWith("--data " + o.data + " differs from the data '" + data +
             "' of '" + o.resume + "'");
  o.data = data;
  if (!o.haveLr)
    o.lr = std::strtod(metadata(p, "loom.lr").c_str(), nullptr);
  if (!o.haveMinLr)
    o.minLr = std::strtod(metadata(p, "loom.min_lr").c_str(), nullptr);
  if (!o.haveWarmup)
    o.warmup = std::strtoll(metadata(p, "loom.warmup").c_str(), nullptr, 10);
  if (!o.haveSchedule)
    o.schedule = metadata(p, "loom.schedule");
  if (!o.haveSteps)
    o.steps = parseCount("checkpoint steps", metadata(p, "loom.steps"), 1,
                         int64_t(1) << 40);
  o.overfit = o.overfit || metadata(p, "loom.overfit") == "1";
  // Data-parallel runs record K (it fixes which rows make a step) and
  // continue data-parallel, so the update stays the split step's.
  int64_t k = 1;
  bool split = false;
  if (const char *v = nullptr; loom_read_metadata(p, "loom.micro_batches", &v) == LOOM_OK) {
    k = parseCount("checkpoint micro_batches", v, 1, int64_t(1) << 20);
    split = true;
  }
  if (o.microBatches > 0 && o.microBatches != k)
    failWith("--micro-batches " + std::to_string(o.microBatches) +
             " differs from the " + std::to_string(k) + " of '" + o.resume +
             "' (a step's batches would change)");
  if (split)
    o.microBatches = k;
  o.resumedMicroBatches = k;
  std::stringstream ss(metadata(p, "loom.losses"));
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty())
      history.push_back(std::strtod(item.c_str(), nullptr));
  if (history.size() != static_cast<size_t>(start))
    failWith("checkpoint '" + o.resume + "' is inconsistent: step " +
             std::to_string(start) + " but " + std::to_string(history.size()) +
             " recorded losses");
  if (start >= o.steps)
    failWith("checkpoint '" + o.resume + "' is at step " +
             std::to_string(start) + "; --steps " + std::to_string(o.steps) +
             " leaves nothing to do");
}

/// The rank of a data-parallel job, for the signal handler's message.
volatile std::sig_atomic_t signalRank = -1;

/// mpirun ends the other ranks with SIGTERM when one dies: say so (with
/// async-signal-safe calls only) instead of vanishing silently.
extern "C" void onTerminate(int sig) {
  char msg[200] = "loom train: rank ";
  size_t n = std::strlen(msg);
  int r = signalRank;
  char digits[12];
  int d = 0;
  do {
    digits[d++] = char('0' + r % 10);
    r /= 10;
  } while (r > 0 && d < 11);
  while (d > 0)
    msg[n++] = digits[--d];
  const char tail[] = ": terminated (another rank of the job failed or was killed; "
                      "the last checkpoint written is intact)\n";
  std::memcpy(msg + n, tail, std::min(sizeof tail, sizeof msg - n - 1));
  n += std::min(sizeof tail - 1, sizeof msg - n - 1);
  ssize_t ignored = ::write(2, msg, n);
  (void)ignored;
  std::signal(sig, SIG_DFL);
  ::raise(sig);
}

/// One `loom train` run: the session, its data, the log, and the loop.
class Trainer {
public:
  explicit Trainer(TrainOptions &o) : o(o) {}

  void run() {
    if (!o.resume.empty())
      resumeFrom(o, start, history);
    if (o.minLr < 0)
      o.minLr = o.lr / 10;
    if (o.stopAfter > 0 && o.stopAfter <= start)
      failWith("--stop-after " + std::to_string(o.stopAfter) +
               ": the run is already at step " + std::to_string(start));
    if (o.stopAfter > 0 && o.checkpoint.empty())
      failWith("--stop-after needs --checkpoint FILE (to resume from)");
    end = o.stopAfter > 0 ? std::min(o.stopAfter, o.steps) : o.steps;
    openSession();
    openData();
    if (leader())
      openLog();
    if (dp && dp->comm().size() > 1)
      std::fprintf(stderr, "loom train: rank %d of %d on %s, pid %d\n", dp->comm().rank(),
                   dp->comm().size(), dp->comm().host().c_str(), int(::getpid()));
    if (leader()) {
      std::fprintf(stderr,
                   "loom train: %s\n  data: %s\n  steps %lld..%lld, lr %g (%s, warmup "
                   "%lld, min %g), seed %llu%s\n",
                   o.artifact.c_str(), source->describe().c_str(), (long long)start + 1,
                   (long long)o.steps, o.lr, o.schedule.c_str(), (long long)o.warmup,
                   o.minLr, (unsigned long long)o.seed,
                   o.overfit ? ", overfitting the first batch" : "");
      if (dp)
        std::fprintf(stderr, "  %s\n", dp->describe().c_str());
    }
    begin = std::chrono::steady_clock::now();
    if (!o.profile.empty() && leader()) {
      trace = std::make_unique<loom::tools::TraceRecorder>(
          o.artifact, h.artifact, loom_session_threads(h.session));
      // The first step pays for page faults and cold caches.
      profileFrom = end - start > 1 ? start + 1 : start;
    }
    for (int64_t step = start; step < end; ++step)
      trainStep(step);
    if (log)
      std::fflush(log);
    if (trace) {
      trace->write(o.profile);
      std::fprintf(stderr, "loom train: wrote %s (%zu profiled step(s); `loom profile %s`)\n",
                   o.profile.c_str(), trace->calls(), o.profile.c_str());
    }
    if (!o.checkpoint.empty())
      saveCheckpoint(end);
    std::string memory = dp ? dp->memoryReport() : std::string();
    if (leader()) {
      summarize();
      if (dp)
        std::printf("%s\nmemory per rank:\n%s", dp->timeReport().c_str(), memory.c_str());
    }
  }

  /// Set for a data-parallel run (the error path aborts the job through it).
  DataParallel *dataParallel() const { return dp.get(); }

  ~Trainer() {
    if (log)
      std::fclose(log);
  }

private:
  void openSession() {
    openArtifact(o.artifact, o.device, &h.artifact);
    size_t numOutputs = 0;
    if (loom_artifact_num_outputs(h.artifact, "train_step", &numOutputs) != LOOM_OK)
      failWith("artifact '" + o.artifact +
               "' has no train_step: compile the model with `loomc --train`");
    check(loom_session_create(h.artifact, &h.session));
    if (o.threads > 0)
      check(loom_session_set_threads(h.session, o.threads));
    openDataParallel();
    if (!o.resume.empty()) {
      // Resuming continues the optimizer too (bit-exact); a checkpoint
      // without its state is refused unless the user asks for a fresh one.
      loom_status s = loom_load_weights(
          h.session, o.resume.c_str(), o.resetOptimizer ? 0 : LOOM_LOAD_REQUIRE_STATE);
      if (s != LOOM_OK && !o.resetOptimizer &&
          std::string(loom_last_error()).find("hold no optimizer state") != std::string::npos)
        failWith(std::string(loom_last_error()) +
                 "; to continue from its weights with a fresh optimizer, add "
                 "--reset-optimizer");
      check(s);
    }
    else if (!o.weights.empty())
      check(loom_load_weights(h.session, o.weights.c_str(), 0));
    else
      check(loom_init_params(h.session, o.seed));
    if (!o.init.empty()) {
      // Fine-tuning: a new head the checkpoint lacks keeps its seeded
      // initialization (reported), as `loom import-weights --allow-missing`.
      const char *report = nullptr;
      check(loom_import_weights(h.session, o.init.c_str(),
                                o.map.empty() ? nullptr : o.map.c_str(),
                                LOOM_LOAD_ALLOW_MISSING, &report));
      std::fprintf(stderr, "loom train: %s\n", report);
    }
  }

  /// The split step (train_dist.h) when the run is data-parallel: started
  /// by mpirun, or asked for by a flag, or resumed from such a run.
  void openDataParallel() {
    bool launched = loom::dist::Comm::launchedByMpi();
    if (!launched && o.microBatches == 0 && !o.zero1 && !o.deterministic)
      return;
    if (std::strcmp(loom_artifact_device(h.artifact), "cpu") != 0)
      failWith("data-parallel training (mpirun, --micro-batches, --zero1, "
               "--deterministic) runs on the CPU only for now; artifact '" +
               o.artifact + "' runs on " + loom_artifact_device(h.artifact));
    std::unique_ptr<loom::dist::Comm> comm = loom::dist::Comm::local();
    if (launched) {
      loom::rt::Status s =
          loom::dist::Comm::open(loom::dist::Comm::defaultMpiPlugin(), comm);
      if (!s.isOk())
        failWith(s.message());
      if (comm->size() > 1) {
        signalRank = comm->rank();
        std::signal(SIGTERM, onTerminate);
      }
    }
    // Ranks sharing a machine share its cores (unless told otherwise).
    const char *local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    if (o.threads == 0 && !std::getenv("LOOM_NUM_THREADS") && local) {
      long perHost = std::strtol(local, nullptr, 10);
      long hw = ::sysconf(_SC_NPROCESSORS_ONLN);
      if (perHost > 1 && hw > 0)
        check(loom_session_set_threads(h.session,
                                       static_cast<int32_t>(std::max(1L, hw / perHost))));
    }
    DataParallelOptions d;
    // A resumed run keeps its K (a single-process run's is 1).
    d.microBatches = o.microBatches > 0          ? o.microBatches
                     : o.resumedMicroBatches > 0 ? o.resumedMicroBatches
                                                 : comm->size();
    d.zero1 = o.zero1;
    d.deterministic = o.deterministic;
    o.microBatches = d.microBatches;
    dp = std::make_unique<DataParallel>(o.artifact, h.artifact, h.session, std::move(comm), d);
  }

  bool leader() const { return !dp || dp->leader(); }

  /// The token vocabulary the artifact accepts: the largest of its integer
  /// inputs' ranges that start at 0 (the token embedding's rows; class and
  /// segment ids are smaller), else 256 (bytes). The runtime still checks
  /// every input against its own range.
  static int64_t artifactVocab(const loom_artifact *a) {
    int64_t vocab = 0;
    for (size_t i = 0; i < loom_artifact_num_inputs(a); ++i) {
      int64_t lo, hi;
      if (loom_artifact_input_range(a, i, &lo, &hi, nullptr) == LOOM_OK && lo == 0)
        vocab = std::max(vocab, hi);
    }
    return vocab > 0 ? vocab : 256;
  }

  /// The data inputs: every input but the optimizer's scalars.
  void openData() {
    const loom_artifact *a = h.artifact;
    std::vector<loom::data::TensorSpec> specs;
    for (size_t i = 0; i < loom_artifact_num_inputs(a); ++i) {
      loom_tensor_info t;
      check(loom_artifact_input(a, i, &t));
      // The optimizer's scalars, and the gradients of the split step.
      if (std::strncmp(t.name, "optim.", 6) == 0 || std::strncmp(t.name, "grad.", 5) == 0)
        continue;
      specs.push_back({t.name, t.dtype, std::vector<int64_t>(t.shape, t.shape + t.rank)});
    }
    loom_tensor_info scalar;
    findTensor(a, "optim.lr", scalar);
    findTensor(a, "optim.step", scalar);
    std::string err;
    loom::data::DataOptions dopt;
    dopt.vocab = o.vocab > 0 ? o.vocab : artifactVocab(a);
    if (!o.tokenizer.empty()) {
      std::unique_ptr<loom::tok::Tokenizer> t;
      loom::rt::Status st = loom::tok::openTokenizer(o.tokenizer, t);
      if (!st.isOk())
        failWith("--tokenizer: " + st.message());
      if (static_cast<int64_t>(t->vocabSize()) != dopt.vocab)
        failWith("--tokenizer " + o.tokenizer + " has " + std::to_string(t->vocabSize()) +
                 " tokens, the model's vocabulary " + std::to_string(dopt.vocab));
      if (o.data.rfind("text:", 0) == 0 ||
          (o.data.find(':') == std::string::npos &&
           o.data.size() > 0 && o.data.rfind(".npy") != o.data.size() - 4))
        failWith("--data " + o.data + " is text, read byte by byte: encode it with the "
                 "tokenizer first (loom tokenizer encode " + o.tokenizer +
                 " --input FILE -o ids.npy) and train on --data tokens:ids.npy");
      // Checkpoints name it by absolute path (generate finds it there).
      std::error_code ec;
      std::filesystem::path abs = std::filesystem::absolute(o.tokenizer, ec);
      if (!ec)
        o.tokenizer = abs.lexically_normal().string();
    }
    rowsPerBatch = specs.empty() || specs[0].shape.empty()
                       ? 1
                       : static_cast<uint64_t>(specs[0].shape[0]);
    source = loom::data::makeDataSource(o.data, specs, o.seed, err, dopt);
    if (!source)
      failWith("--data " + o.data + ": " + err);
  }

  void openLog() {
    if (o.log.empty())
      return;
    csv = o.log.substr(o.log.size() - 4) == ".csv";
    // A resumed run continues its log: records past the checkpoint's step
    // (written before an interruption) are dropped, so every step appears
    // once.
    if (start > 0)
      truncateLog(o.log, csv, start);
    log = std::fopen(o.log.c_str(), start > 0 ? "a" : "w");
    if (!log)
      failWith("cannot write log '" + o.log + "': " + std::strerror(errno));
    if (csv && start == 0)
      std::fprintf(log, "step,loss,grad_norm,lr,seconds,%s_per_s\n", source->unit());
  }

  /// Rows FIRST_ROW.. of step STEP's data into the session's data inputs.
  void feed(uint64_t step, uint64_t firstRow = 0) {
    source->batchRows(step, firstRow, batch);
    for (const loom::data::Tensor &t : batch.tensors)
      check(loom_set_input(h.session, t.name.c_str(), t.dtype, t.shape.data(),
                           static_cast<int32_t>(t.shape.size()), t.bytes.data(),
                           t.bytes.size()));
  }

  void trainStep(int64_t step) {
    loom_session *s = h.session;
    auto t0 = std::chrono::steady_clock::now();
    double lr = scheduledLr(o, step);
    bool profiled = trace && step >= profileFrom && step < profileFrom + o.profileSteps;
    if (profiled)
      check(loom_session_set_profiling(s, 1));
    float loss, gnorm;
    if (dp) {
      dp->step(step, static_cast<float>(lr), o.overfit,
               [this](uint64_t at, uint64_t j) { feed(at, j * rowsPerBatch); }, loss,
               gnorm);
    } else {
      feed(o.overfit ? 0 : static_cast<uint64_t>(step));
      setScalar(s, "optim.lr", static_cast<float>(lr));
      setScalar(s, "optim.step", static_cast<float>(step + 1));
      check(loom_run(s, "train_step"));
      loss = scalarOutput(s, "train_step", "loss");
      gnorm = scalarOutput(s, "train_step", "optim.grad_norm");
    }
    if (profiled) {
      trace->collect(s, step + 1);
      check(loom_session_set_profiling(s, 0));
    }
    auto t1 = std::chrono::steady_clock::now();
    double dt = std::chrono::duration<double>(t1 - t0).count();
    stepSeconds += dt;
    double rate = double(unitsPerStep()) / dt;
    rates.push_back(rate);
    history.push_back(loss);
    if (!std::isfinite(loss))
      failWith("step " + std::to_string(step + 1) + ": the loss is " + fmt(loss) +
               " (lower --lr, or --clip-norm when compiling)");
    double elapsed = std::chrono::duration<double>(t1 - begin).count();
    bool last = step + 1 == end;
    if (leader()) {
      writeLogRecord(step, loss, gnorm, lr, elapsed, rate);
      printProgress(step, loss, gnorm, lr, rate, last);
    }
    if (o.checkpointEvery > 0 && (step + 1) % o.checkpointEvery == 0 && !last)
      saveCheckpoint(step + 1);
  }

  /// Units (tokens, images) of one optimizer step.
  int64_t unitsPerStep() const {
    return int64_t(source->unitsPerBatch()) * (dp ? dp->microBatches() : 1);
  }

  void writeLogRecord(int64_t step, float loss, float gnorm, double lr,
                      double elapsed, double rate) {
    if (!log)
      return;
    if (csv)
      std::fprintf(log, "%lld,%s,%s,%s,%.6f,%.1f\n", (long long)step + 1,
                   fmt(loss).c_str(), fmt(gnorm).c_str(), fmt(lr).c_str(), elapsed, rate);
    else
      std::fprintf(log,
                   "{\"step\": %lld, \"loss\": %s, \"grad_norm\": %s, \"lr\": %s, "
                   "\"seconds\": %.6f, \"%s_per_s\": %.1f}\n",
                   (long long)step + 1, fmt(loss).c_str(), fmt(gnorm).c_str(),
                   fmt(lr).c_str(), elapsed, source->unit(), rate);
  }

  void printProgress(int64_t step, float loss, float gnorm, double lr,
                     double rate, bool last) {
    bool tty = ::isatty(2);
    int64_t printEvery =
        o.printEvery > 0 ? o.printEvery : std::max<int64_t>(1, (o.steps - start) / 20);
    if (!(tty || (step + 1) % printEvery == 0 || last || step == start))
      return;
    int64_t done = step + 1 - start, left = o.steps - step - 1;
    double eta = stepSeconds / double(done) * double(left);
    int width = 24, filled = static_cast<int>(width * double(step + 1) / double(o.steps));
    std::string bar(filled, '#');
    bar += std::string(width - filled, '.');
    std::fprintf(stderr, "%s[%s] step %lld/%lld  loss %.4f  |g| %.3g  lr %.2e  %.0f %s/s  ETA %s%s",
                 tty ? "\r" : "", bar.c_str(), (long long)step + 1, (long long)o.steps, loss,
                 gnorm, lr, rate, source->unit(), formatDuration(eta).c_str(),
                 tty && !last ? "" : "\n");
    std::fflush(stderr);
  }

  void saveCheckpoint(int64_t step) {
    std::string losses;
    for (size_t i = 0; i < history.size(); ++i)
      losses += (i ? "," : "") + fmt(history[i]);
    std::vector<std::string> keys = {"loom.step",  "loom.seed",     "loom.data",
                                     "loom.lr",    "loom.min_lr",   "loom.warmup",
                                     "loom.schedule", "loom.overfit", "loom.losses",
                                     "loom.steps"};
    std::vector<std::string> values = {std::to_string(step), std::to_string(o.seed),
                                       o.data, fmt(o.lr, "%.17g"), fmt(o.minLr, "%.17g"),
                                       std::to_string(o.warmup), o.schedule,
                                       o.overfit ? "1" : "0", losses,
                                       std::to_string(o.steps)};
    if (!o.tokenizer.empty()) {
      keys.push_back("loom.tokenizer");
      values.push_back(o.tokenizer);
    }
    if (dp) {
      keys.push_back("loom.micro_batches");
      values.push_back(std::to_string(dp->microBatches()));
    }
    std::vector<const char *> k, v;
    for (size_t i = 0; i < keys.size(); ++i) {
      k.push_back(keys[i].c_str());
      v.push_back(values[i].c_str());
    }
    if (dp)
      dp->saveCheckpoint(o.checkpoint, k, v);
    else
      check(loom_save_checkpoint(h.session, o.checkpoint.c_str(), k.data(), v.data(),
                                 k.size()));
  }

  /// The closing lines: losses, throughput, checkpoint, loss curve.
  void summarize() {
    std::vector<double> sorted = rates;
    std::sort(sorted.begin(), sorted.end());
    double median = sorted[sorted.size() / 2];
    // Mean of the first and last tenth of the history (at least one step).
    size_t k = std::max<size_t>(1, history.size() / 10);
    double first = 0, lastMean = 0;
    for (size_t i = 0; i < k; ++i) {
      first += history[i] / double(k);
      lastMean += history[history.size() - 1 - i] / double(k);
    }
    std::printf("trained %lld steps in %.1f s: loss %.4f -> %.4f (mean of the first and last %zu: %.4f -> %.4f), median %.0f %s/s (%.1f ms/step)\n",
                (long long)(end - start), stepSeconds, history.front(), history.back(),
                k, first, lastMean, median, source->unit(),
                1e3 * double(unitsPerStep()) / median);
    if (!o.checkpoint.empty())
      std::printf("checkpoint: %s (step %lld of %lld)\n", o.checkpoint.c_str(),
                  (long long)end, (long long)o.steps);
    if (!o.plot.empty()) {
      std::vector<double> xs;
      for (size_t i = 0; i < history.size(); ++i)
        xs.push_back(double(i + 1));
      std::string title = std::string(loom_artifact_model(h.artifact)) + ": training loss";
      std::string err;
      if (!loom::data::writeLossCurveSvg(o.plot, title, xs, history, err))
        failWith("--plot " + o.plot + ": " + err);
      std::printf("loss curve: %s\n", o.plot.c_str());
    }
  }

  TrainOptions &o;
  Handles h;
  std::unique_ptr<loom::data::DataSource> source;
  std::FILE *log = nullptr;
  bool csv = false;
  int64_t start = 0, end = 0;
  std::vector<double> history, rates;
  loom::data::Batch batch;
  std::chrono::steady_clock::time_point begin;
  double stepSeconds = 0;
  std::unique_ptr<loom::tools::TraceRecorder> trace; // --profile
  int64_t profileFrom = 0;
  std::unique_ptr<DataParallel> dp; // data-parallel runs
  uint64_t rowsPerBatch = 1;         // B of the data inputs
};

} // namespace

int loom::cli::commandTrain(int argc, char **argv) {
  TrainOptions o = parseTrain(argc, argv);
  Trainer trainer(o);
  try {
    trainer.run();
  } catch (const Failure &f) {
    DataParallel *dp = trainer.dataParallel();
    if (!dp || dp->comm().size() == 1)
      throw;
    // The other ranks wait in a collective: end the whole job now.
    std::fprintf(stderr, "loom: error: rank %d (%s): %s\n", dp->comm().rank(),
                 dp->comm().host().c_str(), f.message.c_str());
    dp->comm().abort(1);
  }
  return 0;
}
