//===- loom/formats/io.h - reading and atomically writing files -----------===//
//
// Part of loom_formats. Whole-file reads and maps of regular files (a
// directory is an error naming it), and atomic writes, so a reader of a
// checkpoint or an .npy never sees half a file. The parsers take (bytes,
// size) and check every offset against size.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_FORMATS_IO_H
#define LOOM_FORMATS_IO_H

#include "loom/formats/status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace loom::rt {

/// A read-only private mapping of a whole regular file. Checkpoints are
/// mapped rather than read so that loading one does not hold it twice in
/// memory. (If another process truncates the file while it is mapped, reads
/// past the new end fault; the runtime does not guard against that.)
class MappedFile {
public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  /// Maps PATH; fails (LOOM_ERR_IO) for a missing, unreadable or non-regular
  /// file. An empty file maps to size() == 0 and a null data().
  Status open(const std::string &path);

  const uint8_t *data() const { return data_; }
  size_t size() const { return size_; }

private:
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
  void *mapping_ = nullptr;
};

/// Reads a whole regular file (manifests, .npy inputs).
Status readFile(const std::string &path, std::string &out);

/// One contiguous piece of a file to write.
struct ByteRange {
  const void *data;
  size_t size;
};

/// Writes the concatenation of PIECES to PATH atomically: a temporary file in
/// PATH's directory is written, fsynced and renamed over PATH, then the
/// directory is fsynced. A reader sees the old file or the new one, never a
/// partial one, and a crash leaves at worst a stray PATH.tmp.XXXXXX, which
/// the next successful write of PATH removes. Pieces let a checkpoint be
/// written straight from parameter storage.
Status writeFileAtomic(const std::string &path,
                       const std::vector<ByteRange> &pieces);

/// strerror(errno) as a std::string.
std::string errnoMessage(int err);

} // namespace loom::rt

#endif // LOOM_FORMATS_IO_H
