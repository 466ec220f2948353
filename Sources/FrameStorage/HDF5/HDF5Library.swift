import CHDF5
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libhdf5 behind one lock. Debian's build is not thread-safe, so every call into the
/// library, from any frame on any thread, runs inside `HDF5Library.withLock`.
enum HDF5Library {
  private static let mutex = Mutex<Void>(())

  /// Runs `body` holding the library lock, with libhdf5's automatic error printing off
  /// (errors are read from the error stack and become SFError messages instead).
  static func withLock<T: Sendable>(_ body: () throws(SFError) -> T) throws(SFError) -> T {
    try mutex.withLock { (_: inout Void) throws(SFError) -> T in
      guard H5open() >= 0 else { throw SFError(.io, "libhdf5 failed to initialize") }
      // Per thread in thread-safe builds, global otherwise: set it each time, it is cheap.
      _ = H5Eset_auto2(sfh5_e_default(), nil, nil)
      return try body()
    }
  }

  /// The failure on libhdf5's error stack, outermost description first, most specific
  /// last ("unable to open file: file signature not found"); empty when the stack is.
  /// Call with the lock held, right after the failing call.
  static func errorText() -> String {
    var descriptions: [String] = []
    withUnsafeMutablePointer(to: &descriptions) { box in
      _ = H5Ewalk2(sfh5_e_default(), H5E_WALK_DOWNWARD, { _, error, context in
        guard let error, let context, let description = error.pointee.desc else { return 0 }
        let text = String(cString: description)
        let list = context.assumingMemoryBound(to: [String].self)
        if !text.isEmpty, list.pointee.last != text { list.pointee.append(text) }
        return 0
      }, box)
    }
    _ = H5Eclear2(sfh5_e_default())
    guard let first = descriptions.first else { return "" }
    guard descriptions.count > 1, let last = descriptions.last else { return first }
    return "\(first): \(last)"
  }

  /// " (libhdf5: …)" for a message, or "" when the error stack is empty.
  static func reason() -> String {
    let text = errorText()
    return text.isEmpty ? "" : " (libhdf5: \(text))"
  }

  /// Identifiers of every kind still open in the library (files, groups, datasets,
  /// types, attributes). Tests check it returns to its value after each open.
  static func openObjectCount() throws(SFError) -> Int {
    try withLock { () throws(SFError) -> Int in
      Int(H5Fget_obj_count(hid_t(sfh5_f_obj_all()), sfh5_f_obj_all()))
    }
  }
}

/// One open libhdf5 identifier, closed when the last reference goes away. Closing
/// happens at or after the last use, so nothing that is still used can be closed; a
/// file closes "weakly" (its default), only once every object in it is closed.
final class H5Object {
  let id: hid_t
  private let close: (hid_t) -> herr_t

  /// Takes ownership of `id` as returned by an H5*open/H5*get_* call; a negative id
  /// (the call failed) throws `error` with libhdf5's reason appended.
  init(_ id: hid_t, _ close: @escaping (hid_t) -> herr_t, or error: @autoclosure () -> SFError) throws(SFError) {
    guard id >= 0 else {
      let e = error()
      throw SFError(e.code, e.message + HDF5Library.reason())
    }
    self.id = id
    self.close = close
  }

  deinit { _ = close(id) }
}

// OwnedBytes (malloc'd memory a table owns) is in Types/OwnedBytes.swift.
