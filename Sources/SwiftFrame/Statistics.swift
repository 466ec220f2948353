/// vaex's statistic spellings for Swift callers; each is one pass (use
/// `aggregate` to share one pass between several).
extension DataFrame {
  private func one(_ kind: AggregateKind, _ expression: String?, _ selection: String?) throws(SFError) -> Scalar {
    try aggregate([Request(kind, expression, selection: selection)])[0]
  }

  public func count(_ expression: String? = nil, selection: String? = nil) throws(SFError) -> Int64 {
    Int64(bitPattern: try one(.count, expression, selection).bits)
  }

  public func sum(_ expression: String, selection: String? = nil) throws(SFError) -> Double {
    try one(.sum, expression, selection).doubleValue
  }

  public func mean(_ expression: String, selection: String? = nil) throws(SFError) -> Double {
    try one(.mean, expression, selection).doubleValue
  }

  public func std(_ expression: String, selection: String? = nil) throws(SFError) -> Double {
    try one(.std, expression, selection).doubleValue
  }

  public func variance(_ expression: String, selection: String? = nil) throws(SFError) -> Double {
    try one(.variance, expression, selection).doubleValue
  }

  /// (min, max) in one pass; NaN when no value is present.
  public func minmax(_ expression: String, selection: String? = nil) throws(SFError) -> (Double, Double) {
    let r = try aggregate([Request(.min, expression, selection: selection), Request(.max, expression, selection: selection)])
    return (r[0].isNull ? .nan : r[0].doubleValue, r[1].isNull ? .nan : r[1].doubleValue)
  }
}
