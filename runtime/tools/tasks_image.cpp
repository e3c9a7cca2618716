//===- tasks_image.cpp - PNG and PNM images for the task commands -----------===//
#include "tasks_image.h"

#include "loom/formats/io.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace loom::cli::tasks {
namespace {

// ---- PNG (libpng) -----------------------------------------------------------

/// The in-memory source of a read and the message of its failure.
struct PngSource {
  const uint8_t *data;
  size_t size, pos;
  char message[256];
};

void pngFail(png_structp png, png_const_charp msg) {
  auto *src = static_cast<PngSource *>(png_get_error_ptr(png));
  if (msg != src->message)
    std::snprintf(src->message, sizeof src->message, "%s", msg);
  png_longjmp(png, 1);
}

void pngIgnoreWarning(png_structp, png_const_charp) {}

void pngRead(png_structp png, png_bytep out, size_t n) {
  auto *src = static_cast<PngSource *>(png_get_io_ptr(png));
  if (n > src->size - src->pos)
    png_error(png, "the file is truncated");
  std::memcpy(out, src->data + src->pos, n);
  src->pos += n;
}

/// Decodes SRC into a malloc'ed buffer of 8-bit samples. libpng reports
/// errors by longjmp, so this frame holds nothing with a destructor.
bool decodePngRaw(PngSource *src, uint8_t **pixels, uint32_t *width, uint32_t *height,
                  int *channels) {
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, src, pngFail, pngIgnoreWarning);
  if (!png) {
    std::snprintf(src->message, sizeof src->message, "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    std::snprintf(src->message, sizeof src->message, "out of memory");
    png_destroy_read_struct(&png, nullptr, nullptr);
    return false;
  }
  uint8_t *volatile buffer = nullptr;
  if (setjmp(png_jmpbuf(png))) {
    std::free(buffer);
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, src, pngRead);
  png_set_user_limits(png, 1u << 20, 1u << 20);
  png_read_info(png, info);
  png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  // Palettes and gray below 8 bits become 8-bit samples, tRNS an alpha
  // channel, 16-bit samples round to 8 bits; no gamma or colour transform.
  png_set_expand(png);
  if (png_get_bit_depth(png, info) == 16)
    png_set_scale_16(png);
  int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  int ch = png_get_channels(png, info);
  size_t rowBytes = png_get_rowbytes(png, info);
  if (uint64_t(w) * h * static_cast<uint64_t>(ch) > uint64_t(kMaxImageSamples)) {
    std::snprintf(src->message, sizeof src->message,
                  "the image is too large (%lux%lu, %d channels)", (unsigned long)w,
                  (unsigned long)h, ch);
    png_error(png, src->message);
  }
  if (rowBytes != size_t(w) * static_cast<size_t>(ch))
    png_error(png, "unexpected row layout after expansion");
  buffer = static_cast<uint8_t *>(std::malloc(rowBytes * h + 1));
  if (!buffer)
    png_error(png, "out of memory");
  for (int p = 0; p < passes; ++p)
    for (png_uint_32 y = 0; y < h; ++y)
      png_read_row(png, buffer + size_t(y) * rowBytes, nullptr);
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  *pixels = buffer;
  *width = w;
  *height = h;
  *channels = ch;
  return true;
}

bool decodePng(const std::string &bytes, const std::string &name, Image &out,
               std::string &err) {
  PngSource src{reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(), 0, {0}};
  uint8_t *pixels = nullptr;
  uint32_t w = 0, h = 0;
  int ch = 0;
  if (!decodePngRaw(&src, &pixels, &w, &h, &ch)) {
    err = "'" + name + "': invalid PNG: " + src.message;
    return false;
  }
  out.width = w;
  out.height = h;
  out.channels = ch;
  out.samples.assign(pixels, pixels + size_t(w) * h * static_cast<size_t>(ch));
  std::free(pixels);
  return true;
}

// ---- binary PNM (P5, P6) ----------------------------------------------------

/// Reads the next header integer at POS: skips whitespace and '#' comments,
/// then digits. False when there is none or it exceeds 2^31.
bool pnmInteger(const std::string &b, size_t &pos, int64_t &v) {
  for (;;) {
    while (pos < b.size() && std::strchr(" \t\r\n\v\f", b[pos]) && b[pos])
      ++pos;
    if (pos < b.size() && b[pos] == '#') {
      while (pos < b.size() && b[pos] != '\n' && b[pos] != '\r')
        ++pos;
      continue;
    }
    break;
  }
  if (pos >= b.size() || b[pos] < '0' || b[pos] > '9')
    return false;
  v = 0;
  while (pos < b.size() && b[pos] >= '0' && b[pos] <= '9') {
    v = v * 10 + (b[pos++] - '0');
    if (v > (int64_t(1) << 31))
      return false;
  }
  return true;
}

bool decodePnm(const std::string &b, const std::string &name, Image &out,
               std::string &err) {
  int64_t channels = b[1] == '6' ? 3 : 1;
  const char *what = channels == 3 ? "PPM (P6)" : "PGM (P5)";
  size_t pos = 2;
  int64_t w = 0, h = 0, maxval = 0;
  auto bad = [&](const std::string &why) {
    err = "'" + name + "': invalid " + what + ": " + why;
    return false;
  };
  if (!pnmInteger(b, pos, w) || !pnmInteger(b, pos, h) || !pnmInteger(b, pos, maxval))
    return bad("the header (width, height, maxval) is malformed or truncated");
  if (w <= 0 || h <= 0)
    return bad("the size is " + std::to_string(w) + "x" + std::to_string(h));
  if (maxval < 1 || maxval > 65535)
    return bad("maxval " + std::to_string(maxval) + " is outside 1..65535");
  if (w * h > kMaxImageSamples / channels)
    return bad("the image is too large (" + describeImage(w, h, channels) + ")");
  // Exactly one whitespace byte separates the header from the samples.
  if (pos >= b.size() || !std::strchr(" \t\r\n\v\f", b[pos]) || !b[pos])
    return bad("no whitespace after maxval");
  ++pos;
  int64_t bytesPerSample = maxval > 255 ? 2 : 1;
  uint64_t need = uint64_t(w * h * channels * bytesPerSample);
  if (b.size() - pos < need)
    return bad("the pixel data is truncated: " + std::to_string(need) +
               " bytes expected, " + std::to_string(b.size() - pos) + " present");
  out.width = w;
  out.height = h;
  out.channels = channels;
  out.samples.resize(static_cast<size_t>(w * h * channels));
  const auto *p = reinterpret_cast<const uint8_t *>(b.data()) + pos;
  for (size_t i = 0; i < out.samples.size(); ++i) {
    uint32_t v = bytesPerSample == 2 ? (uint32_t(p[2 * i]) << 8) | p[2 * i + 1] : p[i];
    if (v > uint32_t(maxval))
      return bad("sample " + std::to_string(i) + " is " + std::to_string(v) +
                 ", above maxval " + std::to_string(maxval));
    out.samples[i] =
        static_cast<uint8_t>(maxval == 255 ? v
                                           : (uint64_t(v) * 255 * 2 + uint64_t(maxval)) /
                                                 (2 * uint64_t(maxval)));
  }
  return true;
}

} // namespace

