#if canImport(Glibc)
import Glibc
#endif

/// Swift's arrays cannot report a failed allocation: they trap, which would take the
/// host process down. So before a structure whose size follows the data (a hash set of
/// distinct values, per-group states) grows by `bytes`, this checks the process's data
/// segment against its RLIMIT_DATA (what `prlimit --data` and `ulimit -d` set) and throws
/// outOfMemory (Python's MemoryError) when the growth would not fit. Without a limit
/// it costs one getrlimit call.
public func checkMemoryBudget(_ bytes: Int, for what: @autoclosure () -> String) throws(SFError) {
  guard bytes > 0 else { return }
  var limit = rlimit()
  guard getrlimit(__rlimit_resource_t(RLIMIT_DATA.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max  // RLIM_INFINITY
  else { return }
  let cap = Int(clamping: limit.rlim_cur), used = dataSegmentBytes()
  guard used <= cap, bytes <= cap - used else {
    throw SFError(.outOfMemory, "\(what()) needs \(bytes) more bytes; the process uses \(used) of its \(cap)-byte data limit")
  }
}

/// VmData + VmStk in bytes (the sixth field of /proc/self/statm, in pages); 0 when unreadable.
private func dataSegmentBytes() -> Int {
  let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { return 0 }
  defer { close(fd) }
  var buffer = [UInt8](repeating: 0, count: 256)
  let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 255) }
  guard n > 0 else { return 0 }
  let fields = buffer[..<n].split(separator: UInt8(ascii: " "))
  guard fields.count > 5, let pages = Int(String(decoding: fields[5], as: UTF8.self)) else { return 0 }
  return pages.multipliedReportingOverflow(by: sysconf(Int32(_SC_PAGESIZE))).partialValue
}
