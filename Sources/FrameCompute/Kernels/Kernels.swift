#if canImport(Glibc)
import Glibc
#endif
import FrameStorage

// Element-wise kernels over one chunk. Operands already have the dtypes the type
// checker chose; each kernel is specialized per Swift type through DTypeVisitor.

struct ArithKernel: DTypeVisitor {
  let op: BinaryOp
  let a: UnsafeRawPointer, b: UnsafeRawPointer, out: UnsafeMutableRawPointer, n: Int
  let valid: UnsafePointer<UInt8>?
  /// Rows whose value is wanted (nil: all); others never raise.
  let rows: UnsafePointer<UInt8>?

  func visit<T: ColumnValue>(_: T.Type) throws(SFError) {
    let x = a.assumingMemoryBound(to: T.self), y = b.assumingMemoryBound(to: T.self)
    let o = out.assumingMemoryBound(to: T.self)
    switch op {
    case .add: for i in 0..<n { o[i] = T.add(x[i], y[i]) }
    case .subtract: for i in 0..<n { o[i] = T.subtract(x[i], y[i]) }
    case .multiply: for i in 0..<n { o[i] = T.multiply(x[i], y[i]) }
    case .divide: for i in 0..<n { o[i] = T.divide(x[i], y[i]) }
    case .floorDivide: for i in 0..<n { o[i] = T.floorDivide(x[i], y[i]) }
    case .modulo: for i in 0..<n { o[i] = T.modulo(x[i], y[i]) }
    case .power:
      for i in 0..<n {
        if let v = T.power(x[i], y[i]) {
          o[i] = v
        } else if (valid.map({ $0[i] != 0 }) ?? true) && (rows.map({ $0[i] != 0 }) ?? true) {
          throw SFError(.argument, "integers to negative integer powers are not allowed")
        } else {
          o[i] = T.make(integer: 0)
        }
      }
    default:
      break
    }
  }
}

struct CompareKernel: DTypeVisitor {
  let op: BinaryOp
  let a: UnsafeRawPointer, b: UnsafeRawPointer, out: UnsafeMutablePointer<UInt8>, n: Int

  func visit<T: ColumnValue>(_: T.Type) {
    let x = a.assumingMemoryBound(to: T.self), y = b.assumingMemoryBound(to: T.self)
    switch op {
    case .less: for i in 0..<n { out[i] = x[i] < y[i] ? 1 : 0 }
    case .lessEqual: for i in 0..<n { out[i] = x[i] <= y[i] ? 1 : 0 }
    case .greater: for i in 0..<n { out[i] = x[i] > y[i] ? 1 : 0 }
    case .greaterEqual: for i in 0..<n { out[i] = x[i] >= y[i] ? 1 : 0 }
    case .equal: for i in 0..<n { out[i] = x[i] == y[i] ? 1 : 0 }
    case .notEqual: for i in 0..<n { out[i] = x[i] != y[i] ? 1 : 0 }
    default: break
    }
  }
}

/// Exact comparison of int64 with uint64 values (numpy 2 does not go through float64).
func mixedCompareKernel(_ op: BinaryOp, signedFirst: Bool, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer,
                        _ out: UnsafeMutablePointer<UInt8>, _ n: Int) {
  let s = (signedFirst ? a : b).assumingMemoryBound(to: Int64.self)
  let u = (signedFirst ? b : a).assumingMemoryBound(to: UInt64.self)
  // -1: signed < unsigned, 0: equal, 1: signed > unsigned.
  @inline(__always) func order(_ i: Int) -> Int {
    let x = s[i], y = u[i]
    if x < 0 { return -1 }
    let ux = UInt64(x)
    return ux < y ? -1 : (ux == y ? 0 : 1)
  }
  for i in 0..<n {
    let c = signedFirst ? order(i) : -order(i)
    let r: Bool
    switch op {
    case .less: r = c < 0
    case .lessEqual: r = c <= 0
    case .greater: r = c > 0
    case .greaterEqual: r = c >= 0
    case .equal: r = c == 0
    default: r = c != 0
    }
    out[i] = r ? 1 : 0
  }
}

/// Bitwise operators on integers of width W (bools are 0/1 bytes: & | ^ are logical).
struct BitwiseKernel: DTypeVisitor {
  let op: BinaryOp
  let a: UnsafeRawPointer, b: UnsafeRawPointer, out: UnsafeMutableRawPointer, n: Int

  func visit<T: ColumnValue>(_: T.Type) {
    // Integers of every width are handled through their same-width bit pattern.
    switch T.dtype.byteWidth {
    case 1: run(UInt8.self, Int8.self)
    case 2: run(UInt16.self, Int16.self)
    case 4: run(UInt32.self, Int32.self)
    default: run(UInt64.self, Int64.self)
    }
  }

