/// Unpacks `count` bits of an Arrow bitmap, starting at bit `offset`, into bytes 0/1.
@inline(__always)
func unpackBits(_ bitmap: UnsafePointer<UInt8>, offset: Int, count: Int, into out: UnsafeMutablePointer<UInt8>) {
  var i = 0
  var bit = offset
  // Leading bits up to a byte boundary, then whole bytes, then the tail.
  while i < count && bit & 7 != 0 {
    out[i] = (bitmap[bit >> 3] >> UInt8(bit & 7)) & 1
    i += 1; bit += 1
  }
  while i + 8 <= count {
    let byte = bitmap[bit >> 3]
    for k in 0..<8 { out[i + k] = (byte >> UInt8(k)) & 1 }
    i += 8; bit += 8
  }
  while i < count {
    out[i] = (bitmap[bit >> 3] >> UInt8(bit & 7)) & 1
    i += 1; bit += 1
  }
}

/// out[i] = a[i] & b[i] for byte masks.
@inline(__always)
func andMasks(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ out: UnsafeMutablePointer<UInt8>, _ n: Int) {
  for i in 0..<n { out[i] = a[i] & b[i] }
}
