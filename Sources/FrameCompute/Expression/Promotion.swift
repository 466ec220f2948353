import FrameStorage

/// numpy's promotion of two array dtypes (`np.result_type`).
func promote(_ a: DType, _ b: DType) -> DType {
  if a == b { return a }
  if a == .bool { return b }
  if b == .bool { return a }
  if a.isFloat || b.isFloat {
    let other = a.isFloat ? b : a
    let float = a.isFloat ? a : b
    if other.isFloat || float == .float64 { return .float64 }
    return other.byteWidth <= 2 ? .float32 : .float64
  }
  if a.isSignedInteger == b.isSignedInteger {
    return a.byteWidth >= b.byteWidth ? a : b
  }
  let signed = a.isSignedInteger ? a : b
  let unsigned = a.isSignedInteger ? b : a
  if unsigned.byteWidth < signed.byteWidth { return signed }
  switch unsigned.byteWidth {
  case 1: return .int16
  case 2: return .int32
  case 4: return .int64
  default: return .float64
  }
}

/// The dtype numpy computes a float function of `t` in (sqrt, log, …). numpy gives
/// float16 for bool and 8-bit integers; swiftframe has no float16 and uses float32.
func floatType(for t: DType) -> DType {
  if t.isFloat { return t }
  return t.byteWidth <= 2 ? .float32 : .float64
}

/// The dtype of a "weak" Python literal meeting an array of dtype `t` (NEP 50).
func weakPromote(_ t: DType, _ lit: Literal) -> DType {
  switch lit {
  case .bool: return t
  case .int, .uint: return t == .bool ? .int64 : t
  case .float: return t.isFloat ? t : .float64
  case .string: return t
  }
}

/// Whether an integer literal is representable in `t`.
func literalFits(_ lit: Literal, _ t: DType) -> Bool {
  let (lo, hi): (Int64, UInt64)
  switch t {
  case .int8: (lo, hi) = (Int64(Int8.min), UInt64(Int8.max))
  case .int16: (lo, hi) = (Int64(Int16.min), UInt64(Int16.max))
  case .int32: (lo, hi) = (Int64(Int32.min), UInt64(Int32.max))
  case .int64: (lo, hi) = (Int64.min, UInt64(Int64.max))
  case .uint8: (lo, hi) = (0, UInt64(UInt8.max))
  case .uint16: (lo, hi) = (0, UInt64(UInt16.max))
  case .uint32: (lo, hi) = (0, UInt64(UInt32.max))
  case .uint64: (lo, hi) = (0, UInt64.max)
  default: return true
  }
  switch lit {
  case .int(let v): return v >= lo && (v < 0 || UInt64(v) <= hi)
  case .uint(let v): return v <= hi
  default: return true
  }
}
