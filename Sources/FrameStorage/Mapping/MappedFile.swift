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
  /// Whether scans release the pages behind them (`release`): for files larger than
  /// `releaseThreshold`, whose pages would otherwise stay resident after a scan.
  public let releasesPages: Bool

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
    releasesPages = size > MappedFile.releaseThreshold
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

  /// Files larger than this many bytes have their pages released behind scans: a quarter
  /// of physical memory, or SWIFTFRAME_RELEASE_BYTES when set (0: every file). Smaller
  /// files keep their pages, so that the next pass does not fault them in again.
  public static let releaseThreshold: Int = {
    if let raw = getenv("SWIFTFRAME_RELEASE_BYTES"), let n = Int(String(cString: raw)), n >= 0 { return n }
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, size > 0 else { return Int.max }
    return pages.multipliedReportingOverflow(by: size).partialValue / 4
  }()

  private static let pageSize = max(4096, sysconf(Int32(_SC_PAGESIZE)))

  /// `madvise(MADV_DONTNEED)` over the pages holding `count` bytes at `start` (the part
  /// inside this mapping), when this file releases pages: they leave this process's
  /// resident memory, so a scan of a file larger than memory stays bounded. Safe for a
  /// read-only shared file mapping even when another thread reads a page released
  /// here: its next read faults it in again from the page cache or the file.
  public func release(_ start: UnsafeRawPointer, count: Int) {
    guard releasesPages, count > 0, let base = bytes.baseAddress else { return }
    let lo = max(Int(bitPattern: start), Int(bitPattern: base))
    let hi = min(Int(bitPattern: start) &+ count, Int(bitPattern: base) + bytes.count)
    guard hi > lo else { return }
    let first = lo / MappedFile.pageSize * MappedFile.pageSize
    let last = (hi + MappedFile.pageSize - 1) / MappedFile.pageSize * MappedFile.pageSize
    _ = madvise(UnsafeMutableRawPointer(bitPattern: first), last - first, MADV_DONTNEED)
  }

  /// `madvise(MADV_SEQUENTIAL)`: read ahead aggressively for the scan.
  public func adviseSequential() {
    guard let base = bytes.baseAddress else { return }
    _ = madvise(UnsafeMutableRawPointer(mutating: base), bytes.count, MADV_SEQUENTIAL)
  }
}
