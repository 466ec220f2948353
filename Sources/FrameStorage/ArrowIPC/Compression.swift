import CCodecs

#if canImport(Glibc)
import Glibc
#endif

/// The codecs of Arrow IPC body compression (Message.fbs CompressionType).
enum BodyCodec: Int8 {
  case lz4Frame = 0, zstd = 1
}


/// Decompresses one compressed body buffer: an int64 uncompressed length (-1: the rest
/// is stored uncompressed), then the codec's bytes. Returns the bytes and their owner.
func decompress(_ buffer: UnsafeRawBufferPointer, _ codec: BodyCodec)
  throws(SFError) -> (UnsafeRawBufferPointer, OwnedBytes?) {
  if buffer.isEmpty { return (buffer, nil) }
  guard buffer.count >= 8 else { throw .corrupt("a compressed buffer of \(buffer.count) bytes has no length prefix") }
  let length = Int64(littleEndian: buffer.loadUnaligned(as: Int64.self))
  let payload = UnsafeRawBufferPointer(rebasing: buffer[8...])
  if length == -1 { return (payload, nil) }
  guard length >= 0, length < Int64(1) << 40 else { throw .corrupt("a compressed buffer claims \(length) bytes") }
  // Neither codec expands more than this (LZ4: 255 to 1; zstd: an RLE block, 128 KiB from
  // 4 bytes), so a larger claim is corrupt: refuse it before allocating (found by fuzzing).
  let ratio: Int64 = codec == .lz4Frame ? 255 : 32768
  guard length <= Int64(payload.count) * ratio + (1 << 17) else {
    throw .corrupt("a compressed buffer of \(payload.count) bytes claims \(length) bytes")
  }
  let size = Int(length)
  let owner = try OwnedBytes(count: size, for: "a decompressed buffer")
  let out = owner.pointer
  let produced: Int
  switch codec {
  case .zstd:
    let r = ZSTD_decompress(out, size, payload.baseAddress, payload.count)
    guard ZSTD_isError(r) == 0 else {
      throw .corrupt("ZSTD: \(String(cString: ZSTD_getErrorName(r)))")
    }
    produced = r
  case .lz4Frame:
    produced = try lz4Frame(payload, into: out, capacity: size)
  }
  guard produced == size else {
    throw .corrupt("a compressed buffer gave \(produced) bytes, its prefix says \(size)")
  }
  return (UnsafeRawBufferPointer(start: out, count: size), owner)
}

private func lz4Frame(_ input: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer,
                      capacity: Int) throws(SFError) -> Int {
  var context: OpaquePointer? = nil
  guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0, let context else {
    throw SFError(.outOfMemory, "LZ4: cannot create a decompression context")
  }
  defer { LZ4F_freeDecompressionContext(context) }
  var read = 0, written = 0
  while read < input.count {
    var inSize = input.count - read, outSize = capacity - written
    let hint = LZ4F_decompress(context, out + written, &outSize, input.baseAddress! + read, &inSize, nil)
    guard LZ4F_isError(hint) == 0 else { throw .corrupt("LZ4: \(String(cString: LZ4F_getErrorName(hint)))") }
    read += inSize
    written += outSize
    if hint == 0 { break }  // the frame is complete
    guard inSize > 0 || outSize > 0 else { throw .corrupt("LZ4: the frame is truncated or larger than its prefix says") }
  }
  return written
}
