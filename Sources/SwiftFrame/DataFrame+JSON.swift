extension DataFrame {
  /// The visible columns as JSON: name, dtype (null when unsupported), timezone (of a stored
  /// timestamp column, else null), expression (null when stored).
  public func columnsJSON() -> String {
    let items = columnNames.map { name -> String in
      let expression = virtualExpression(name)
      let dtype: String
      if let t = try? self.dtype(of: "`\(name)`") { dtype = "\"\(t.name)\"" } else { dtype = "null" }
      let zone = expression == nil ? storedIndex(name).flatMap { table.fields[$0].timezone } : nil
      return "{\"name\": \(jsonString(name)), \"dtype\": \(dtype), \"timezone\": \(zone.map(jsonString) ?? "null"), "
        + "\"expression\": \(expression.map(jsonString) ?? "null")}"
    }
    return "[" + items.joined(separator: ", ") + "]"
  }
}

/// A JSON string literal for `s`.
func jsonString(_ s: String) -> String {
  var out = "\""
  for u in s.unicodeScalars {
    switch u {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    default:
      if u.value < 0x20 {
        let hex = String(u.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      } else {
        out.unicodeScalars.append(u)
      }
    }
  }
  return out + "\""
}
