//===- loom/formats/npy.h - NumPy .npy reader and writer ------------------===//
//
// Part of loom_formats. Format 1.0/2.0/3.0: "\x93NUMPY", major, minor,
// header length (2 bytes in 1.0, 4 after), then a Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and ended by '\n', then the data. loom reads and writes
// the little-endian, C-order arrays of its dtypes: '<f4' f32, '<f2' f16,
// '<i4' i32, '<i8' i64, '|b1' i1. bf16 has no .npy spelling.
//
// The reader bounds-checks everything: the header length against the file,
// each dim and the element count against overflow, and the data size
// against exactly what dtype and shape need. Self-contained (status.h,
// dtype.h, io.*): test/fuzz/fuzz_npy.cpp builds from npy.cpp and io.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_FORMATS_NPY_H
#define LOOM_FORMATS_NPY_H

#include "loom/formats/status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace loom::rt {

struct NpyArray {
  loom_dtype dtype = LOOM_DTYPE_F32;
  std::vector<int64_t> shape;
  std::string data; // numel * dtype size bytes, C order
};

/// The descr of a loom dtype ('<f4'); nullptr for bf16.
const char *npyDescr(loom_dtype t);

/// Parses a whole .npy file held in memory; FILENAME names it in messages.
/// Errors are LOOM_ERR_FORMAT.
Status parseNpy(const uint8_t *bytes, size_t size, const std::string &fileName,
                NpyArray &out);
Status readNpy(const std::string &path, NpyArray &out);

/// The file for an array (version 1.0, or 2.0 if the header needs it).
Status serializeNpy(loom_dtype dtype, const std::vector<int64_t> &shape,
                    const void *data, size_t nbytes, std::string &out);
/// Writes it atomically (writeFileAtomic).
Status writeNpy(const std::string &path, loom_dtype dtype,
                const std::vector<int64_t> &shape, const void *data,
                size_t nbytes);

} // namespace loom::rt

#endif // LOOM_FORMATS_NPY_H
