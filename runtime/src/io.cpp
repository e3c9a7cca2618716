//===- io.cpp - reading and atomically writing files -----------------------===//
#include "loom/formats/io.h"

#include <cerrno>
#include <dirent.h>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace loom::rt {

std::string errnoMessage(int err) { return std::strerror(err); }

namespace {

/// Opens PATH for reading and checks that it is a regular file (a directory
/// opens fine with O_RDONLY and fails only on read, with a worse message).
Status openRegular(const std::string &path, int &fd, size_t &size) {
  fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Status::error(LOOM_ERR_IO, "cannot open '" + path +
                                          "': " + errnoMessage(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::error(LOOM_ERR_IO, "'" + path + "' is not a regular file");
  }
  size = static_cast<size_t>(st.st_size);
  return Status::ok();
}

} // namespace

MappedFile::~MappedFile() {
  if (mapping_)
    ::munmap(mapping_, size_);
}

Status MappedFile::open(const std::string &path) {
  if (mapping_) {
    ::munmap(mapping_, size_);
    mapping_ = nullptr;
    data_ = nullptr;
    size_ = 0;
  }
  int fd;
  size_t size;
  LOOM_RT_TRY(openRegular(path, fd, size));
  if (size == 0) {
    ::close(fd);
    return Status::ok();
  }
  void *p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);
  if (p == MAP_FAILED)
    return Status::error(LOOM_ERR_IO,
                         "cannot map '" + path + "': " + errnoMessage(err));
  mapping_ = p;
  data_ = static_cast<const uint8_t *>(p);
  size_ = size;
  return Status::ok();
}

Status readFile(const std::string &path, std::string &out) {
  int fd;
  size_t size;
  LOOM_RT_TRY(openRegular(path, fd, size));
  out.clear();
  out.reserve(size);
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Status::error(LOOM_ERR_IO,
                           "cannot read '" + path + "': " + errnoMessage(err));
    }
    if (n == 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return Status::ok();
}

namespace {
size_t slashAt(const std::string &path) { return path.rfind('/'); }
} // namespace

Status writeFileAtomic(const std::string &path,
                       const std::vector<ByteRange> &pieces) {
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    return Status::error(LOOM_ERR_IO, "cannot create a temporary file next to '" +
                                          path + "': " + errnoMessage(errno));
  auto fail = [&](const std::string &what) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::error(LOOM_ERR_IO, "cannot " + what + " '" + path +
                                          "': " + errnoMessage(err));
  };
  // mkstemp creates 0600; weights and outputs are not secrets. (0644 rather
  // than 0666 & ~umask: reading the umask means setting it, which races with
  // other threads.)
  if (::fchmod(fd, 0644) != 0)
    return fail("set permissions of");
  for (const ByteRange &piece : pieces) {
    const char *p = static_cast<const char *>(piece.data);
    size_t left = piece.size;
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        if (n == 0)
          errno = EIO;
        return fail("write");
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  if (::fsync(fd) != 0)
    return fail("fsync");
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::error(LOOM_ERR_IO,
                         "cannot write '" + path + "': " + errnoMessage(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::error(LOOM_ERR_IO,
                         "cannot rename onto '" + path + "': " + errnoMessage(err));
  }
  // Make the rename itself durable. Best effort: some file systems refuse
  // fsync on a directory, and the data is already safe.
  std::string dir = ".";
  if (size_t slash = path.rfind('/'); slash != std::string::npos)
    dir = slash == 0 ? "/" : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  // Temporaries of earlier writes of this path that never reached their
  // rename (the process was killed mid-write) would stay forever: remove
  // them. Best effort, as above.
  std::string base = slashAt(path) == std::string::npos ? path : path.substr(slashAt(path) + 1);
  std::string prefix = base + ".tmp.";
  if (DIR *d = ::opendir(dir.c_str())) {
    while (const struct dirent *e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.size() == prefix.size() + 6 && name.compare(0, prefix.size(), prefix) == 0)
        (void)::unlinkat(::dirfd(d), name.c_str(), 0);
    }
    ::closedir(d);
  }
  return Status::ok();
}

} // namespace loom::rt
