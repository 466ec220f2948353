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