std::string describeImage(int64_t width, int64_t height, int64_t channels) {
  std::string kind = channels == 1   ? "gray"
                     : channels == 2 ? "gray+alpha"
                     : channels == 3 ? "RGB"
                     : channels == 4 ? "RGBA"
                                     : std::to_string(channels) + "-channel";
  return std::to_string(width) + "x" + std::to_string(height) + " " + kind;
}

bool decodeImage(const std::string &bytes, const std::string &name, Image &out,
                 std::string &err) {
  static const char kPngMagic[8] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n'};
  out = Image();
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPngMagic, 8) == 0)
    return decodePng(bytes, name, out, err);
  if (bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '6'))
    return decodePnm(bytes, name, out, err);
  if (bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '4') {
    err = "'" + name + "': ASCII or 1-bit PNM (P" + bytes[1] +
          ") is not supported; convert it to PNG or binary PPM (P6)";
    return false;
  }
  err = "'" + name + "' is not a PNG or binary PPM/PGM file" +
        (bytes.empty() ? " (it is empty)" : "");
  return false;
}

bool readImage(const std::string &path, Image &out, std::string &err) {
  std::string bytes;
  rt::Status s = rt::readFile(path, bytes);
  if (!s.isOk()) {
    err = s.message();
    return false;
  }
  return decodeImage(bytes, path, out, err);
}

