#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file, kept for the life of the frames that
/// use it (page faults are paid once). Size, mtime and inode are recorded at open so
/// that a file changed underneath is reported before a pass instead of raising SIGBUS.
public final class MappedFile: @unchecked Sendable {
  public let path: String
  public let bytes: UnsafeRawBufferPointer
  let identity: Identity

  struct Identity: Hashable {
    var device: UInt64, inode: UInt64, size: Int64, mtimeSec: Int64, mtimeNsec: Int64
  }

  /// Maps `path`. The corresponding C functions are `open`, `fstat` and `mmap`.
  public init(path: String) throws(SFError) {
    self.path = path
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      let err = errno
      let reason = String(cString: strerror(err))
      throw SFError(err == ENOENT ? .notFound : .io, "cannot open '\(path)': \(reason)")
    }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
      throw SFError(.io, "cannot stat '\(path)': \(String(cString: strerror(errno)))")
    }
    guard (st.st_mode & S_IFMT) == S_IFREG else {
      throw SFError(.io, "'\(path)' is not a regular file")
    }
    identity = MappedFile.identity(st)
    let size = Int(st.st_size)
    if size == 0 {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    let base = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)
    guard let base, base != MAP_FAILED else {
      let err = errno
      throw SFError(err == ENOMEM ? .outOfMemory : .io,
                    "cannot map '\(path)': \(String(cString: strerror(err)))")
    }
    bytes = UnsafeRawBufferPointer(start: base, count: size)
  }

  deinit {
    if let base = bytes.baseAddress {
      munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
    }
  }

  private static func identity(_ st: stat) -> Identity {
    Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
             mtimeSec: Int64(st.st_mtim.tv_sec), mtimeNsec: Int64(st.st_mtim.tv_nsec))
  }

  /// Throws when the file at `path` was truncated, rewritten or replaced since it was mapped.
  public func checkUnchanged() throws(SFError) {
    var st = stat()
    guard stat(path, &st) == 0 else {
      throw SFError(.io, "'\(path)' was removed or became unreadable after it was opened")
    }
    guard MappedFile.identity(st) == identity else {
      throw SFError(.io, "'\(path)' changed after it was opened (size, time or inode differ); open it again")
    }
  }

  /// `madvise(MADV_SEQUENTIAL)`: read ahead aggressively for the scan.
  public func adviseSequential() {
    guard let base = bytes.baseAddress else { return }
    _ = madvise(UnsafeMutableRawPointer(mutating: base), bytes.count, MADV_SEQUENTIAL)
  }
}
