// Chunk reductions shared by the aggregators. Floating-point sums use SIMD
// accumulators: the compiler will not reorder a scalar float sum by itself.

/// Sum and count of the non-NaN values of `p` where `mask` (if any) is set.
@inline(__always)
func sumAndCount<T: ColumnValue>(_ p: UnsafePointer<T>, _ mask: UnsafePointer<UInt8>?, _ n: Int) -> (Double, Int) {
  if T.self == Double.self, mask == nil {
    return sumAndCountSIMD(UnsafeRawPointer(p).assumingMemoryBound(to: Double.self), n)
  }
  var s = 0.0, c = 0
  if let mask {
    for i in 0..<n {
      let v = p[i].doubleValue
      if mask[i] != 0 && !v.isNaN { s += v; c &+= 1 }
    }
  } else {
    for i in 0..<n {
      let v = p[i].doubleValue
      if !v.isNaN { s += v; c &+= 1 }
    }
  }
  return (s, c)
}

@inline(__always)
func sumAndCountSIMD(_ p: UnsafePointer<Double>, _ n: Int) -> (Double, Int) {
  var acc0 = SIMD8<Double>(), acc1 = SIMD8<Double>()
  var nan = SIMD8<Int64>()
  let raw = UnsafeRawPointer(p)
  var i = 0
  while i + 16 <= n {
    let a = raw.loadUnaligned(fromByteOffset: i * 8, as: SIMD8<Double>.self)
    let b = raw.loadUnaligned(fromByteOffset: (i + 8) * 8, as: SIMD8<Double>.self)
    let na = a .!= a, nb = b .!= b
    acc0 += a.replacing(with: 0, where: na)
    acc1 += b.replacing(with: 0, where: nb)
    // A true mask lane is -1: subtracting it counts NaNs.
    nan &-= unsafeBitCast(na, to: SIMD8<Int64>.self) &+ unsafeBitCast(nb, to: SIMD8<Int64>.self)
    i += 16
  }
  var s = (acc0 + acc1).sum()
  var nanCount = Int(nan.wrappedSum())
  while i < n {
    let v = p[i]
    if v.isNaN { nanCount += 1 } else { s += v }
    i += 1
  }
  return (s, n - nanCount)
}

/// Sum of squared deviations from `mean` over the values `sumAndCount` counted.
@inline(__always)
func squaredDeviations<T: ColumnValue>(_ p: UnsafePointer<T>, _ mask: UnsafePointer<UInt8>?, _ n: Int, mean: Double) -> Double {
  var s0 = 0.0, s1 = 0.0
  var i = 0
  if let mask {
    for i in 0..<n {
      let d = p[i].doubleValue - mean
      if mask[i] != 0 && !d.isNaN { s0 += d * d }
    }
    return s0
  }
  while i + 2 <= n {
    let d0 = p[i].doubleValue - mean, d1 = p[i + 1].doubleValue - mean
    s0 += d0.isNaN ? 0 : d0 * d0
    s1 += d1.isNaN ? 0 : d1 * d1
    i += 2
  }
  if i < n {
    let d = p[i].doubleValue - mean
    s0 += d.isNaN ? 0 : d * d
  }
  return s0 + s1
}