  private func run<U: FixedWidthInteger & UnsignedInteger, S: FixedWidthInteger & SignedInteger>(_: U.Type, _: S.Type) {
    let x = a.assumingMemoryBound(to: U.self), y = b.assumingMemoryBound(to: U.self)
    let o = out.assumingMemoryBound(to: U.self)
    let signed = op == .shiftRight && (resultIsSigned)
    switch op {
    case .and: for i in 0..<n { o[i] = x[i] & y[i] }
    case .or: for i in 0..<n { o[i] = x[i] | y[i] }
    case .xor: for i in 0..<n { o[i] = x[i] ^ y[i] }
    case .shiftLeft:
      for i in 0..<n { o[i] = shiftAmount(y[i]).map { x[i] << $0 } ?? 0 }
    case .shiftRight:
      for i in 0..<n {
        if signed {
          let v = S(truncatingIfNeeded: x[i])
          let r = shiftAmount(y[i]).map { v >> $0 } ?? (v < 0 ? -1 : 0)
          o[i] = U(truncatingIfNeeded: r)
        } else {
          o[i] = shiftAmount(y[i]).map { x[i] >> $0 } ?? 0
        }
      }
    default: break
    }

    /// numpy: shifting by a negative amount or by the width or more gives 0 (or -1).
    func shiftAmount(_ raw: U) -> U? {
      let signedAmount = S(truncatingIfNeeded: raw)
      if resultIsSigned && signedAmount < 0 { return nil }
      return raw < U(U.bitWidth) ? raw : nil
    }
  }

  let resultIsSigned: Bool
}

struct InvertKernel: DTypeVisitor {
  let a: UnsafeRawPointer, out: UnsafeMutableRawPointer, n: Int, isBool: Bool

  func visit<T: ColumnValue>(_: T.Type) {
    switch T.dtype.byteWidth {
    case 1:
      let x = a.assumingMemoryBound(to: UInt8.self), o = out.assumingMemoryBound(to: UInt8.self)
      if isBool { for i in 0..<n { o[i] = x[i] ^ 1 } } else { for i in 0..<n { o[i] = ~x[i] } }
    case 2: run(UInt16.self)
    case 4: run(UInt32.self)
    default: run(UInt64.self)
    }
  }

  private func run<U: FixedWidthInteger>(_: U.Type) {
    let x = a.assumingMemoryBound(to: U.self), o = out.assumingMemoryBound(to: U.self)
    for i in 0..<n { o[i] = ~x[i] }
  }
}

struct NegateKernel: DTypeVisitor {
  let a: UnsafeRawPointer, out: UnsafeMutableRawPointer, n: Int

  func visit<T: ColumnValue>(_: T.Type) {
    let x = a.assumingMemoryBound(to: T.self), o = out.assumingMemoryBound(to: T.self)
    for i in 0..<n { o[i] = T.negate(x[i]) }
  }
}

/// Casts between dtypes with numpy's `astype` rules; to bool means "not zero".
struct CastKernel: DTypeVisitor {
  let from: DType, to: DType
  let a: UnsafeRawPointer, out: UnsafeMutableRawPointer, n: Int

  func visit<S: ColumnValue>(_: S.Type) throws(SFError) {
    if to == .bool {
      let x = a.assumingMemoryBound(to: S.self), o = out.assumingMemoryBound(to: UInt8.self)
      let zero = S.make(integer: 0)
      for i in 0..<n { o[i] = x[i] != zero ? 1 : 0 }
      return
    }
    try to.visit(CastInto<S>(a: a, out: out, n: n))
  }
}

private struct CastInto<Src: ColumnValue>: DTypeVisitor {
  let a: UnsafeRawPointer, out: UnsafeMutableRawPointer, n: Int

  func visit<D: ColumnValue>(_: D.Type) {
    let x = a.assumingMemoryBound(to: Src.self), o = out.assumingMemoryBound(to: D.self)
    for i in 0..<n { o[i] = x[i].converted(to: D.self) }
  }
}

struct SelectKernel: DTypeVisitor {
  let cond: UnsafePointer<UInt8>, a: UnsafeRawPointer, b: UnsafeRawPointer, out: UnsafeMutableRawPointer, n: Int

  func visit<T: ColumnValue>(_: T.Type) {
    let x = a.assumingMemoryBound(to: T.self), y = b.assumingMemoryBound(to: T.self)
    let o = out.assumingMemoryBound(to: T.self)
    for i in 0..<n { o[i] = cond[i] != 0 ? x[i] : y[i] }
  }
}

struct FillKernel: DTypeVisitor {
  let value: Scalar, out: UnsafeMutableRawPointer, n: Int

  func visit<T: ColumnValue>(_: T.Type) {
    let v: T = value.value(as: T.self)
    out.assumingMemoryBound(to: T.self).update(repeating: v, count: n)
  }
}
