#if canImport(Glibc)
import Glibc
#endif

/// Memory the library allocated with malloc (so that a failed allocation is an error,
/// not a trap; glibc aligns it for any value type), freed with its owner. Tables keep
/// these alive as their `owners`.
final class OwnedBytes: @unchecked Sendable {
  let pointer: UnsafeMutableRawPointer
  let count: Int

  init(count: Int, for what: @autoclosure () -> String) throws(SFError) {
    guard count >= 0, let p = malloc(max(count, 1)) else {
      throw SFError(.outOfMemory, "cannot allocate \(count) bytes for \(what())")
    }
    pointer = p
    self.count = count
  }

  deinit { free(pointer) }
}

/// `count` bytes aligned to `alignment` (a power of two), or an outOfMemory error where
/// `UnsafeMutableRawPointer.allocate` would trap: for buffers whose size follows the
/// data, which must fail as MemoryError under a memory ceiling. Free with `deallocate()`.
public func allocateOrThrow(byteCount count: Int, alignment: Int,
                            for what: @autoclosure () -> String) throws(SFError) -> UnsafeMutableRawPointer {
  var p: UnsafeMutableRawPointer?
  guard count >= 0, posix_memalign(&p, max(alignment, MemoryLayout<Int>.size), max(count, 1)) == 0, let p else {
    throw SFError(.outOfMemory, "cannot allocate \(count) bytes for \(what())")
  }
  return p
}