bool encodePng(const Image &img, std::string &out, std::string &err) {
  static const png_uint_32 kFormats[4] = {PNG_FORMAT_GRAY, PNG_FORMAT_GA, PNG_FORMAT_RGB,
                                          PNG_FORMAT_RGBA};
  if (img.channels < 1 || img.channels > 4 || img.width <= 0 || img.height <= 0 ||
      img.width > (1 << 20) || img.height > (1 << 20) ||
      img.samples.size() != size_t(img.width * img.height * img.channels)) {
    err = "cannot encode a " + describeImage(img.width, img.height, img.channels) +
          " image of " + std::to_string(img.samples.size()) + " samples as PNG";
    return false;
  }
  png_image im;
  std::memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  im.width = static_cast<png_uint_32>(img.width);
  im.height = static_cast<png_uint_32>(img.height);
  im.format = kFormats[img.channels - 1];
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&im, nullptr, &size, 0, img.samples.data(), 0,
                                 nullptr)) {
    err = std::string("PNG encoding failed: ") + im.message;
    png_image_free(&im);
    return false;
  }
  out.resize(size);
  if (!png_image_write_to_memory(&im, &out[0], &size, 0, img.samples.data(), 0,
                                 nullptr)) {
    err = std::string("PNG encoding failed: ") + im.message;
    png_image_free(&im);
    return false;
  }
  out.resize(size);
  png_image_free(&im);
  return true;
}

bool writePng(const std::string &path, const Image &img, std::string &err) {
  std::string bytes;
  if (!encodePng(img, bytes, err)) {
    err = "'" + path + "': " + err;
    return false;
  }
  rt::Status s = rt::writeFileAtomic(path, {{bytes.data(), bytes.size()}});
  if (!s.isOk()) {
    err = s.message();
    return false;
  }
  return true;
}

bool imageToPixels(const Image &img, const std::string &name, int64_t C, int64_t H,
                   int64_t W, float mean, float std, float *dst, std::string &err) {
  bool alpha = img.channels == 2 || img.channels == 4;
  int64_t colours = img.channels - (alpha ? 1 : 0);
  if (img.width != W || img.height != H || colours != C) {
    err = "'" + name + "' is " + describeImage(img.width, img.height, img.channels) +
          "; the model takes " + describeImage(W, H, C) +
          " images (pixels [B, C, H, W] = [B, " + std::to_string(C) + ", " +
          std::to_string(H) + ", " + std::to_string(W) +
          "]); loom does not resize or convert images";
    return false;
  }
  if (alpha)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x)
        if (img.at(y, x, colours) != 255) {
          err = "'" + name +
                "' has transparent pixels (the first at x=" + std::to_string(x) +
                ", y=" + std::to_string(y) + "); the model takes opaque images";
          return false;
        }
  const int64_t plane = H * W;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x)
        dst[c * plane + y * W + x] =
            (static_cast<float>(img.at(y, x, c)) / 255.0f - mean) / std;
  return true;
}

Image pixelsToImage(const float *src, int64_t C, int64_t H, int64_t W, float mean,
                    float std) {
  Image img;
  img.width = W;
  img.height = H;
  img.channels = C;
  img.samples.resize(static_cast<size_t>(C * H * W));
  const int64_t plane = H * W;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        double u = std::round((double(src[c * plane + y * W + x]) * std + mean) * 255.0);
        u = std::min(255.0, std::max(0.0, u));
        img.samples[static_cast<size_t>((y * W + x) * C + c)] = static_cast<uint8_t>(u);
      }
  return img;
}

} // namespace loom::cli::tasks
