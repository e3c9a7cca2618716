//===- tasks_image.h - 8-bit image files for the task commands --------------===//
//
// PNG (libpng) and binary PPM/PGM (P6/P5, read by hand) in, PNG out, and the
// conversion between an image and the [C, H, W] pixels of a model input.
// Pixel values never pass through a resize or a colour transform: the bytes
// of the file are the bytes the model sees, mapped by a PixelScale
// (runtime/data's, so that what `loom sample` writes reads back as the
// generator's tensor). Nothing here throws or exits: failures return false
// and a message naming the file.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TOOLS_TASKS_IMAGE_H
#define LOOM_TOOLS_TASKS_IMAGE_H

#include <cstdint>
#include <string>
#include <vector>

namespace loom::cli::tasks {

/// An 8-bit image, rows top to bottom, channels interleaved: 1 (gray), 2
/// (gray + alpha), 3 (RGB) or 4 (RGBA).
struct Image {
  int64_t width = 0, height = 0, channels = 0;
  std::vector<uint8_t> samples; // height * width * channels

  uint8_t at(int64_t y, int64_t x, int64_t c) const {
    return samples[static_cast<size_t>((y * width + x) * channels + c)];
  }
};

/// Images larger than this many samples (width * height * channels) are
/// refused before anything is allocated (a corrupt header cannot ask for
/// gigabytes).
constexpr int64_t kMaxImageSamples = int64_t(1) << 28;

/// Decodes BYTES, a PNG (any bit depth or colour type: palettes and gray
/// below 8 bits are expanded, 16-bit samples rounded to 8 bits, a tRNS
/// chunk becomes an alpha channel; gamma and colour chunks are ignored) or a
/// binary PNM: P6 (RGB) or P5 (gray), maxval 1..65535, scaled to 0..255
/// when not 255, '#' comments in the header. NAME (a path) starts every
/// error message.
bool decodeImage(const std::string &bytes, const std::string &name, Image &out,
                 std::string &err);

/// Reads and decodes the file PATH.
bool readImage(const std::string &path, Image &out, std::string &err);

/// Encodes IMG (1 to 4 channels) as an 8-bit PNG.
bool encodePng(const Image &img, std::string &out, std::string &err);

/// Writes IMG as a PNG file, atomically.
bool writePng(const std::string &path, const Image &img, std::string &err);

/// "32x32 RGB", "28x28 gray", "16x8 RGBA".
std::string describeImage(int64_t width, int64_t height, int64_t channels);

/// Fills DST, [C, H, W] f32, from IMG with pixel = (u / 255 - mean) / std.
/// The image must be W x H with C channels (1: gray, 3: RGB); an alpha
/// channel is accepted when every pixel is opaque, and dropped. No resize,
/// no channel conversion: a mismatch fails with a message naming NAME, its
/// size and the size the model takes.
bool imageToPixels(const Image &img, const std::string &name, int64_t C, int64_t H,
                   int64_t W, float mean, float std, float *dst, std::string &err);

/// The inverse of imageToPixels for an H x W image with C (1 or 3) channels:
/// u = round((pixel * std + mean) * 255), clamped to 0..255.
Image pixelsToImage(const float *src, int64_t C, int64_t H, int64_t W, float mean,
                    float std);

} // namespace loom::cli::tasks

#endif // LOOM_TOOLS_TASKS_IMAGE_H
