#if canImport(Glibc)
import Glibc
#endif
import CSwiftFrame
import SwiftFrame

// The edge of the library: every @_cdecl function runs its body through
// `boundary`, which turns an SFError into a status and a thread-local message.
// Nothing here computes; it converts handles, strings and errors only.

private let errorKey: pthread_key_t = {
  var key = pthread_key_t()
  pthread_key_create(&key) { free($0) }
  return key
}()

private func setLastError(_ message: String) {
  free(pthread_getspecific(errorKey))
  pthread_setspecific(errorKey, strdup(message))
}

@inline(__always)
func boundary(_ body: () throws(SFError) -> Void) -> Int32 {
  do {
    try body()
    return Int32(SF_OK)
  } catch {
    setLastError(error.message)
    return error.code.rawValue
  }
}

@_cdecl("sf_last_error")
public func sfLastError() -> UnsafePointer<CChar> {
  if let p = pthread_getspecific(errorKey) { return UnsafePointer(p.assumingMemoryBound(to: CChar.self)) }
  return UnsafePointer(emptyMessage)
}

private let emptyMessage: UnsafeMutablePointer<CChar> = strdup("")!

@_cdecl("sf_string_free")
public func sfStringFree(_ s: UnsafeMutablePointer<CChar>?) { free(s) }

@_cdecl("sf_buffer_free")
public func sfBufferFree(_ p: UnsafeMutableRawPointer?) { free(p) }

/// A malloc'd copy of `bytes` for the caller to free with sf_buffer_free (NULL when empty).
func copyToMalloc(_ bytes: [UInt8]) throws(SFError) -> UnsafeMutableRawPointer? {
  guard !bytes.isEmpty else { return nil }
  guard let p = malloc(bytes.count) else { throw SFError(.outOfMemory, "cannot allocate \(bytes.count) bytes") }
  bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
  return p
}

@_cdecl("sf_abi_version")
public func sfAbiVersion() -> Int32 {
  Int32(SF_ABI_VERSION_MAJOR * 10000 + SF_ABI_VERSION_MINOR * 100 + SF_ABI_VERSION_PATCH)
}

@_cdecl("sf_pass_count")
public func sfPassCount() -> Int64 { Int64(passCounter.load(ordering: .relaxed)) }

// MARK: Conversions

func string(_ p: UnsafePointer<CChar>?, _ what: String) throws(SFError) -> String {
  guard let p else { throw .argument("\(what) is NULL") }
  return String(cString: p)
}

func output<T>(_ p: UnsafeMutablePointer<T>?, _ what: String = "out") throws(SFError) -> UnsafeMutablePointer<T> {
  guard let p else { throw .argument("output pointer \(what) is NULL") }
  return p
}

/// `n` borrowed C strings as Swift strings; `what` names the argument in errors.
func strings(_ n: Int32, _ p: UnsafePointer<UnsafePointer<CChar>?>?, _ what: String) throws(SFError) -> [String] {
  guard n >= 0, n == 0 || p != nil else { throw .argument("\(what) is NULL or its count \(n) is negative") }
  var out: [String] = []
  for i in 0..<Int(n) { out.append(try string(p![i], "\(what)[\(i)]")) }
  return out
}

func frame(_ handle: OpaquePointer?) throws(SFError) -> DataFrame {
  guard let handle else { throw .argument("frame is NULL") }
  return Unmanaged<DataFrame>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
}

func retained(_ frame: DataFrame) -> OpaquePointer {
  OpaquePointer(Unmanaged.passRetained(frame).toOpaque())
}

func dtype(_ code: Int32) throws(SFError) -> DType {
  guard let t = DType(rawValue: code) else { throw .argument("unknown dtype code \(code)") }
  return t
}

/// A C progress callback as a Swift handler (nil when no callback was given).
func progressHandler(_ callback: sf_progress?, _ ctx: UnsafeMutableRawPointer?) -> ProgressHandler? {
  guard let callback else { return nil }
  return { fraction in callback(ctx, fraction) == 0 }
}
