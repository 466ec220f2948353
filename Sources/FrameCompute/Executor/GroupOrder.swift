#if canImport(Glibc)
import Glibc
#endif
import FrameStorage

/// The groups `kept` sorted by their keys: per key (the first most significant) by the
/// rank of its label, missing after every label. A stable counting sort per key, the
/// last key first, so the cost is linear in the groups and labels.
func sortedGroups(_ kept: [Int], labels: [ValueList], codes: [[Int32]], threads: Int) throws(SFError) -> [Int] {
  // One hashed number key (a label per group): one radix sort of the labels is the order.
  if labels.count == 1, case .fixed(let dtype, let bits) = labels[0], codes[0].count == bits.count,
     codes[0].enumerated().allSatisfy({ $1 < 0 || Int($1) == $0 }) {
    var wanted = [Bool](repeating: false, count: bits.count)
    var missing: [Int] = []
    for g in kept { if codes[0][g] >= 0 { wanted[g] = true } else { missing.append(g) } }
    var order: [Int] = []
    order.reserveCapacity(kept.count)
    for g in try radixOrder(orderKeys(dtype, bits), threads: threads) where wanted[g] { order.append(g) }
    return order + missing
  }
  var order = kept
  var next = [Int](repeating: 0, count: kept.count)
  for k in labels.indices.reversed() {
    let rank = try labelRanks(labels[k], threads: threads)
    let missing = rank.count
    rank.withUnsafeBufferPointer { rank in
      codes[k].withUnsafeBufferPointer { code in
        @inline(__always) func bucket(_ g: Int) -> Int { code[g] < 0 ? missing : Int(rank[Int(code[g])]) }
        var starts = [Int](repeating: 0, count: missing + 2)
        starts.withUnsafeMutableBufferPointer { starts in
          order.withUnsafeBufferPointer { order in
            next.withUnsafeMutableBufferPointer { next in
              for g in order { starts[bucket(g) + 1] += 1 }
              for b in 1..<starts.count { starts[b] += starts[b - 1] }
              for g in order {
                let b = bucket(g)
                next[starts[b]] = g
                starts[b] += 1
              }
            }
          }
        }
      }
    }
    swap(&order, &next)
  }
  return order
}

/// Each label's rank in sorted order (equal labels, equal ranks): numbers by value with
/// NaN last, strings by their UTF-8 bytes (code point order). A key of several keys
/// repeats its values among the groups' labels.
func labelRanks(_ labels: ValueList, threads: Int) throws(SFError) -> [Int32] {
  var rank: [Int32]
  switch labels {
  case .strings(let words):  // distinct
    let sorted = (0..<words.count).map { Int32($0) }.sorted { words[Int($0)].lexicographicallyPrecedes(words[Int($1)]) }
    rank = [Int32](repeating: 0, count: sorted.count)
    for (position, label) in sorted.enumerated() { rank[Int(label)] = Int32(position) }
  case .fixed(let dtype, let bits):
    let keys = orderKeys(dtype, bits)
    if zip(keys, keys.dropFirst()).allSatisfy({ $0 < $1 }) { return (0..<keys.count).map { Int32($0) } }
    rank = [Int32](repeating: 0, count: keys.count)
    var position: Int32 = -1, previous: UInt64? = nil
    for label in try radixOrder(keys, threads: threads) {
      let key = keys[label]
      if key != previous { position += 1; previous = key }
      rank[label] = position
    }
  }
  return rank
}

/// Values of `dtype` (as ValueList holds them) as unsigned keys in the same order.
private func orderKeys(_ dtype: DType, _ bits: [UInt64]) -> [UInt64] {
  let sign: UInt64 = 1 << 63
  if dtype.isFloat { return bits.map { $0 & sign != 0 ? ~$0 : $0 | sign } }  // canonical NaN is positive: after +inf
  if dtype.isUnsignedInteger || dtype == .bool { return bits }
  return bits.map { $0 ^ sign }
}

/// The permutation that sorts `keys` ascending, stably (Sort.swift's parallel argsort).
func radixOrder(_ keys: [UInt64], threads: Int) throws(SFError) -> [Int] {
  let n = keys.count
  let codes = try allocateCodes(n)
  for i in 0..<n { codes[i] = keys[i] }
  let order = try argsortCodes(codes, count: n, threads: threads, progress: nil)
  defer { free(order) }
  return (0..<n).map { Int(order[$0]) }
}
